"""Shared fixtures: one temporary data directory per test session, with the real knowledge base
indexed once into real Chroma with the real embedding model. No network, no API keys."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
_SESSION_DIR = Path(tempfile.mkdtemp(prefix="oncoguide-tests-"))

# Set before any chains module reads its settings: tests never touch the developer's data or keys.
os.environ["ONCOGUIDE_DATA_DIR"] = str(_SESSION_DIR / "data")
for _key in (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_MODEL",
    "ONCOGUIDE_ANSWER_ENGINE",
    "DATABASE_URL",
    "CHROMA_URL",
    "ONCOGUIDE_CHROMA_URL",
):
    os.environ.pop(_key, None)
os.environ["ANONYMIZED_TELEMETRY"] = "False"
os.environ["HF_HUB_OFFLINE"] = "1"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if exitstatus != 0:  # a failed run shows the servers' tracebacks (CI keeps nothing else)
        for log in sorted(_SESSION_DIR.glob("*.log")):
            text = log.read_text(errors="replace")
            if "Traceback" in text:
                print(f"\n--- {log.name}: first traceback ---\n{text[text.index('Traceback') - 300 :][:4000]}")
    if os.environ.get("ONCOGUIDE_KEEP_TEST_DIR"):  # keep server logs and data for debugging
        print(f"\ntest data and server logs kept in {_SESSION_DIR}")
        return
    shutil.rmtree(_SESSION_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def session_dir() -> Path:
    return _SESSION_DIR


@pytest.fixture(scope="session")
def settings():
    from chains.settings import get_settings

    return get_settings()


@pytest.fixture(scope="session")
def indexed_kb(settings):
    """The real knowledge base, ingested once per test session."""
    from loaders.ingest import ensure_index

    report = ensure_index(settings)
    assert not report.errors, report.errors
    return report


@pytest.fixture(scope="session")
def guide(indexed_kb, settings):
    from chains.pipeline import OncoGuide

    return OncoGuide.build(settings)


@pytest.fixture(scope="session")
def breast_clinic_guide(indexed_kb, settings):
    """The pipeline as a breast clinic deploys it (``ONCOGUIDE_DEFAULT_CANCER_TYPE=breast``): the labelled sets
    written for OncoGuide's breast-clinic widget, where "my tumour" and "the stages" mean breast cancer."""
    from chains.pipeline import OncoGuide

    return OncoGuide.build(settings.model_copy(update={"default_cancer_type": "breast"}))


@pytest.fixture(scope="module")
def fake_llm():
    """A fake OpenAI-compatible endpoint on 127.0.0.1 (tests/fake_openai.py), one per test module."""
    from tests.fake_openai import FakeOpenAI

    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def llm_guide(indexed_kb, settings, fake_llm):
    """The real pipeline configured for the fake endpoint."""
    from tests.fake_openai import build_llm_guide

    return build_llm_guide(settings.data_dir, fake_llm.base_url)


@pytest.fixture(scope="session")
def vocabulary():
    from chains.understand.vocabulary import default_vocabulary

    return default_vocabulary()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def read_jsonl(name: str) -> list[dict]:
    import json

    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def link_index(settings, data_dir: Path, chroma: bool = True) -> None:
    """Give a test server's data directory the session's index, linked, not copied: the Chroma folder (which
    holds the keyword index too), or, for a server that reads a Chroma server, the keyword index alone."""
    from chains.retrieval.index import COLLECTION_NAME
    from chains.retrieval.keywords import keyword_index_path

    if chroma:
        (data_dir / "chroma").symlink_to(settings.chroma_dir, target_is_directory=True)
        return
    keywords = keyword_index_path(settings.chroma_dir, COLLECTION_NAME)
    (data_dir / "chroma").mkdir(parents=True, exist_ok=True)
    (data_dir / "chroma" / keywords.name).symlink_to(keywords)
