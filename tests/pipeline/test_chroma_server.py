"""``CHROMA_URL``: ingest and serving against a real Chroma server (``chroma run``) instead of the embedded
Chroma in the data directory. Both run as their own processes, configured only by the environment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.cluster import chroma_server
from chains.retrieval.chroma_client import chroma_client, server_address
from chains.retrieval.index import COLLECTION_NAME, open_collection
from tests.conftest import ROOT
from tests.pipeline.test_chat_cli import run_chat

pytestmark = pytest.mark.server

# A small library, so the test embeds in seconds: the tamoxifen page and two pages on other subjects.
DOCUMENTS = ["breast/tamoxifen.md", "general/fatigue.md", "lung/lung-basics.md"]


def test_chroma_url_forms() -> None:
    assert server_address("http://127.0.0.1:8001") == ("127.0.0.1", 8001, False)
    assert server_address("chroma.hospital.internal:9000") == ("chroma.hospital.internal", 9000, False)
    assert server_address("https://chroma.hospital.internal") == ("chroma.hospital.internal", 443, True)
    with pytest.raises(ValueError, match="CHROMA_URL"):
        server_address("ftp://chroma")


def test_ingest_and_answers_through_a_chroma_server(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    for document in DOCUMENTS:
        (kb / Path(document).parent).mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "data" / document, kb / document)
    data_dir = tmp_path / "data"
    with chroma_server(tmp_path / "chroma-server", tmp_path) as url:
        env = {
            **os.environ,
            "CHROMA_URL": url,
            "ONCOGUIDE_DATA_DIR": str(data_dir),
            "ONCOGUIDE_KB_DIR": str(kb),
        }
        ingested = subprocess.run(
            [sys.executable, "-m", "loaders.ingest"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
        )
        assert ingested.returncode == 0, ingested.stderr[-3000:]
        assert "added 3, updated 0, unchanged 0, removed 0, errors 0" in ingested.stderr

        records = open_collection(chroma_client(url=url), COLLECTION_NAME).get(include=["metadatas"])
        assert {m["doc_id"] for m in records["metadatas"]} == {"tamoxifen", "fatigue", "lung-basics"}

        again = subprocess.run(
            [sys.executable, "-m", "loaders.ingest"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
        )
        assert "added 0, updated 0, unchanged 3" in again.stderr, again.stderr[-2000:]

        [reply] = run_chat(["What are the side effects of tamoxifen?"], env)
    assert reply["kind"] == "answer"
    assert "tamoxifen" in reply["text"].lower()
    assert reply["sources"][0]["doc_id"] == "tamoxifen"
    assert not (data_dir / "chroma" / "chroma.sqlite3").exists(), (
        "with CHROMA_URL nothing may be written to the embedded Chroma"
    )
