"""Load test: N concurrent patient sessions over Chainlit's websocket; turn latency, errors, throughput.

    .venv/bin/python -m bench.load_test --sessions 1 10 50
    .venv/bin/python -m bench.load_test --url http://127.0.0.1:8000 --sessions 10   # a server already running

Without ``--url`` it builds or refreshes the index (``python -m loaders.ingest``, fast when nothing
changed), then starts the real server itself (``chainlit run app.py`` on a free 127.0.0.1 port, sign-in
off, offline composer engine, a throw-away Chainlit app root so its ``.files`` are its own). Only
127.0.0.1/localhost servers are accepted.

Each session is one ``bench.ws_client.ChainlitClient`` (a Socket.IO client that talks to the server as
the browser does). The N sessions of a round connect at once, each plays one of the scripts below
(3 turns: questions, a follow-up, a cut-off message and a click on its clarification button, a red
flag), with a short think time between turns; a round is repeated until ``--min-turns`` turns are
measured (so N=1 is not three numbers). A turn is timed from sending the message (or clicking the
button) until the server ends the task; chat start from opening the websocket until ``on_chat_start``
has ended. A turn counts as an error when it raises, times out, comes back empty or marked as an
error, or lacks the expected clarification button. One warm-up turn first loads the models.

Prints one Markdown table (for docs/BENCHMARKS.md): per N, turns, errors, chat start p95, turn
latency p50/p95/max, and throughput in answered turns per second of wall time (at small N bounded by
the think time, not by the server).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import httpx

from bench.local_server import chainlit_server
from bench.ws_client import ChainlitClient, Turn

ROOT = Path(__file__).resolve().parent.parent
CUT_OFF = (
    "Can you suggest integrative approaches? Possibly i can stop the progression. With offlabels for example neutr"
)

# What patients type. ("click", prefix) clicks the clarification button whose label starts with prefix.
SCRIPTS: list[list[str | tuple[str, str]]] = [
    ["What are the side effects of ribociclib?", "what about its interactions?", "How is it monitored?"],
    ["I have ER-positive breast cancer and take letrozole", "what are the side effects?", "Does it affect my bones?"],
    [CUT_OFF, ("click", "neutrophil"), "What is HER2-low breast cancer?"],
    ["How does CAR-T cell therapy work for breast cancer?", "What does Ki-67 mean?", "What is a BRCA mutation?"],
    ["What lifestyle changes are recommended for breast cancer patients?", "I'm on chemo and my temperature is 38.9"],
]


@dataclass
class Round:
    sessions: int
    latencies: list[float] = field(default_factory=list)
    connects: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wall: float = 0.0

    @property
    def turns(self) -> int:
        return len(self.latencies) + len(self.errors)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


async def click(client: ChainlitClient, action: dict, timeout: float) -> tuple[Turn, float]:
    """Click a button as the browser does: POST /project/action, which returns when the callback has
    run. Timed to that response; then wait (untimed) until the reply's socket events have arrived —
    ChainlitClient.click's fixed 50 ms settle is too short under load and returns an empty turn."""
    start = len(client._order)
    sent = time.perf_counter()
    async with httpx.AsyncClient(base_url=client.base_url, headers=client.headers, timeout=timeout) as http:
        response = await http.post("/project/action", json={"sessionId": client.session_id, "action": action})
        response.raise_for_status()
    seconds = time.perf_counter() - sent
    turn = client._turn_end(start, seconds)
    while not turn.text.strip() and time.perf_counter() - sent < timeout:
        await asyncio.sleep(0.02)
        turn = client._turn_end(start, seconds)
    return turn, seconds


async def play_session(
    base_url: str, script: list, think: float, turn_timeout: float, result: Round, seed: int
) -> None:
    rng = random.Random(seed)
    client = ChainlitClient(base_url)
    try:
        started = time.perf_counter()
        await asyncio.wait_for(client.connect(), turn_timeout)
        await asyncio.wait_for(client.chat_started.wait(), turn_timeout)
        result.connects.append(time.perf_counter() - started)
    except Exception as exc:
        result.errors.extend([f"connect: {type(exc).__name__}: {exc}"] * len(script))
        await client.close()
        return
    last_actions: list[dict] = []
    try:
        for step in script:
            await asyncio.sleep(think * rng.uniform(0.5, 1.5))
            try:
                if isinstance(step, tuple):
                    wanted = [a for a in last_actions if str(a.get("label", "")).startswith(step[1])]
                    if not wanted:
                        raise ValueError(f"no {step[1]!r} button among {[a.get('label') for a in last_actions]}")
                    turn, seconds = await click(client, wanted[0], turn_timeout)
                else:
                    turn = await client.ask(step, timeout=turn_timeout)
                    seconds = turn.seconds
                if not turn.text.strip():
                    raise ValueError("empty reply")
                if any(m.get("isError") for m in turn.messages):
                    raise ValueError(f"error message: {turn.text[:200]}")
                last_actions = turn.actions
                result.latencies.append(seconds)
            except Exception as exc:
                result.errors.append(f"{str(step)[:40]!r}: {type(exc).__name__}: {exc}")
                last_actions = []
    finally:
        await client.close()


async def run_round(
    base_url: str, sessions: int, turns: int, think: float, turn_timeout: float, deadline: float, result: Round
) -> Round:
    """N sessions at once, each one script; adds to ``result``."""
    offset = result.turns  # later repeats of a round play the other scripts
    jobs = [
        play_session(base_url, SCRIPTS[(offset + i) % len(SCRIPTS)][:turns], think, turn_timeout, result, offset + i)
        for i in range(sessions)
    ]
    started = time.perf_counter()
    try:
        await asyncio.wait_for(asyncio.gather(*jobs), deadline)
    except TimeoutError:
        result.errors.append(f"round cut off after {deadline:.0f} s")
    result.wall += time.perf_counter() - started
    return result


def table(rounds: list[Round]) -> str:
    lines = [
        "| sessions | turns | errors | chat start p95 ms | turn p50 ms | turn p95 ms | turn max ms | turns/s |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rounds:
        ms = [s * 1000 for s in r.latencies]
        lines.append(
            f"| {r.sessions} | {r.turns} | {len(r.errors)} | {percentile(r.connects, 0.95) * 1000:.0f} "
            f"| {percentile(ms, 0.5):.0f} | {percentile(ms, 0.95):.0f} | {max(ms, default=float('nan')):.0f} "
            f"| {len(r.latencies) / r.wall:.1f} |"
        )
    return "\n".join(lines)


def check_local(url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme != "http" or parsed.hostname not in ("127.0.0.1", "localhost"):
        sys.exit(f"--url must be a local server (http://127.0.0.1:PORT or http://localhost:PORT), got {url}")
    return url.rstrip("/")


@contextmanager
def local_server() -> Iterator[str]:
    """Index refreshed, then ``chainlit run app.py`` on a free 127.0.0.1 port (anonymous, offline engine)."""
    subprocess.run([sys.executable, "-m", "loaders.ingest"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    env = {
        "ONCOGUIDE_AUTH": "none",
        "ONCOGUIDE_ANSWER_ENGINE": "composer",
        "ANONYMIZED_TELEMETRY": "False",
        "HF_HUB_OFFLINE": "1",
    }
    with chainlit_server(extra_env=env, log_name="load") as base:
        yield base


async def measure(base_url: str, args: argparse.Namespace) -> list[Round]:
    warm = await run_round(base_url, 1, 1, 0.0, args.turn_timeout, args.max_seconds, Round(1))  # not reported
    if warm.errors:
        print(f"warm-up failed: {warm.errors}", file=sys.stderr)
    rounds = []
    for n in args.sessions:
        result = Round(n)
        # Small N: repeat the round until enough turns are measured (bounded by --max-seconds).
        while result.turns < args.min_turns and result.wall < args.max_seconds:
            await run_round(base_url, n, args.turns, args.think, args.turn_timeout, args.max_seconds, result)
        print(f"N={n}: {result.turns} turns, {len(result.errors)} errors, {result.wall:.1f} s", file=sys.stderr)
        for error in result.errors[:5]:
            print(f"  error: {error}", file=sys.stderr)
        rounds.append(result)
    return rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 10, 50], help="concurrent sessions per round")
    parser.add_argument("--turns", type=int, default=3, choices=[1, 2, 3], help="turns per session")
    parser.add_argument("--think", type=float, default=0.5, help="mean pause between a session's turns, seconds")
    parser.add_argument("--turn-timeout", type=float, default=60.0, help="seconds before a turn counts as failed")
    parser.add_argument("--max-seconds", type=float, default=300.0, help="cut a round off after this long")
    parser.add_argument("--min-turns", type=int, default=30, help="repeat a round until this many turns")
    parser.add_argument("--url", help="a running local server instead of starting one")
    args = parser.parse_args()
    if any(n < 1 or n > 200 for n in args.sessions):
        parser.error("--sessions must be between 1 and 200")

    header = (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{args.turns} turns per session, think time {args.think} s (mean), offline composer"
    )
    if args.url:
        rounds = asyncio.run(measure(check_local(args.url), args))
    else:
        with local_server() as base_url:
            rounds = asyncio.run(measure(base_url, args))
    print(f"\n{header}\n\n{table(rounds)}")
    if any(r.errors for r in rounds):
        sys.exit(1)


if __name__ == "__main__":
    main()
