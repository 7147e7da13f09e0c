"""Turn latency of the offline pipeline, per stage, plus index build time and embedding rate.

    .venv/bin/python -m bench.turn_latency [--turns 120] [--warm-up 100]

Builds the knowledge-base index from scratch in a temporary data directory (so the build time is
real), then plays conversations from tests/data/retrieval_cases.jsonl (each case's history, then its
question) through ``OncoGuide.respond`` and reports median and p95 milliseconds per stage.
Prints a Markdown table for docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def play(turns: int, warm_up: int = 0) -> tuple[dict[str, list[float]], int]:
    """Per stage, the milliseconds of the first ``turns`` answered turns; with ``warm_up``, the last ``warm_up``
    cases are played first, unmeasured, so the process's bounded caches hold what a running server's would."""
    from chains.pipeline import OncoGuide

    guide = OncoGuide.build()
    cases = [json.loads(line) for line in (ROOT / "tests/data/retrieval_cases.jsonl").read_text().splitlines()]
    warm_cases = cases[len(cases) - warm_up :] if warm_up else []
    cases = cases[: len(cases) - warm_up]
    for case in warm_cases:
        state = guide.new_state(f"warm-up {case['id']}")
        for turn in [t["content"] for t in case["history"] if t["role"] == "user"] + [case["question"]]:
            await guide.respond(state, turn)
    stages: dict[str, list[float]] = {}
    answered = 0
    for case in cases:
        if answered >= turns:
            break
        state = guide.new_state(case["id"])
        for turn in [t["content"] for t in case["history"] if t["role"] == "user"] + [case["question"]]:
            reply = await guide.respond(state, turn)
            if reply.kind != "answer":
                continue
            answered += 1
            for stage, ms in reply.timings_ms.items():
                stages.setdefault(stage, []).append(ms)
    return stages, answered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=120, help="answered turns to measure")
    parser.add_argument(
        "--warm-up", type=int, default=0, help="cases (from the end of the file) played first and not measured"
    )
    args = parser.parse_args()
    os.environ.setdefault("ONCOGUIDE_DATA_DIR", tempfile.mkdtemp(prefix="oncoguide-bench-"))
    from chains.settings import get_settings
    from loaders.ingest import ingest

    settings = get_settings()
    started = time.perf_counter()
    report = ingest([settings.kb_dir], chroma_dir=settings.chroma_dir)
    build_s = time.perf_counter() - started
    stages, answered = asyncio.run(play(args.turns, args.warm_up))

    print(f"Machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}\n")
    print(f"Index build: {len(report.added)} documents, {report.chunks_embedded} chunks in {build_s:.1f} s "
          f"({report.chunks_embedded / build_s:.1f} chunks/s, embedding included)\n")  # fmt: skip
    warmed = f", after {args.warm_up} unmeasured warm-up cases" if args.warm_up else ""
    print(f"Offline engine, {answered} answered turns (warm process{warmed}):\n")
    print("| stage | median ms | p95 ms |\n|---|---|---|")
    from chains.pipeline import STAGES

    order = [stage.__name__ for stage in STAGES] + ["total"]
    for stage in order + sorted(set(stages) - set(order)):
        if stage in stages:
            values = stages[stage]
            print(f"| {stage} | {statistics.median(values):.2f} | {percentile(values, 0.95):.2f} |")


if __name__ == "__main__":
    main()
