"""Scriptable and terminal chat: ``python -m chains.cli [--json]``.

With ``--json`` each stdin line is plain text (session "default") or ``{"session", "message"}``;
exactly one JSON reply line is written per input line (the contract in README). Logs go to stderr.
Like the server it opens the index and never builds it: run ``make index`` (``python -m loaders.ingest``) first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys

from chains.pipeline import IndexNotReady, OncoGuide
from chains.types import Reply
from chains.understand.memory import ConversationState


def parse_line(line: str) -> tuple[str, object]:
    """(session, message) from one input line; a JSON object picks its session."""
    stripped = line.rstrip("\n")
    if stripped.lstrip().startswith("{"):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError:
            return "default", stripped
        if isinstance(data, dict) and "message" in data:
            return str(data.get("session") or "default"), data["message"]
    return "default", stripped


async def run_json(guide: OncoGuide) -> None:
    sessions: dict[str, ConversationState] = {}
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        session, message = parse_line(line)
        state = sessions.setdefault(session, guide.new_state(session))
        try:
            reply = await guide.respond(state, message)
        except Exception:  # a bug must not break the one-line-per-input contract
            logging.getLogger("oncoguide.chat").exception("turn failed")
            reply = Reply(
                session, "clarification", "Sorry — something went wrong on my side. Could you send that again?"
            )
        sys.stdout.write(json.dumps(reply.contract(), ensure_ascii=False) + "\n")
        sys.stdout.flush()


async def run_terminal(guide: OncoGuide) -> None:
    state = guide.new_state("terminal")
    print("OncoGuide — cancer education. Type your question (Ctrl-D to quit).\n")
    loop = asyncio.get_running_loop()
    while True:
        sys.stdout.write("you> ")
        sys.stdout.flush()
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            print()
            break
        reply = await guide.respond(state, line.rstrip("\n"))
        print(f"\noncoguide [{reply.kind}]>\n{reply.text}\n")
        for i, option in enumerate(reply.options, 1):
            print(f"  ({i}) {option}")
        if reply.suggestions:
            print("  Related: " + " | ".join(reply.suggestions))
        print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Chat with OncoGuide from the terminal or a script.")
    parser.add_argument("--json", action="store_true", help="one JSON reply line per input line")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    try:
        guide = OncoGuide.build()
    except IndexNotReady as exc:
        print(f"oncoguide: {exc}", file=sys.stderr)
        return 2
    asyncio.run(run_json(guide) if args.json else run_terminal(guide))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
