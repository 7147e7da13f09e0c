"""Time the triage (safety) stage per message, warm, over the held-out set's messages.

    .venv/bin/python -m bench.triage_speed [tests/data/triage/heldout_v1.jsonl]

Reports two figures: the stage with the message's embedding already computed (the vector is cached and
retrieval reuses it when it searches the same text), and the embedding itself.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

from chains.retrieval.embeddings import embed_text
from chains.settings import get_settings
from chains.triage.classifier import window_text
from chains.triage.grading import Triager


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "tests/data/triage/heldout_v1.jsonl")
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    triager = Triager(fever_threshold_c=get_settings().fever_threshold_c)
    triager.assess("warm-up: what is a port")
    embedding_ms, stage_ms = [], []
    for item in items:
        history = item.get("context") or []
        texts = [item["message"]] + ([window_text(item["message"], history)] if history else [])
        embed_text.cache_clear()
        start = time.perf_counter()
        for text in texts:
            embed_text(text)
        embedding_ms.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        triager.assess(item["message"], history)
        stage_ms.append((time.perf_counter() - start) * 1000)
    for name, values in (("triage stage, embedding cached", stage_ms), ("embedding(s) of the message", embedding_ms)):
        print(
            f"{name}: median {statistics.median(values):.2f} ms, p95 {percentile(values, 0.95):.2f} ms, "
            f"max {max(values):.2f} ms over {len(values)} messages"
        )


if __name__ == "__main__":
    main()
