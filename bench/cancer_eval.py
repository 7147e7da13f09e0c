"""Issue 16's measures over the labelled sets in tests/data/cancers/, through the real pipeline.

- Retrieval (``retrieval_cancers.jsonl``, 432 questions on twelve cancers by two blind writers): hit@5 of the
  documents the retrieval stage hands to the answer engine, and whether the top document is about the
  patient's cancer type. A clarification counts as a miss; an urgent reply is left out.
- Scope (``scope_cases.jsonl``, 220 in-domain and 110 off-topic messages by a third writer): in-domain
  messages turned away (target 0) and off-topic ones turned away (target ≥ 95 %).

    .venv/bin/python -m bench.cancer_eval [--misses] [--retrieval FILE] [--scope FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path

from chains.cancer_types import ANY
from chains.pipeline import OncoGuide, PipelineHooks
from loaders.ingest import ensure_index

SETS = Path(__file__).resolve().parent.parent / "tests" / "data" / "cancers"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


async def play(guide: OncoGuide, case: dict) -> tuple[str, list[str]]:
    """The case's earlier messages, then its question: the reply's kind and the documents retrieved for it."""
    state = guide.new_state(f"cancers-{case['id']}")
    for turn in case.get("history", []):
        await guide.respond(state, turn["content"])
    seen: list[list[str]] = []

    async def on_retrieval_done(_query: str, passages) -> None:
        seen.append(list(dict.fromkeys(p.doc_id for p in passages)))

    hooks = PipelineHooks(on_retrieval_done=on_retrieval_done)
    reply = await guide.respond(state, case["question"], hooks)
    if reply.urgency == "unsure":  # a triage question first: the patient says they are asking in general
        reply = await guide.respond(state, reply.options[-1], hooks)
    return reply.kind, (seen[-1] if seen and reply.kind == "answer" else [])


@dataclass
class RetrievalFigures:
    scored: int = 0
    hits: int = 0
    right_type: int = 0
    other_cancer: int = 0  # the top document is about a different cancer (not one written for every cancer)
    clarified: int = 0
    urgent: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def hit_at_5(self) -> float:
        return self.hits / self.scored if self.scored else 0.0

    @property
    def top_type(self) -> float:
        return self.right_type / self.scored if self.scored else 0.0


async def retrieval(guide: OncoGuide, cases: list[dict]) -> RetrievalFigures:
    figures = RetrievalFigures()
    for case in cases:
        kind, documents = await play(guide, case)
        if kind == "emergency":
            figures.urgent += 1
            continue
        figures.scored += 1
        figures.clarified += kind == "clarification"
        if set(case["expected"]) & set(documents[:5]):
            figures.hits += 1
        else:
            figures.misses.append(
                f"{case['id']} [{kind}] {case['question'][:90]!r}: {case['expected']} got {documents[:5]}"
            )
        if documents and guide.kb.cancer_type_of(documents[0]) == case["cancer_type"]:
            figures.right_type += 1
        elif documents:
            figures.other_cancer += guide.kb.cancer_type_of(documents[0]) != ANY
            figures.misses.append(f"{case['id']} [top: another type] {case['question'][:90]!r}: {documents[0]}")
    return figures


async def scope(guide: OncoGuide, cases: list[dict]) -> tuple[list[str], list[str], int, int]:
    """In-domain messages turned away, off-topic ones answered, and off-topic ones turned away out of how many."""
    wrongly, kept, off_turned, off_total = [], [], 0, 0
    for case in cases:
        reply = await guide.respond(guide.new_state(f"scope-{case['id']}"), case["message"])
        turned_away = reply.kind == "out_of_scope"
        if case["label"] == "in_domain" and turned_away:
            wrongly.append(f"{case['id']} {case['message']!r}")
        elif case["label"] == "off_topic":
            off_total += 1
            off_turned += turned_away
            if not turned_away:
                kept.append(f"{case['id']} [{reply.kind}] {case['message']!r}")
    return wrongly, kept, off_turned, off_total


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--misses", action="store_true", help="list every miss")
    parser.add_argument("--retrieval", default="retrieval_cancers.jsonl", help="a set in tests/data/cancers/")
    parser.add_argument("--scope", default="scope_cases.jsonl", help="a set in tests/data/cancers/")
    args = parser.parse_args()
    ensure_index()  # the pipeline opens the index; building it is the ingest's job
    guide = OncoGuide.build()
    cases = read_jsonl(SETS / args.retrieval)
    figures = await retrieval(guide, cases)
    print(
        f"retrieval: {figures.scored} scored ({figures.urgent} urgent left out): hit@5 {figures.hit_at_5:.3f}, "
        f"top document about the patient's cancer {figures.top_type:.3f} (about another cancer "
        f"{figures.other_cancer / max(figures.scored, 1):.3f}), clarified {figures.clarified}"
    )
    for group in ("standalone", "history"):
        part = await retrieval(guide, [c for c in cases if c["group"] == group])
        print(f"  {group}: hit@5 {part.hit_at_5:.3f}, top type {part.top_type:.3f} over {part.scored}")
    wrongly, kept, off_turned, off_total = await scope(guide, read_jsonl(SETS / args.scope))
    print(
        f"scope: in-domain turned away {len(wrongly)}; off-topic turned away {off_turned}/{off_total} = {off_turned / off_total:.3f}"
    )
    if args.misses:
        print("\n".join(figures.misses + ["turned away: " + w for w in wrongly] + ["answered: " + k for k in kept]))


if __name__ == "__main__":
    asyncio.run(main())
