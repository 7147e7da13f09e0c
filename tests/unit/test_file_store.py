"""The local and S3 file stores behind resumed threads' source cards, step times and thread names (issue 14).

Fast checks with no server: the browser test (tests/e2e/test_browser_resume.py) shows the whole of it working.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest

from chains.settings import Settings
from chains.ui.file_store import ROUTE, LocalFileStore, link_is_valid, storage_client
from chains.ui.persistence import step_time, thread_title
from tests.conftest import free_port


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


# The S3 store (ONCOGUIDE_FILE_STORE=s3) against moto's S3 server on 127.0.0.1; the browser test
# (tests/e2e/test_browser_s3.py) shows resumed source cards read from it.


@pytest.fixture
def s3_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """moto's S3 server with a bucket, and the AWS environment pointing at it; yields the endpoint."""
    boto3 = pytest.importorskip("boto3", reason="boto3 and moto are dev requirements: make setup-dev")
    moto_server = pytest.importorskip("moto.server", reason="boto3 and moto are dev requirements: make setup-dev")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for name, value in {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "unit-test",
        "AWS_SECRET_ACCESS_KEY": "unit-test-secret",
        "AWS_DEFAULT_REGION": "eu-west-2",
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    }.items():
        monkeypatch.setenv(name, value)
    try:
        httpx.post(f"{endpoint}/moto-api/reset")  # moto keeps its buckets per process, across servers
        boto3.client("s3").create_bucket(Bucket="cards", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
        yield endpoint
    finally:
        server.stop()


def s3_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, file_store="s3", file_store_bucket="cards")


def test_s3_store_keeps_a_card_and_reads_it_back_through_a_v4_link(s3_env: str, tmp_path: Path) -> None:
    store = storage_client(s3_settings(tmp_path))
    key = "user-1/element-1/[1] Ribociclib (Kisqali)"
    uploaded = asyncio.run(store.upload_file(key, "Sections used: Side effects", mime="text/plain"))
    # Chainlit's client stored https://<bucket>.s3.amazonaws.com/<key>, wrong for any other endpoint.
    assert uploaded == {"object_key": key, "url": ""}
    url = asyncio.run(store.get_read_url(key))
    assert url.startswith(s3_env + "/cards/"), url
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"] and "/eu-west-2/s3/" in query["X-Amz-Credential"][0]
    response = httpx.get(url)
    assert response.status_code == 200 and response.text == "Sections used: Side effects"
    assert response.headers["content-type"] == "text/plain"
    assert asyncio.run(store.delete_file(key))
    assert httpx.get(asyncio.run(store.get_read_url(key))).status_code == 404


def test_s3_store_closes_cleanly(s3_env: str, tmp_path: Path) -> None:
    """The data layer awaits close() at shutdown; Chainlit's client awaited boto3's plain close() and failed."""
    asyncio.run(storage_client(s3_settings(tmp_path)).close())


def test_s3_store_without_a_region_stops_the_app(s3_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    with pytest.raises(ValueError, match="AWS_DEFAULT_REGION"):
        storage_client(s3_settings(tmp_path))
