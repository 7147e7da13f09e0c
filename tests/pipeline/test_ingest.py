"""Ingestion: every supported format, incremental by content, bad files reported and skipped."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from chains.pipeline import IndexNotReady, check_index
from chains.retrieval.index import open_client, open_collection
from loaders.ingest import ingest

DOC = """---
id: {doc_id}
title: "{title}"
topics: [test topic]
applies_to: [all]
evidence: general information
reviewed: {reviewed}
sources:
  - name: "NCI"
    url: https://www.cancer.gov/
---

# {title}

## Key points
- {title} is a test document about {subject}.

## What it is
{subject} is explained here in plain words so the test can find it.
"""


def write_doc(folder: Path, doc_id: str, subject: str, reviewed: str = "2026-11-01") -> Path:
    path = folder / f"{doc_id}.md"
    path.write_text(DOC.format(doc_id=doc_id, title=doc_id.title(), subject=subject, reviewed=reviewed))
    return path


def doc_ids(chroma_dir: Path, name: str) -> set[str]:
    collection = open_collection(open_client(chroma_dir), name)
    return {m["doc_id"] for m in collection.get(include=["metadatas"])["metadatas"]}


@pytest.fixture
def workspace(tmp_path: Path) -> tuple[Path, Path, str]:
    kb = tmp_path / "kb"
    kb.mkdir()
    return kb, tmp_path / "chroma", f"test_{tmp_path.name[-8:]}".replace("-", "_")


def test_incremental_ingest_skips_unchanged_updates_changed_removes_deleted(workspace):
    kb, chroma, name = workspace
    a = write_doc(kb, "alpha", "neutrophils")
    write_doc(kb, "beta", "lymphedema")
    first = ingest([kb], chroma_dir=chroma, collection_name=name)
    assert sorted(first.added) == ["alpha", "beta"] and first.chunks_embedded > 0

    second = ingest([kb], chroma_dir=chroma, collection_name=name)
    assert sorted(second.unchanged) == ["alpha", "beta"]
    assert second.chunks_embedded == 0 and not second.changed

    a.write_text(a.read_text().replace("plain words", "very plain words"))
    (kb / "beta.md").unlink()
    third = ingest([kb], chroma_dir=chroma, collection_name=name)
    assert third.updated == ["alpha"] and third.removed == ["beta"]
    assert doc_ids(chroma, name) == {"alpha"}


def test_the_keyword_index_follows_changed_and_removed_documents(workspace):
    from chains.retrieval.keywords import KeywordIndex, keyword_index_path
    from chains.retrieval.knowledge_base import KnowledgeBase

    kb, chroma, name = workspace
    a = write_doc(kb, "alpha", "neutrophils and the quorvantic marker")
    write_doc(kb, "beta", "lymphedema and the zelbrinox sleeve")
    write_doc(kb, "gamma", "hot flashes")  # more documents, so that a word in one of them is rare (idf > 0)
    write_doc(kb, "delta", "mouth sores")
    ingest([kb], chroma_dir=chroma, collection_name=name)
    knowledge = KnowledgeBase.open(chroma, name)
    assert knowledge.document_ids() == ["alpha", "beta", "delta", "gamma"]
    assert knowledge.idf("quorvantic") > 0 and knowledge.idf("zelbrinox") > 0
    assert knowledge.rank_documents("quorvantic", mode="keyword")[0][0][0] == "alpha"

    a.write_text(a.read_text().replace("quorvantic", "plimsaro"))
    (kb / "beta.md").unlink()
    report = ingest([kb], chroma_dir=chroma, collection_name=name)
    assert report.updated == ["alpha"] and report.removed == ["beta"]

    assert knowledge.document_ids() == ["alpha", "delta", "gamma"] and not knowledge.document_chunks("beta")
    assert knowledge.idf("quorvantic") == 0 and knowledge.idf("zelbrinox") == 0  # the old rows are gone
    assert knowledge.rank_documents("quorvantic zelbrinox", mode="keyword")[0] == []
    assert knowledge.rank_documents("plimsaro", mode="keyword")[0][0][0] == "alpha"
    assert all("quorvantic" not in c.text for c in knowledge.document_chunks("alpha"))
    index = KeywordIndex(keyword_index_path(chroma, name))
    assert set(index.fingerprints()) == {"alpha", "delta", "gamma"}
    assert index.db.execute("select count(*) from chunks where doc_id = 'beta'").fetchone() == (0,)
    assert len(knowledge) == len(open_collection(open_client(chroma), name).get()["ids"])


def test_a_running_knowledge_base_drops_its_caches_when_a_document_changes(workspace):
    """Rankings, chunk vectors and sentence vectors are cached per process; chunk ids stay the same when a
    document's text changes, so the caches must follow the index, not the ids."""
    from chains.retrieval.knowledge_base import KnowledgeBase

    kb, chroma, name = workspace
    a = write_doc(kb, "alpha", "neutrophils and the quorvantic marker")
    for doc_id, subject in (("beta", "lymphedema"), ("gamma", "hot flashes"), ("delta", "mouth sores")):
        write_doc(kb, doc_id, subject)
    ingest([kb], chroma_dir=chroma, collection_name=name)
    knowledge = KnowledgeBase.open(chroma, name)
    assert knowledge.rank_documents("quorvantic", mode="keyword")[0][0][0] == "alpha"
    ranked, _ = knowledge.rank_documents("quorvantic marker")
    assert ranked[0][0] == "alpha"
    chunk_ids = ranked[0][2]
    sentences = [text for units in knowledge.unit_vectors(chunk_ids).values() for text, _ in units]
    assert any("quorvantic" in text for text in sentences)

    a.write_text(a.read_text().replace("quorvantic", "plimsaro"))
    assert ingest([kb], chroma_dir=chroma, collection_name=name).updated == ["alpha"]

    assert knowledge.rank_documents("quorvantic", mode="keyword")[0] == []
    assert knowledge.rank_documents("quorvantic marker")[0][0][2] == chunk_ids  # the same ids, new text
    sentences = [text for units in knowledge.unit_vectors(chunk_ids).values() for text, _ in units]
    assert any("plimsaro" in text for text in sentences) and not any("quorvantic" in text for text in sentences)


def test_a_keyword_index_that_is_missing_is_rebuilt_without_embedding(workspace):
    from chains.retrieval.keywords import keyword_index_path
    from chains.retrieval.knowledge_base import KnowledgeBase

    kb, chroma, name = workspace
    write_doc(kb, "alpha", "neutrophils")
    ingest([kb], chroma_dir=chroma, collection_name=name)
    path = keyword_index_path(chroma, name)
    for file in path.parent.glob(f"{path.name}*"):
        file.unlink()
    report = ingest([kb], chroma_dir=chroma, collection_name=name)
    assert report.unchanged == ["alpha"] and report.chunks_embedded == 0 and report.keywords_rewritten == 1
    assert KnowledgeBase.open(chroma, name).document_ids() == ["alpha"]


def test_a_rare_keyword_finds_a_chunk_whose_meaning_is_far_from_the_question(workspace):
    from chains.retrieval.knowledge_base import RELEVANT_SIMILARITY, KnowledgeBase

    kb, chroma, name = workspace
    for doc_id, subject in [("nausea", "nausea after chemotherapy"), ("fatigue", "tiredness during radiotherapy")]:
        write_doc(kb, doc_id, subject)
    write_doc(kb, "parking", "car parking at the hospital, where the permit code is VX7Q")
    ingest([kb], chroma_dir=chroma, collection_name=name)
    knowledge = KnowledgeBase.open(chroma, name)
    question = "How do I manage sickness and vomiting? vx7q"
    passages = knowledge.search(question, k=3)
    found = [p for p in passages if p.doc_id == "parking"]
    assert found and found[0].similarity < RELEVANT_SIMILARITY  # found by the keyword, not by meaning
    dense, _ = knowledge.rank_documents(question, mode="dense")
    keyword, _ = knowledge.rank_documents(question, mode="keyword")
    assert dense[0][0] != "parking" and keyword[0][0] == "parking"


def test_bad_files_are_reported_with_reason_and_the_rest_load(workspace):
    kb, chroma, name = workspace
    write_doc(kb, "good", "fatigue")
    (kb / "bad-yaml.md").write_text("---\nid: [unclosed\n---\n# T\n\n## Key points\n- x\n")
    (kb / "missing-keys.md").write_text("---\nid: missing\ntitle: Missing\n---\n# Missing\n\n## Key points\n- x\n")
    (kb / "binary.txt").write_bytes(b"\x00\x01\x02binary\x00")
    (kb / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    report = ingest([kb], chroma_dir=chroma, collection_name=name)
    assert report.added == ["good"]
    reasons = "\n".join(report.errors)
    assert "bad-yaml.md" in reasons and "not valid YAML" in reasons
    assert "missing-keys.md" in reasons and "lacks" in reasons and "sources" in reasons
    assert "binary.txt" in reasons
    assert "broken.pdf" in reasons
    assert doc_ids(chroma, name) == {"good"}


def test_every_format_loads_into_searchable_chunks(workspace):
    from reportlab.pdfgen import canvas

    from chains.retrieval.knowledge_base import KnowledgeBase

    kb, chroma, name = workspace
    write_doc(kb, "markdown-doc", "ribociclib monitoring")
    (kb / "notes.txt").write_text("Scalp cooling\n\nScalp cooling can reduce hair loss during chemotherapy.")
    (kb / "page.html").write_text(
        "<html><head><title>T</title><script>alert(1)</script></head><body><h1>Lymphedema care</h1>"
        "<h2>Compression</h2><p>Compression sleeves help control arm swelling after node surgery.</p></body></html>"
    )
    pdf_path = kb / "letter.pdf"
    pdf = canvas.Canvas(str(pdf_path))
    pdf.drawString(72, 720, "Bone health: denosumab and zoledronic acid protect bones.")
    pdf.save()
    records = [
        {"id": "rec-1", "title": "Hot flashes", "text": "Hot flashes are common with endocrine therapy."},
        {"id": "rec-2", "title": "Mouth sores", "answer": "Mouth sores can follow chemotherapy.", "section": "Care"},
    ]
    (kb / "records.jsonl").write_text("\n".join(json.dumps(r) for r in records))
    report = ingest([kb], chroma_dir=chroma, collection_name=name)
    assert not report.errors, report.errors
    assert set(report.added) == {"markdown-doc", "notes", "page", "letter", "rec-1", "rec-2"}

    knowledge = KnowledgeBase.open(chroma, name)
    html_chunks = knowledge.document_chunks("page")
    assert html_chunks[0].heading == "Compression" and "alert" not in html_chunks[0].text
    assert knowledge.search("arm swelling compression sleeve", k=1)[0].doc_id == "page"
    assert knowledge.search("denosumab protects bones", k=1)[0].doc_id == "letter"
    assert knowledge.search("mouth sores after chemotherapy", k=1)[0].doc_id == "rec-2"


def test_section_aware_chunks_keep_title_and_heading(workspace):
    kb, chroma, name = workspace
    write_doc(kb, "gamma", "hot flashes")
    ingest([kb], chroma_dir=chroma, collection_name=name)
    records = open_collection(open_client(chroma), name).get(include=["metadatas", "documents"])
    headings = {m["heading"] for m in records["metadatas"]}
    assert headings == {"Key points", "What it is"}
    assert all(doc.startswith("Gamma. ") for doc in records["documents"])


def test_stale_documents_are_listed_for_review_at_every_ingest(workspace):
    kb, chroma, name = workspace
    write_doc(kb, "fresh", "nausea", reviewed="2026-10-01")
    write_doc(kb, "stale", "anemia", reviewed="2024-01-15")
    today = dt.date(2026, 11, 24)
    for _ in range(2):  # listed again even when nothing changed
        report = ingest([kb], chroma_dir=chroma, collection_name=name, today=today)
        assert report.due_for_review == ["stale (reviewed 2024-01-15)"]


def test_the_pipeline_opens_only_an_index_the_ingest_finished_for_this_version(workspace):
    """The server never builds the index: it refuses a missing one, and one built for other chunking or
    another model, until the ingest has (re)built it."""
    kb, chroma, name = workspace
    with pytest.raises(IndexNotReady, match="no knowledge-base index"):
        check_index(chroma, name)
    write_doc(kb, "alpha", "neutrophils")
    ingest([kb], chroma_dir=chroma, collection_name=name)
    check_index(chroma, name)
    open_client(chroma).get_collection(name).modify(metadata={"index_version": "v0|an older model"})
    with pytest.raises(IndexNotReady, match="was built as 'v0"):
        check_index(chroma, name)
    ingest([kb], chroma_dir=chroma, collection_name=name)  # nothing to re-embed here, but the run stamps it
    check_index(chroma, name)
    assert doc_ids(chroma, name) == {"alpha"}  # the collection keeps its documents (and cosine distance)


def test_the_shipped_knowledge_base_loads_cleanly(indexed_kb, settings):
    from loaders.documents import discover, load_file

    files = discover([settings.kb_dir])
    docs = [doc for path in files for doc in load_file(path)]
    assert len(docs) >= 60
    for doc in docs:
        headings = {s.heading.lower() for s in doc.sections}
        assert "key points" in headings, doc.doc_id
        assert "questions to ask your care team" in headings, doc.doc_id
        assert "where to learn more" in headings, doc.doc_id
        assert len(doc.sources) >= 2 and doc.reviewed, doc.doc_id
    assert not indexed_kb.errors
