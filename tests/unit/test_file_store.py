"""The local file store behind resumed threads' source cards, step times and thread names (issue 14).

Fast checks with no server: the browser test (tests/e2e/test_browser_resume.py) shows the whole of it working.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from chains.ui.file_store import ROUTE, LocalFileStore, link_is_valid
from chains.ui.persistence import step_time, thread_title


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LocalFileStore:
    monkeypatch.setenv("CHAINLIT_AUTH_SECRET", "file-store-test-secret-0123456789")
    return LocalFileStore(tmp_path / "files")


def test_a_stored_card_is_read_back_through_its_signed_link(store: LocalFileStore) -> None:
    key = "user-1/element-1/[1] Ribociclib (Kisqali)"
    asyncio.run(store.upload_file(key, "Sections used: Side effects", mime="text/plain"))
    url = asyncio.run(store.get_read_url(key))
    parts = urlsplit(url)
    assert parts.path.startswith(ROUTE + "/")
    asked = unquote(parts.path.removeprefix(ROUTE + "/"))
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert asked == key and link_is_valid(asked, int(query["expires"]), query["signature"])
    assert store.read(asked) == (b"Sections used: Side effects", "text/plain")


def test_a_link_for_another_file_or_an_expired_one_is_refused(store: LocalFileStore) -> None:
    url = asyncio.run(store.get_read_url("user-1/a/card"))
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    expires, signature = int(query["expires"]), query["signature"]
    assert not link_is_valid("user-2/a/card", expires, signature)
    assert not link_is_valid("user-1/a/card", expires + 1, signature)
    assert not link_is_valid("user-1/a/card", expires, signature, now=time.time() + 10 * 3600)


def test_no_key_reaches_outside_the_store(store: LocalFileStore) -> None:
    with pytest.raises(ValueError):
        store.path_for("user-1/../../etc/passwd")
    assert store.path_for("u/e/a/b name").is_relative_to(store.root)
    assert store.path_for("u/e/..%2F..%2Fx").is_relative_to(store.root)


def test_deleting_removes_the_file(store: LocalFileStore) -> None:
    asyncio.run(store.upload_file("u/e/card", b"x"))
    assert asyncio.run(store.delete_file("u/e/card"))
    assert store.read("u/e/card") is None


def test_every_step_time_sorts_in_order() -> None:
    """isoformat() drops zero microseconds, and '…:05Z' sorted after '…:05.1Z'; a missing time is now."""
    whole, later = step_time("2026-12-06T13:00:05Z"), step_time("2026-12-06T13:00:05.100000Z")
    assert whole == "2026-12-06T13:00:05.000000Z" and whole < later
    assert step_time(None) > later


def test_thread_names_are_short_and_distinct() -> None:
    question = "What does HER2-low mean for my treatment options?"
    assert thread_title(question, set()) == "What does HER2-low…"
    assert thread_title(question, {"What does HER2-low…"}) == "What does HER2-low… (2)"
    assert thread_title(question, {"What does HER2-low…", "What does HER2-low… (2)"}) == "What does HER2-low… (3)"
    assert thread_title("Is it hereditary?", set()) == "Is it hereditary?"
