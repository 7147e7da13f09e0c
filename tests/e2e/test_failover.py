"""Failover (issue 17): two app processes behind the nginx balancer of deploy/, PostgreSQL for conversations
and state, the Chroma server for the index. A real browser holds a conversation (a profile, then a cut-off
message whose clarification is pending); the process serving it is killed; after the browser's socket has
reconnected, through the balancer, to the other process, the clarification's button and a follow-up are
answered there from the same state, in the same thread.

Needs nginx and PostgreSQL (`make test` installs both from Debian) and Debian's Chromium (`make browser`).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from bench.cluster import chroma_server, nginx_balancer, nginx_binary
from chains.ui.users import hash_password
from tests.conftest import link_index
from tests.e2e import test_browser as shared
from tests.e2e.test_browser import (
    ask,
    assistant_messages,
    open_chat,
    scenario,
    wait_for_new_reply,
)
from tests.e2e.test_postgres import postgres_url  # noqa: F401  (the throwaway PostgreSQL fixture)
from tests.server import chainlit_process

pytestmark = [pytest.mark.browser, pytest.mark.server]

USER, PASSWORD = "fran", "fran-secret-7"
PROFILE = "I have stage 2 ER-positive breast cancer and take tamoxifen"
CUT_OFF = "Can tamoxifen lower my neutr"
FOLLOW_UP = "what are its side effects?"
RESUMED = re.compile(r"conversation (\S+) resumed: saved state restored")


@pytest.fixture(scope="module")
def cluster(indexed_kb, settings, session_dir: Path, postgres_url: str) -> Iterator[dict]:  # noqa: F811
    """PostgreSQL, ``chroma run`` over a copy of the session's index, two app processes, nginx in front."""
    if nginx_binary() is None:
        pytest.fail("nginx is not installed: `make test` installs it (apt-get install nginx-light)")
    chroma_copy = session_dir / "failover-chroma"
    shutil.copytree(settings.chroma_dir, chroma_copy, dirs_exist_ok=True)
    with ExitStack() as stack:
        chroma_url = stack.enter_context(chroma_server(chroma_copy, session_dir))
        apps = []
        for name in ("app-a", "app-b"):
            data_dir = session_dir / f"failover-{name}"
            data_dir.mkdir(exist_ok=True)
            link_index(settings, data_dir, chroma=False)  # each app host keeps the keyword index beside it
            env = {
                "ONCOGUIDE_DATA_DIR": str(data_dir),  # the keyword index only: the vectors are the Chroma server's
                "CHROMA_URL": chroma_url,
                "DATABASE_URL": postgres_url,
                "ONCOGUIDE_AUTH": "password",
                "ONCOGUIDE_USERS": f"{USER}:{hash_password(PASSWORD)}",
                "CHAINLIT_AUTH_SECRET": "oncoguide-failover-test-secret-0123456789abcdef",  # the same everywhere
            }
            apps.append(stack.enter_context(chainlit_process(env, log_name=f"failover-{name}")))
        backends = [app.base_url.removeprefix("http://") for app in apps]
        balancer = stack.enter_context(nginx_balancer(backends, session_dir))
        yield {"url": balancer, "apps": dict(zip(backends, apps, strict=True)), "postgres": postgres_url}


browser = shared.browser  # the same module-scoped Debian Chromium as tests/e2e/test_browser.py


def serving_backend(page: Page, url: str) -> str:
    """The app process the balancer sends this chat to: a request carrying the chat's cookies, as every
    request of the chat (its socket, its button presses) does, and the balancer's X-OncoGuide-Upstream."""
    response = page.request.get(f"{url}/project/settings?language=en-US")
    assert response.ok, response.status
    # nginx lists every process it tried ("dead:port, live:port" while it rediscovers a dead one): the last answered.
    return response.headers["x-oncoguide-upstream"].split(", ")[-1]


def wait_for_log(path: Path, pattern: re.Pattern[str], timeout: float = 90) -> re.Match[str]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if found := pattern.search(path.read_text(errors="replace")):
            return found
        time.sleep(0.2)
    raise AssertionError(f"{path.name} never logged {pattern.pattern!r}:\n{path.read_text(errors='replace')[-3000:]}")


def psql(url: str, query: str) -> list[str]:
    out = subprocess.run(["psql", url, "-At", "-c", query], check=True, capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line]


def test_conversation_continues_on_the_other_process_after_its_process_dies(
    cluster: dict, browser: Browser, session_dir: Path
) -> None:
    url = cluster["url"]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        with scenario(page, "failover"):
            signed_in = page.request.post(f"{url}/login", form={"username": USER, "password": PASSWORD})
            assert signed_in.ok, signed_in.status
            open_chat(page, url)

            first = ask(page, PROFILE)
            expect(first).to_contain_text(re.compile("tamoxifen", re.IGNORECASE))
            question = ask(page, CUT_OFF)
            expect(question).to_contain_text('"neutr"')
            neutrophils = page.get_by_role("button", name=re.compile(r"^neutrophils$", re.IGNORECASE)).first
            expect(neutrophils).to_be_visible()

            serving = serving_backend(page, url)
            victim = cluster["apps"][serving]
            survivor_address = next(address for address in cluster["apps"] if address != serving)
            survivor = cluster["apps"][survivor_address]
            assert not RESUMED.search(survivor.log_path.read_text(errors="replace"))
            [thread_id] = psql(cluster["postgres"], f"SELECT id FROM threads WHERE \"userIdentifier\" = '{USER}'")

            victim.process.kill()  # the process dies without a goodbye: no disconnect handling runs
            victim.process.wait(30)

            # The browser's socket.io client reconnects through the balancer, which now sends it to the survivor;
            # the survivor has never seen the session and takes its thread over from PostgreSQL.
            resumed = wait_for_log(survivor.log_path, RESUMED)
            assert resumed.group(1) == thread_id
            assert serving_backend(page, url) == survivor_address

            # The pending clarification is answered there: the button completes the cut-off question.
            before = assistant_messages(page).count()
            neutrophils.click()
            resolved = wait_for_new_reply(page, before)
            expect(page.locator('[data-step-type="user_message"]').last).to_contain_text("neutrophils")
            expect(resolved).to_contain_text(re.compile("tamoxifen", re.IGNORECASE))
            expect(resolved).not_to_contain_text("cut off")

            # Memory: "its" is the drug the conversation is about; the profile still says breast cancer.
            follow_up = ask(page, FOLLOW_UP)
            expect(follow_up).to_contain_text(re.compile("tamoxifen", re.IGNORECASE))
            expect(follow_up).to_contain_text(re.compile("side effects", re.IGNORECASE))
            expect(follow_up).to_contain_text("This answer is about breast cancer")
    finally:
        context.close()

    # Everything stayed in one thread, and the state the survivor saved still holds the profile from before.
    assert psql(cluster["postgres"], f"SELECT id FROM threads WHERE \"userIdentifier\" = '{USER}'") == [thread_id]
    [saved] = psql(cluster["postgres"], f"SELECT state FROM oncoguide_states WHERE \"threadId\" = '{thread_id}'")
    state = json.loads(saved)
    assert state["profile"]["stage"] == "II" and "ER+" in state["profile"]["receptors"], state["profile"]
    assert "tamoxifen" in state["profile"]["current_treatments"], state["profile"]
    assert state["pending"] is None, "the clarification was resolved"
    assert len(state["standalone_questions"]) >= 3, state["standalone_questions"]
    assert not list(session_dir.glob("failover-app-*/chroma/chroma.sqlite3")), (
        "the app processes must use the Chroma server"
    )
    outputs = psql(cluster["postgres"], f"SELECT output FROM steps WHERE \"threadId\" = '{thread_id}'")
    assert any("side effects" in output.lower() for output in outputs)
