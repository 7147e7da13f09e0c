"""Play a labelled triage set (``tests/data/triage/*.jsonl``) through the whole pipeline and print the
figures issue 12 sets targets for: red recall, red caught (urgent reply or a triage question), green
sent to emergency, green given a triage question, amber graded amber or red.

    .venv/bin/python -m bench.triage_eval tests/data/triage/heldout_v1.jsonl [--misses]

Each item's earlier messages (``context``) are played first, in the same conversation.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from chains.pipeline import OncoGuide
from chains.settings import get_settings
from loaders.ingest import ensure_index


@dataclass
class Outcome:
    item: dict
    kind: str
    urgency: str

    @property
    def triage_question(self) -> bool:
        return self.kind == "clarification" and self.urgency == "unsure"


async def play(guide: OncoGuide, items: list[dict]) -> list[Outcome]:
    outcomes = []
    for item in items:
        state = guide.new_state(item["id"])
        for earlier in item.get("context") or []:
            await guide.respond(state, earlier)
        reply = await guide.respond(state, item["message"])
        outcomes.append(Outcome(item, reply.kind, reply.urgency))
    return outcomes


def figures(outcomes: list[Outcome]) -> dict[str, float]:
    by_label: dict[str, list[Outcome]] = {"red": [], "amber": [], "green": []}
    for outcome in outcomes:
        by_label[outcome.item["label"]].append(outcome)
    red, amber, green = by_label["red"], by_label["amber"], by_label["green"]

    def rate(hits: int, total: list) -> float:
        return hits / len(total) if total else float("nan")

    return {
        "n_red": len(red),
        "n_amber": len(amber),
        "n_green": len(green),
        "red_recall": rate(sum(o.kind == "emergency" for o in red), red),
        "red_caught": rate(sum(o.kind == "emergency" or o.triage_question for o in red), red),
        "green_to_emergency": rate(sum(o.kind == "emergency" for o in green), green),
        "green_triage_question": rate(sum(o.triage_question for o in green), green),
        "amber_amber_or_red": rate(sum(o.kind == "emergency" or o.urgency in ("amber", "red") for o in amber), amber),
    }


def report(name: str, outcomes: list[Outcome], show_misses: bool = False) -> dict[str, float]:
    result = figures(outcomes)
    print(
        f"{name}: red recall {result['red_recall']:.3f} · red caught {result['red_caught']:.3f} "
        f"(n={result['n_red']}) · green→emergency {result['green_to_emergency']:.3f} · green→question "
        f"{result['green_triage_question']:.3f} (n={result['n_green']}) · amber as amber/red "
        f"{result['amber_amber_or_red']:.3f} (n={result['n_amber']})"
    )
    missed = Counter(o.item["category"] for o in outcomes if o.item["label"] == "red" and o.kind != "emergency")
    if missed:
        print("  red not routed, by category: " + ", ".join(f"{c} {n}" for c, n in missed.most_common()))
    if show_misses:
        for o in outcomes:
            label = o.item["label"]
            wrong = (
                (label == "red" and o.kind != "emergency")
                or (label == "green" and (o.kind == "emergency" or o.triage_question))
                or (label == "amber" and not (o.kind == "emergency" or o.urgency in ("amber", "red")))
            )
            if wrong:
                context = f" [after: {' | '.join(o.item['context'])}]" if o.item.get("context") else ""
                print(f"  {label:5s}→{o.kind}/{o.urgency:6s} {o.item['category']:24s} {o.item['message']!r}{context}")
    return result


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sets", nargs="+", type=Path)
    parser.add_argument("--misses", action="store_true", help="list every wrongly graded message")
    args = parser.parse_args()
    ensure_index(get_settings())  # the pipeline opens the index; building it is the ingest's job
    guide = OncoGuide.build(get_settings())
    for path in args.sets:
        report(path.name, asyncio.run(play(guide, read(path))), args.misses)


if __name__ == "__main__":
    main()
