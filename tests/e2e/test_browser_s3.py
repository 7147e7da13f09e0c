"""Source cards kept in an S3 object store come back on resume (issue 14), in a real browser.

    .venv/bin/python -m pytest tests/e2e/test_browser_s3.py -q

``ONCOGUIDE_FILE_STORE=s3`` keeps a thread's elements in a bucket through Chainlit's S3 client (boto3).
Here the bucket is on moto's S3-compatible server on 127.0.0.1 (``AWS_ENDPOINT_URL``, fake credentials),
the app on SQLite and on a throwaway PostgreSQL. A signed-in patient asks a question that gets source
cards; the cards' content is then in the bucket, and the resumed thread (reloaded, and opened from the
history) shows them again, their text fetched by the browser from the bucket's presigned links.
Screenshots: test-artifacts/14-s3-resumed-*.png.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import free_port
from tests.e2e import test_browser as shared
from tests.e2e.test_browser import ASSISTANT, scenario, screenshot
from tests.e2e.test_browser_resume import DESKTOP, ask, sign_in, signed_in_server
from tests.e2e.test_postgres import postgres_url  # noqa: F401  (the throwaway PostgreSQL fixture)

pytestmark = pytest.mark.browser

boto3 = pytest.importorskip("boto3", reason="boto3 and moto are dev requirements: make setup-dev")
moto_server = pytest.importorskip("moto.server", reason="boto3 and moto are dev requirements: make setup-dev")

browser = shared.browser
BUCKET = "oncoguide-elements"
FAKE_AWS = {"AWS_ACCESS_KEY_ID": "oncoguide-test", "AWS_SECRET_ACCESS_KEY": "oncoguide-test-secret"}
QUESTION = "What is integrative oncology?"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on 127.0.0.1 with an empty bucket; yields its URL."""
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        client(endpoint).create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        server.stop()


def client(endpoint: str) -> Any:  # a boto3 S3 client
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **_credentials())


def _credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": FAKE_AWS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": FAKE_AWS["AWS_SECRET_ACCESS_KEY"],
    }


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request, indexed_kb, settings, s3_endpoint: str, tmp_path_factory) -> Iterator[tuple[str, str]]:
    """A signed-in server keeping its elements in the moto bucket; yields its URL and the database's name."""
    store = {
        "ONCOGUIDE_FILE_STORE": "s3",
        "ONCOGUIDE_FILE_STORE_BUCKET": BUCKET,
        "AWS_ENDPOINT_URL": s3_endpoint,
        "AWS_DEFAULT_REGION": "eu-west-2",
        **FAKE_AWS,
    }
    yield from signed_in_server(request, settings, tmp_path_factory, "s3", store)


def objects(endpoint: str) -> dict[str, bytes]:
    s3 = client(endpoint)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    return {key: s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() for key in keys}


def stored_since(endpoint: str, before: set[str], count: int) -> dict[str, bytes]:
    """The objects written since ``before``, once there are ``count`` of them (the data layer writes them as
    its own tasks after the answer is sent), or whatever is there after 30 s."""
    deadline = time.monotonic() + 30
    while True:
        stored = {k: v for k, v in objects(endpoint).items() if k not in before}
        if len(stored) >= count or time.monotonic() > deadline:
            return stored
        time.sleep(0.2)


def assert_cards_back(page: Page, cards: list[str], bucket_reads: list[str]) -> None:
    """Every source card of the answer is shown, with its text, read from the bucket."""
    answer = page.locator(ASSISTANT).filter(has_text="Sources").first
    expect(answer).to_be_visible(timeout=30_000)
    for name in cards:
        expect(answer.get_by_text(name, exact=True)).to_be_visible()
    expect(answer.get_by_text(re.compile(r"^Sections used: ")).first).to_be_visible()
    expect(page.get_by_text("An error occurred while loading the content")).to_have_count(0)
    assert bucket_reads, "no source card was read from the bucket"


def test_source_cards_kept_in_s3_come_back_on_resume(
    server: tuple[str, str], s3_endpoint: str, browser: Browser
) -> None:
    server, backend = server
    before = set(objects(s3_endpoint))
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    bucket = urlsplit(s3_endpoint).netloc
    bucket_reads: list[str] = []
    failed: list[str] = []
    page.on(
        "response",
        lambda r: (
            (bucket_reads if r.ok else failed).append(f"{r.status} {r.url}")
            if urlsplit(r.url).netloc == bucket
            else None
        ),
    )
    # A read cut short because the page moved on (net::ERR_ABORTED) is not a failed read.
    page.on(
        "requestfailed",
        lambda r: failed.append(f"{r.failure} {r.url}") if "ABORTED" not in (r.failure or "") else None,
    )
    try:
        with scenario(page, f"14-s3-resumed-{backend}-desktop"):
            sign_in(page, server)
            answer = ask(page, QUESTION)
            expect(answer).to_contain_text("Sources")
            cards = [t.strip() for t in answer.get_by_text(re.compile(r"^\[\d\] ")).all_inner_texts()]
            assert cards, "the answer has no source cards"
            expect(page).to_have_url(re.compile(r"/thread/"))
            thread_path = page.url.removeprefix(server)

            # The cards' content is in the bucket, one object each, under the patient's id.
            expect(page.locator("#stop-button")).to_have_count(0, timeout=30_000)
            stored = stored_since(s3_endpoint, before, len(cards))
            names = sorted(k.split("/", 2)[-1] for k in stored)
            assert names == sorted(cards), f"bucket holds {sorted(stored)}, the answer shows {cards}"
            assert all(b"Sections used: " in body for body in stored.values()), stored

            page.reload()  # the same thread, reloaded: the cards' text comes from the bucket
            assert_cards_back(page, cards, bucket_reads)
            screenshot(page, f"14-s3-resumed-reloaded-{backend}-desktop")

            bucket_reads.clear()
            page.goto(server)  # a new chat, then the thread opened from the history
            expect(page.locator('button[id^="starter-"]').first).to_be_enabled(timeout=30_000)
            page.locator(f'a[href$="{thread_path}"]').first.click()
            assert_cards_back(page, cards, bucket_reads)
            assert not failed, f"reads from the bucket failed: {failed}"
    finally:
        context.close()
