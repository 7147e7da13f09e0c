"""Load through the balancer: the same concurrent sessions against two app processes behind nginx and
against one process alone, in one run (issue 17).

    .venv/bin/python -m bench.cluster_load --sessions 200

Starts a Chroma server (``chroma run``) over a copy of the data directory's index (built or refreshed first
with ``python -m loaders.ingest``), ``--apps`` Chainlit processes reading it (sign-in off, offline composer,
no start-up ingest) and nginx from ``deploy/nginx.conf.template`` in front. Each round of
``bench.load_test`` (the same scripts, think time and error rules) then runs through nginx, and again
against the first app process directly. Prints one Markdown table per target and a last line
``cluster_load: sessions=N apps=A p95_ms=… single_p95_ms=… errors=… single_errors=…``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

from bench.cluster import chroma_server, nginx_balancer
from bench.load_test import ROOT, measure, percentile, table
from bench.local_server import chainlit_server
from chains.settings import get_settings


def sessions_per_process(access_log: Path) -> dict[str, int]:
    """How many chats (websocket connections) nginx sent to each app process."""
    counts: Counter[str] = Counter()
    for line in access_log.read_text(errors="replace").splitlines():
        if "transport=websocket" in line and (found := re.search(r"upstream=(\S+)", line)):
            counts[found.group(1)] += 1
    return dict(sorted(counts.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[200], help="concurrent sessions per round")
    parser.add_argument("--apps", type=int, default=2, help="app processes behind the balancer")
    parser.add_argument("--turns", type=int, default=3, choices=[1, 2, 3])
    parser.add_argument("--think", type=float, default=0.5)
    parser.add_argument("--turn-timeout", type=float, default=120.0)
    parser.add_argument("--max-seconds", type=float, default=600.0)
    parser.add_argument("--min-turns", type=int, default=30)
    args = parser.parse_args()

    subprocess.run([sys.executable, "-m", "loaders.ingest"], cwd=ROOT, check=True, stderr=subprocess.DEVNULL)
    work = Path(tempfile.mkdtemp(prefix="oncoguide-cluster-load-"))
    try:
        shutil.copytree(get_settings().chroma_dir, work / "chroma")
        with ExitStack() as stack:
            chroma_url = stack.enter_context(chroma_server(work / "chroma", work))
            env = {
                "ONCOGUIDE_AUTH": "none",
                "ONCOGUIDE_ANSWER_ENGINE": "composer",
                "CHROMA_URL": chroma_url,
                "ANONYMIZED_TELEMETRY": "False",
                "HF_HUB_OFFLINE": "1",
            }
            apps = [
                stack.enter_context(chainlit_server(env, log_dir=work, log_name=f"app-{i}"))
                for i in range(1, args.apps + 1)
            ]
            balancer = stack.enter_context(nginx_balancer([a.removeprefix("http://") for a in apps], work))
            through = asyncio.run(measure(balancer, args))
            alone = asyncio.run(measure(apps[0], args))
        spread = sessions_per_process(next(work.glob("nginx-*-access.log")))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    header = (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{args.turns} turns per session, think time {args.think} s (mean), offline composer, Chroma server"
    )
    print(f"\n{header}\n\nThrough nginx, {args.apps} app processes:\n\n{table(through)}")
    print(f"\nOne app process, same load:\n\n{table(alone)}")
    for r, s in zip(through, alone, strict=True):
        p95 = percentile(r.latencies, 0.95) * 1000
        single = percentile(s.latencies, 0.95) * 1000
        print(
            f"cluster_load: sessions={r.sessions} apps={args.apps} p95_ms={p95:.0f} single_p95_ms={single:.0f} "
            f"errors={len(r.errors)} single_errors={len(s.errors)}"
        )
    print(f"chats per app process through nginx (websocket connections): {spread}")


if __name__ == "__main__":
    main()
