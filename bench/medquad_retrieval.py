"""Retrieval on an external benchmark: the CancerGov subset of MedQuAD (729 real questions, 729 answers).

Run from the repository root::

    .venv/bin/python -m bench.medquad_retrieval

Reads ``../shared/datasets/medquad/medquad_cancer_answered.jsonl`` (relative to the repository; if it is
missing the script says so and exits 0), keeps the 729 CancerGov records, and writes each as one document
of the project's JSONL source format in a temporary directory:

* ``id``      = the record's id (a hit means the retrieved document id equals the question's own record id)
* ``title``   = the record's ``focus``, the name of the NCI PDQ summary the answer comes from
* ``section`` = a heading derived from the record's ``qtype`` (``SECTION_HEADINGS`` below)
* ``text``    = the answer, ``url`` = the PDQ summary's address.

Why a section heading: every answer is one section of a PDQ patient summary, and on the source page that
section sits under a heading ("Stages of ...", "Treatment Option Overview", "Signs and symptoms of ..." ...).
MedQuAD's answer texts dropped those headings and kept only the section's kind (``qtype``). Restoring a heading is restoring
document structure, exactly what the project's Markdown/HTML loaders keep for every section; the heading is
a fixed function of ``qtype`` and never uses a question's wording. The questions, though, are templated per
``qtype`` ("What are the stages of X ?"), so the heading words do overlap with the question templates: that
is the point of section-aware chunks, and also why these numbers say more about picking the right section of
the right summary than about free-form patient wording.

The documents are indexed through ``loaders.ingest`` (section-aware chunks, "Title. Heading.\\ntext") into a
separate collection in a temporary Chroma directory, the 729 questions are asked through
``KnowledgeBase.rank_documents`` in keyword (BM25), dense and hybrid mode (and hybrid with the weights used
before this benchmark, ``PREVIOUS_WEIGHTS``), and hit@1, hit@5, MRR@10 and milliseconds per query are printed as
one Markdown table. ``--index-dir DIR`` keeps the index for the next run (ingest skips unchanged documents). Two baselines as ``/work/shared/MEASURED.md`` defines
them are printed beside it: BM25 (rank-bm25, lower-cased, punctuation stripped) and dense all-MiniLM-L6-v2,
each over the raw answer texts with no title or heading.

MedQuAD: Ben Abacha A., Demner-Fushman D., A question-entailment approach to question answering,
BMC Bioinformatics 20:511, 2019; CC BY 4.0.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from chains.retrieval.knowledge_base import KnowledgeBase
    from loaders.ingest import IngestReport

ROOT = Path(__file__).resolve().parent.parent
MEDQUAD_FILE = ROOT.parent / "shared" / "datasets" / "medquad" / "medquad_cancer_answered.jsonl"
SOURCE = "CancerGov"
COLLECTION = "medquad_cancergov"
ATTRIBUTION = (
    "MedQuAD: Ben Abacha A., Demner-Fushman D., A question-entailment approach to question answering, "
    "BMC Bioinformatics 20:511, 2019; CC BY 4.0."
)

# qtype -> the heading of that section as a PDQ patient summary titles it (document structure, not question text).
SECTION_HEADINGS: dict[str, str] = {
    "information": "Overview",
    "symptoms": "Signs and symptoms",
    "exams and tests": "Diagnosis and tests",
    "outlook": "Outlook (prognosis)",
    "susceptibility": "Risk factors",
    "causes": "Risk factors",
    "stages": "Stages",
    "treatment": "Treatment",
    "research": "Clinical trials",
    "prevention": "Prevention",
    "inheritance": "Genetics",
    "genetic changes": "Genetics",
}
DEFAULT_HEADING = "Overview"

_BASELINE_TOKEN = re.compile(r"[a-z0-9]+")


def section_heading(qtype: str) -> str:
    """The PDQ-style heading for a MedQuAD ``qtype`` (``Overview`` for kinds not in the table)."""
    return SECTION_HEADINGS.get(qtype.strip().lower(), DEFAULT_HEADING)


def record_to_document(record: dict[str, Any]) -> dict[str, Any]:
    """One MedQuAD record as one document of the project's JSONL format (see ``loaders.documents.read_jsonl``)."""
    return {
        "id": record["id"],
        "title": record["focus"],
        "section": section_heading(record.get("qtype", "")),
        "text": record["answer"],
        "url": record.get("url", ""),
        "source": f"MedQuAD ({record.get('source', SOURCE)})",
    }


def read_records(path: Path, source: str = SOURCE) -> list[dict[str, Any]]:
    """The records of one MedQuAD source that have an answer, in file order."""
    records = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                if record.get("source") == source and record.get("answer", "").strip():
                    records.append(record)
    return records


def write_source(records: Sequence[dict[str, Any]], path: Path) -> Path:
    """Write the records as a JSONL document source the project's loaders read."""
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record_to_document(record), ensure_ascii=False) + "\n")
    return path


# --- metrics ------------------------------------------------------------------------------------------
@dataclass
class Result:
    name: str
    hit1: float
    hit5: float
    mrr10: float
    ms_per_query: float

    def row(self) -> str:
        return f"| {self.name} | {self.hit1:.3f} | {self.hit5:.3f} | {self.mrr10:.3f} | {self.ms_per_query:.1f} |"


def evaluate(name: str, rank: Callable[[str], list[str]], questions: Sequence[tuple[str, str]]) -> Result:
    """Ask every (question, expected id); ``rank`` returns document ids best first."""
    hit1 = hit5 = reciprocal = 0.0
    started = time.perf_counter()
    for question, expected in questions:
        ranked = rank(question)[:10]
        if expected in ranked:
            position = ranked.index(expected)
            hit1 += position == 0
            hit5 += position < 5
            reciprocal += 1.0 / (position + 1)
    elapsed_ms = (time.perf_counter() - started) * 1000
    n = len(questions)
    return Result(name, hit1 / n, hit5 / n, reciprocal / n, elapsed_ms / n)


def hit1_ceiling(questions: Sequence[tuple[str, str]]) -> tuple[float, int]:
    """The best reachable hit@1 when identical questions expect different records, and how many questions share."""
    counts = Counter(question for question, _ in questions)
    shared = sum(c for c in counts.values() if c > 1)
    return (len(questions) - sum(c - 1 for c in counts.values())) / len(questions), shared


# --- baselines as MEASURED.md defines them: raw answer texts, no title, no heading ----------------------
def baseline_tokens(text: str) -> list[str]:
    return _BASELINE_TOKEN.findall(text.lower())


def baseline_bm25(records: Sequence[dict[str, Any]]) -> Callable[[str], list[str]]:
    from rank_bm25 import BM25Okapi

    ids = [r["id"] for r in records]
    bm25 = BM25Okapi([baseline_tokens(r["answer"]) for r in records])

    def rank(question: str) -> list[str]:
        scores = bm25.get_scores(baseline_tokens(question))
        return [ids[i] for i in np.argsort(-scores)[:10]]

    return rank


def baseline_dense(records: Sequence[dict[str, Any]]) -> Callable[[str], list[str]]:
    from chains.retrieval.embeddings import get_encoder

    ids = [r["id"] for r in records]
    matrix = get_encoder().encode([r["answer"] for r in records])

    def rank(question: str) -> list[str]:
        scores = matrix @ get_encoder().encode([question])[0]
        return [ids[i] for i in np.argsort(-scores)[:10]]

    return rank


# --- the product's retrieval over the same answers, loaded through the project's loaders ---------------
def build_knowledge_base(records: Sequence[dict[str, Any]], workdir: Path) -> tuple[KnowledgeBase, IngestReport]:
    """Index the records through ``loaders.ingest`` into a separate collection; returns (KnowledgeBase, report)."""
    from chains.retrieval.knowledge_base import KnowledgeBase
    from loaders.ingest import ingest

    source = write_source(records, workdir / "medquad_cancergov.jsonl")
    chroma_dir = workdir / "chroma"
    report = ingest([source], chroma_dir=chroma_dir, collection_name=COLLECTION)
    if report.errors:
        raise SystemExit("ingest failed: " + "; ".join(report.errors))
    return KnowledgeBase.open(chroma_dir, COLLECTION), report


def product_ranker(kb: KnowledgeBase, mode: str) -> Callable[[str], list[str]]:
    def rank(question: str) -> list[str]:
        ranked, _ = kb.rank_documents(question, mode=mode)
        return [doc_id for doc_id, _, _ in ranked[:10]]

    return rank


# The weights before this benchmark existed: reciprocal-rank fusion, no heading field, second-chunk bonus.
PREVIOUS_WEIGHTS: dict[str, Any] = {"fusion": "rrf", "heading": 0.0, "second_chunk_bonus": 0.15}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="MedQuAD CancerGov retrieval benchmark (hit@1, hit@5, MRR@10).")
    parser.add_argument("--data", type=Path, default=MEDQUAD_FILE, help="medquad_cancer_answered.jsonl")
    parser.add_argument("--no-baselines", action="store_true", help="skip the raw-text baselines")
    parser.add_argument(
        "--index-dir", type=Path, help="keep the index here and reuse it next run (default: a temporary directory)"
    )
    args = parser.parse_args(argv)
    if not args.data.exists():
        print(f"MedQuAD file not found at {args.data}; nothing to measure (see /work/shared/datasets/medquad).")
        return 0
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    from chains.retrieval.knowledge_base import KnowledgeBase, RetrievalWeights

    records = read_records(args.data)
    questions = [(r["question"], r["id"]) for r in records]
    print(
        f"MedQuAD {SOURCE}: {len(records)} answers from {len({r['url'] for r in records})} PDQ summaries, "
        f"{len(questions)} questions.",
        file=sys.stderr,
    )

    workdir = args.index_dir or Path(tempfile.mkdtemp(prefix="medquad-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        kb, report = build_knowledge_base(records, workdir)
        print(
            f"indexed through loaders.ingest: {report.summary()} ({time.perf_counter() - started:.1f}s)",
            file=sys.stderr,
        )
        product_ranker(kb, "hybrid")("warm-up")  # load the model before timing
        previous = KnowledgeBase(kb.collection, RetrievalWeights(**PREVIOUS_WEIGHTS), keywords=kb.keywords)
        results = [
            evaluate("BM25 alone (`rank_documents`, mode keyword)", product_ranker(kb, "keyword"), questions),
            evaluate("dense alone (`rank_documents`, mode dense)", product_ranker(kb, "dense"), questions),
            evaluate(
                "hybrid, previous weights (RRF 1.0/0.5, second-chunk bonus)",
                product_ranker(previous, "hybrid"),
                questions,
            ),
            evaluate("**product hybrid** (`rank_documents`, default weights)", product_ranker(kb, "hybrid"), questions),
        ]
        baselines = []
        if not args.no_baselines:
            baselines = [
                evaluate("baseline: BM25 over raw answer texts", baseline_bm25(records), questions),
                evaluate("baseline: dense MiniLM over raw answer texts", baseline_dense(records), questions),
            ]
    finally:
        if args.index_dir is None:
            shutil.rmtree(workdir, ignore_errors=True)

    print(
        f"\nMedQuAD CancerGov: {len(questions)} questions, {len(records)} answers as documents "
        f"({len(kb)} chunks); a hit = the question's own record id.\n"
    )
    print("| retrieval | hit@1 | hit@5 | MRR@10 | ms/query |")
    print("|---|---|---|---|---|")
    for result in results:
        print(result.row())
    ceiling, shared = hit1_ceiling(questions)
    print(
        f"\n{shared} questions share their exact wording with another question whose answer differs, "
        f"so hit@1 cannot exceed {ceiling:.3f}."
    )
    if baselines:
        print(
            "\nBaselines as /work/shared/MEASURED.md defines them (answer text only: no title, no heading, no chunking):\n"
        )
        print("| baseline | hit@1 | hit@5 | MRR@10 | ms/query |")
        print("|---|---|---|---|---|")
        for result in baselines:
            print(result.row())
    print(f"\n{ATTRIBUTION}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
