"""Retrieval quality floors over 269 labeled patient questions (tests/data/retrieval_cases.jsonl).

The questions were written for OncoGuide's breast-clinic widget, so they are played through the pipeline
as a breast clinic deploys it (``default_cancer_type="breast"``). Measured through the path production takes: each case is played as a conversation through
``OncoGuide.respond`` (spelling, profile, follow-up rewriting, profile tags), and the documents the
retrieval stage hands to the answer engine are scored. A question answered with a clarification
instead counts as a miss (after a triage question, the patient's "asking in general" is answered and
scored); one routed to urgent care (the right reply to "temp 38.3 on chemo day 10")
is left out of the rate. The floors are in tests/evals/baseline.json, a case or two under the figures measured
there, so a real regression fails; the figures are in docs/BENCHMARKS.md. The index's own ranking behaviour is
tested in tests/pipeline/test_retrieval.py.
"""

from __future__ import annotations

import pytest

from chains.pipeline import PipelineHooks
from chains.retrieval.knowledge_base import KnowledgeBase
from tests.conftest import read_jsonl
from tests.evals.baseline import Figure, check

CASES = read_jsonl("retrieval_cases.jsonl")


@pytest.fixture(scope="module")
def kb(indexed_kb, settings) -> KnowledgeBase:
    return KnowledgeBase.open(settings.chroma_dir)


async def retrieved_documents(guide, case: dict) -> tuple[str, str, list[str]]:
    """Play the case's earlier turns and its question: the reply's kind, the query and the documents."""
    state = guide.new_state(f"retrieval-{case['id']}")
    for turn in case["history"]:
        if turn["role"] == "user":
            await guide.respond(state, turn["content"])
    seen: dict[str, list[str]] = {}

    async def on_retrieval_done(query: str, passages) -> None:
        seen[query] = list(dict.fromkeys(p.doc_id for p in passages))

    hooks = PipelineHooks(on_retrieval_done=on_retrieval_done)
    reply = await guide.respond(state, case["question"], hooks)
    if reply.urgency == "unsure":  # a triage question first: the patient says they are asking in general
        reply = await guide.respond(state, reply.options[-1], hooks)
    query, documents = next(iter(seen.items()), (f"(no retrieval: {reply.kind})", []))
    return reply.kind, query, documents


async def hit_rate(guide, cases: list[dict], k: int = 5) -> tuple[Figure, list[str]]:
    misses, scored = [], 0
    for case in cases:
        kind, query, documents = await retrieved_documents(guide, case)
        if kind == "emergency":
            continue
        scored += 1
        if not set(case["expected"]) & set(documents[:k]):
            misses.append(
                f"{case['id']} {case['question']!r} -> {query!r}: expected {case['expected']}, got {documents}"
            )
    print(f"\n{len(cases) - scored} of {len(cases)} routed to urgent care; hit@5 over {scored}: ", end="")
    return Figure(1 - len(misses) / scored, scored), misses


def test_labeled_set_is_large_and_names_real_documents(kb):
    assert len(CASES) >= 200
    known = set(kb.document_ids())
    assert {doc for case in CASES for doc in case["expected"]} <= known


async def test_standalone_questions_hit_at_5(breast_clinic_guide):
    rate, misses = await hit_rate(breast_clinic_guide, [c for c in CASES if c["group"] != "followup"])
    print(f"standalone {rate.value:.3f}")
    check("retrieval/standalone", {"hit_at_5": rate}, "\n".join(misses))


async def test_follow_up_questions_hit_at_5_after_rewriting(breast_clinic_guide):
    rate, misses = await hit_rate(breast_clinic_guide, [c for c in CASES if c["group"] == "followup"])
    print(f"follow-ups {rate.value:.3f}")
    check("retrieval/followup", {"hit_at_5": rate}, "\n".join(misses))
