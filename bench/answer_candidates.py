"""Export the candidate sentences the offline composer chooses from, for people to label: which sentences answer
the question? The labels train the answer-sentence ranker (``chains.answer.train_ranker``).

    .venv/bin/python -m bench.answer_candidates tests/data/answers/set1_questions.jsonl ... --out FILE
    .venv/bin/python -m bench.answer_candidates --join FILE --labels LABELS.jsonl ... --out labelled.jsonl

Each set is played through the whole pipeline; for every turn answered from the library, the standalone question,
the retrieved passages and the best-scored quotable sentences (plus two from lower down, so the labels also cover
sentences the current scoring ranks low) are written, one JSON object per line. ``--join`` writes the training
file of ``chains.answer.train_ranker``: the exported turns that were labelled (``{"key", "labels": [grade, ...]}``
in candidate order, one file per labeller), each candidate with its grade.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gzip
import json
import random
from pathlib import Path

from chains.answer.selection import SentenceSelector, comparable, quotable
from chains.pipeline import OncoGuide
from chains.settings import get_settings
from chains.stages.turn import PipelineHooks
from chains.types import Passage
from loaders.ingest import ensure_index

TOP_CANDIDATES = 10
LOW_CANDIDATES = 2


async def export(paths: list[Path]) -> list[dict]:
    ensure_index(get_settings())
    guide = OncoGuide.build(get_settings())
    selector = guide.composer
    rows = []
    for path in paths:
        for line in path.read_text().splitlines():
            item = json.loads(line)
            state = guide.new_state(f"candidates-{path.stem}-{item['id']}")
            seen: list[tuple[str, list[Passage]]] = []

            async def on_retrieval_done(standalone: str, passages: list[Passage], seen=seen) -> None:
                seen.append((standalone, passages))

            previous = ""
            for number, message in enumerate(item["turns"], start=1):
                seen.clear()
                reply = await guide.respond(state, message, PipelineHooks(on_retrieval_done=on_retrieval_done))
                if reply.kind == "answer" and seen and seen[-1][1]:
                    standalone, passages = seen[-1]
                    rows.append(candidates(selector, path.stem, item, number, standalone, passages, previous))
                previous = reply.text
    return rows


def candidates(
    selector: SentenceSelector,
    set_name: str,
    item: dict,
    number: int,
    standalone: str,
    passages: list[Passage],
    previous: str,
) -> dict:
    scored = selector.scored_candidates(standalone, passages, previous)
    unique, keys = [], set()
    for candidate in scored:
        key = comparable(candidate.unit.text)
        if quotable(candidate.unit) and key not in keys:
            keys.add(key)
            unique.append(candidate.unit)
    chosen = unique[:TOP_CANDIDATES]
    rest = unique[TOP_CANDIDATES:]
    chosen += random.Random(f"{set_name}-{item['id']}-{number}").sample(rest, min(LOW_CANDIDATES, len(rest)))
    return {
        "key": f"{set_name}/{item['id']}/{number}",
        "messages": item["turns"][:number],
        "standalone": standalone,
        "previous_answer": previous,
        "passages": [dataclasses.asdict(p) for p in passages],
        "candidates": [
            {"text": unit.text, "shown": unit.standalone(), "page": unit.title or unit.doc_id, "heading": unit.heading}
            for unit in chosen
        ],
    }


def join(exported: Path, labels: list[Path]) -> list[dict]:
    rows = {row["key"]: row for row in map(json.loads, exported.read_text().splitlines())}
    joined = []
    for path in labels:
        for labelled in map(json.loads, path.read_text().splitlines()):
            row = rows[labelled["key"]]
            if len(labelled["labels"]) != len(row["candidates"]):
                raise SystemExit(f"{path}: {labelled['key']} has {len(labelled['labels'])} labels")
            candidates = [
                {"text": c["text"], "grade": int(g)} for c, g in zip(row["candidates"], labelled["labels"], strict=True)
            ]
            passages = [{k: v for k, v in p.items() if k != "sources"} for p in row["passages"]]
            joined.append({**row, "passages": passages, "candidates": candidates, "labeller": path.stem})
    return joined


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sets", nargs="*", type=Path)
    parser.add_argument("--join", type=Path, help="an exported file to join with --labels")
    parser.add_argument("--labels", nargs="+", type=Path, default=[])
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.join:
        joined = join(args.join, args.labels)
        text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in joined)
        if args.out.suffix == ".gz":
            args.out.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))
        else:
            args.out.write_text(text)
        print(f"{len(joined)} labelled turns -> {args.out}")
        return
    rows = asyncio.run(export(args.sets))
    args.out.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    print(f"{len(rows)} answered turns, {sum(len(r['candidates']) for r in rows)} candidate sentences -> {args.out}")


if __name__ == "__main__":
    main()
