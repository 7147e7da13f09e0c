"""Clarify-gate quality over the labeled set: precision, recall, F1, false clarifications, completions.

    .venv/bin/python -m bench.clarify_quality

Reads tests/data/clarify_cases.jsonl (single-message cases; a history naming a drug, treatment or
test gives "it" a referent) and prints the figures reported in README and docs/BENCHMARKS.md.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from chains.understand.clarify.gate import assess_message
from chains.understand.vocabulary import default_vocabulary

CASES = Path(__file__).resolve().parent.parent / "tests" / "data" / "clarify_cases.jsonl"


def main() -> None:
    vocabulary = default_vocabulary()
    counts: Counter[str] = Counter()
    offered = intended_total = 0
    for line in CASES.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        if case["group"] == "multiturn":
            continue
        history = [turn["content"] for turn in case.get("history", [])]
        has_referent = any(vocabulary.find_entities(h, kinds=("drug", "treatment", "test")) for h in history)
        result = assess_message(case["message"], vocabulary, history, has_referent=has_referent)
        predicted, gold = result.needs_clarification, case["needs_clarification"]
        counts["tp" if predicted and gold else "fp" if predicted else "fn" if gold else "tn"] += 1
        if case["kind"] == "cut_off" and case.get("domain_term") and case.get("intended"):
            intended_total += 1
            target = case["intended"].lower().rstrip("s")
            offered += any(c.lower().rstrip("s") == target for c in result.candidates)
    precision = counts["tp"] / (counts["tp"] + counts["fp"])
    recall = counts["tp"] / (counts["tp"] + counts["fn"])
    f1 = 2 * precision * recall / (precision + recall)
    complete = counts["fp"] + counts["tn"]
    print(f"single-message cases: {sum(counts.values())} ({counts['tp'] + counts['fn']} need clarification)")
    print(f"precision {precision:.3f}  recall {recall:.3f}  F1 {f1:.3f}")
    print(f"false clarification on complete messages: {counts['fp']}/{complete} = {counts['fp'] / complete:.1%}")
    print(
        f"intended word among offered completions (domain-term mid-word cuts): {offered}/{intended_total} = {offered / intended_total:.1%}"
    )


if __name__ == "__main__":
    main()
