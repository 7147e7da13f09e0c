"""The external benchmark's path into the index, on a made-up fixture (never the MedQuAD file itself):
MedQuAD-shaped records -> project JSONL documents -> ``loaders.ingest`` -> chunks that carry the summary's
name and the section heading -> retrievable by ``KnowledgeBase``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.medquad_retrieval import record_to_document, section_heading, write_source
from chains.retrieval.knowledge_base import KnowledgeBase
from loaders.documents import load_file
from loaders.ingest import ingest

FOCUS = "Glimmer Duct Carcinoma"
URL = "https://example.org/glimmer-duct-carcinoma-pdq"
# Invented records in MedQuAD's shape (id, source, focus, qtype, question, answer, url); the disease is fictional.
RECORDS = [
    {
        "id": "Fixture:0001-1",
        "source": "CancerGov",
        "focus": FOCUS,
        "qtype": "information",
        "question": f"What is (are) {FOCUS} ?",
        "answer": "Key Points\n- This is a made-up disease in which cells lining a small duct grow without control.",
        "url": URL,
    },
    {
        "id": "Fixture:0001-2",
        "source": "CancerGov",
        "focus": FOCUS,
        "qtype": "symptoms",
        "question": f"What are the symptoms of {FOCUS} ?",
        "answer": "A lump under the arm or an itchy patch of skin may be caused by it. Check with your doctor.",
        "url": URL,
    },
    {
        "id": "Fixture:0001-3",
        "source": "CancerGov",
        "focus": FOCUS,
        "qtype": "stages",
        "question": f"What are the stages of {FOCUS} ?",
        "answer": "After diagnosis, tests find out whether cells have spread. Stage I is small; stage IV has spread.",
        "url": URL,
    },
    {
        "id": "Fixture:0001-4",
        "source": "CancerGov",
        "focus": FOCUS,
        "qtype": "treatment",
        "question": f"What are the treatments for {FOCUS} ?",
        "answer": "Surgery removes the duct; radiation therapy and chemotherapy may be given afterwards.",
        "url": URL,
    },
]


def test_records_become_documents_titled_by_focus_and_sectioned_by_qtype() -> None:
    docs = [record_to_document(r) for r in RECORDS]
    assert [d["id"] for d in docs] == [r["id"] for r in RECORDS]
    assert {d["title"] for d in docs} == {FOCUS}
    assert [d["section"] for d in docs] == ["Overview", "Signs and symptoms", "Stages", "Treatment"]
    assert all(d["text"] == r["answer"] and d["url"] == URL for d, r in zip(docs, RECORDS, strict=True))
    assert section_heading("exams and tests") == "Diagnosis and tests"
    assert section_heading("outlook") == "Outlook (prognosis)"
    assert section_heading("susceptibility") == section_heading("causes") == "Risk factors"
    assert section_heading("a kind nobody mapped") == "Overview"


def test_loader_reads_the_written_source(tmp_path: Path) -> None:
    source = write_source(RECORDS, tmp_path / "fixture.jsonl")
    assert len(source.read_text(encoding="utf-8").splitlines()) == len(RECORDS)
    assert json.loads(source.read_text(encoding="utf-8").splitlines()[0])["title"] == FOCUS
    docs = load_file(source)
    assert [d.doc_id for d in docs] == [r["id"] for r in RECORDS]
    assert all(d.title == FOCUS and d.url == URL for d in docs)
    assert [d.sections[0].heading for d in docs] == ["Overview", "Signs and symptoms", "Stages", "Treatment"]


@pytest.fixture(scope="module")
def fixture_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    workdir = tmp_path_factory.mktemp("jsonl-bench")
    source = write_source(RECORDS, workdir / "fixture.jsonl")
    report = ingest([source], chroma_dir=workdir / "chroma", collection_name="jsonl_bench_fixture")
    assert not report.errors and sorted(report.added) == sorted(r["id"] for r in RECORDS)
    return KnowledgeBase.open(workdir / "chroma", "jsonl_bench_fixture")


def test_chunks_carry_focus_title_and_section_heading(fixture_kb: KnowledgeBase) -> None:
    expected = {r["id"]: record_to_document(r)["section"] for r in RECORDS}
    for doc_id, heading in expected.items():
        chunks = fixture_kb.document_chunks(doc_id)
        assert chunks, doc_id
        for chunk in chunks:
            assert chunk.title == FOCUS and chunk.heading == heading
            assert chunk.embed_text.startswith(f"{FOCUS}. {heading}.\n")


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r["qtype"])
def test_each_question_retrieves_its_own_record_first(fixture_kb: KnowledgeBase, record: dict) -> None:
    ranked, _ = fixture_kb.rank_documents(record["question"])
    assert ranked[0][0] == record["id"], [doc_id for doc_id, _, _ in ranked]
