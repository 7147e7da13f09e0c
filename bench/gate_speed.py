"""Time the clarify gate per message over the labelled set.

Run from the repository root::

    PYTHONPATH=. .venv/bin/python bench/gate_speed.py

Builds the process-wide vocabulary, makes one warm-up pass of ``assess_message`` over every
single-message case in ``tests/data/clarify_cases.jsonl``, then times a second pass and prints the
median and p99 milliseconds per message. Writes nothing else.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from chains.understand.clarify.gate import assess_message
from chains.understand.vocabulary import Vocabulary, default_vocabulary

CASES = Path(__file__).resolve().parent.parent / "tests" / "data" / "clarify_cases.jsonl"
REFERENT_KINDS = ("drug", "treatment", "test")


def load_cases(vocabulary: Vocabulary) -> list[tuple[str, list[str], bool]]:
    """(message, history texts, has_referent) for every single-message case."""
    cases = []
    for line in CASES.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["group"] == "multiturn":
            continue
        history = [turn["content"] for turn in record.get("history", [])]
        has_referent = any(vocabulary.find_entities(text, kinds=REFERENT_KINDS) for text in history)
        cases.append((record["message"], history, has_referent))
    return cases


def time_pass(vocabulary: Vocabulary, cases: list[tuple[str, list[str], bool]]) -> list[float]:
    """Milliseconds per message for one pass over ``cases``."""
    timings = []
    for message, history, has_referent in cases:
        start = time.perf_counter()
        assess_message(message, vocabulary, history, has_referent=has_referent)
        timings.append((time.perf_counter() - start) * 1000.0)
    return timings


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def main() -> None:
    """Warm up once, time once, print median and p99."""
    vocabulary = default_vocabulary()
    cases = load_cases(vocabulary)
    cold = time_pass(vocabulary, cases)
    warm = time_pass(vocabulary, cases)
    print(
        f"gate over {len(cases)} messages: median {statistics.median(warm):.3f} ms, p99 {percentile(warm, 0.99):.3f} ms"
    )
    print(
        f"(warm-up pass, uncached words: median {statistics.median(cold):.3f} ms, p99 {percentile(cold, 0.99):.3f} ms)"
    )


if __name__ == "__main__":
    main()
