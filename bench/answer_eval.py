"""Play a set of patient questions and two-turn conversations through the whole pipeline, write every reply
for a blind reader to judge, and print the reading grade and length of the answers.

    .venv/bin/python -m bench.answer_eval QUESTIONS.jsonl --out REPLIES.jsonl

Each line of QUESTIONS is ``{"id": ..., "turns": [message, (follow-up)]}``. REPLIES holds, per item, the turns
and the replies the patient saw (``kind`` and text), nothing else, so a reader can judge them blind:
do the first 60 words answer the question (yes / partly / no), and is the reply on the question's point
(on / partly / off)? Reading grade is Flesch-Kincaid (textstat) over each answer's prose, with Markdown,
citations and links removed; length counts every word the patient sees.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
from pathlib import Path

from chains.pipeline import OncoGuide
from chains.settings import get_settings
from loaders.ingest import ensure_index

_LINK = re.compile(r"\[([^\]]+)\]\([^)]+\)")
_CITATION = re.compile(r"\s*\[\d+\]")
_BARE_URL = re.compile(r"\s*\(?https?://[^)\s]+\)?")  # a web address is followed, not read
_MARKUP = re.compile(r"[*_`>#|]")


def prose(markdown: str) -> str:
    """The words a patient reads, one sentence per line-ending, without Markdown, links or citations."""
    lines = []
    for line in markdown.splitlines():
        line = _MARKUP.sub("", _CITATION.sub("", _BARE_URL.sub("", _LINK.sub(r"\1", line)))).strip()
        line = line.lstrip("-•0123456789. ").strip()
        if line:
            lines.append(line if line.endswith((".", "?", "!", ":")) else f"{line}.")
    return " ".join(lines)


def reading_grade(markdown: str) -> float:
    import textstat  # a development tool: measured here and in the content tests, not at run time

    return float(textstat.flesch_kincaid_grade(prose(markdown)))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def play(items: list[dict], guide: OncoGuide | None = None) -> list[dict]:
    if guide is None:
        ensure_index(get_settings())  # the pipeline opens the index; building it is the ingest's job
        guide = OncoGuide.build(get_settings())
    results = []
    for item in items:
        state = guide.new_state(f"answers-{item['id']}")
        replies = []
        for turn in item["turns"]:
            reply = await guide.respond(state, turn)
            replies.append({"kind": reply.kind, "text": reply.text, "suggestions": list(reply.suggestions)})
        results.append({"id": item["id"], "turns": item["turns"], "replies": replies})
    return results


def summarise(results: list[dict]) -> dict[str, float]:
    answers = [r["text"] for result in results for r in result["replies"] if r["kind"] == "answer"]
    grades = [reading_grade(text) for text in answers]
    lengths = [len(prose(text).split()) for text in answers]
    kinds = [r["kind"] for result in results for r in result["replies"]]
    return {
        "replies": len(kinds),
        "answers": len(answers),
        "clarifications": kinds.count("clarification"),
        "out_of_scope": kinds.count("out_of_scope"),
        "grade_median": statistics.median(grades),
        "grade_p90": percentile(grades, 0.9),
        "grade_8_or_below": sum(g <= 8.0 for g in grades) / len(grades),
        "words_median": statistics.median(lengths),
        "words_p90": percentile(lengths, 0.9),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("questions", type=Path)
    parser.add_argument("--out", type=Path, required=True, help="where to write the replies for the blind reader")
    args = parser.parse_args()
    items = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    results = asyncio.run(play(items))
    args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in results), encoding="utf-8")
    summary = summarise(results)
    print(
        f"{args.questions.name}: {summary['replies']} replies ({summary['answers']} answers, "
        f"{summary['clarifications']} clarifications, {summary['out_of_scope']} out of scope) · reading grade "
        f"median {summary['grade_median']:.1f}, p90 {summary['grade_p90']:.1f}, "
        f"{summary['grade_8_or_below']:.0%} at grade 8 or below · words median {summary['words_median']:.0f}, "
        f"p90 {summary['words_p90']:.0f}"
    )


if __name__ == "__main__":
    main()
