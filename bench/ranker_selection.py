"""What the answer-sentence ranker changes in the answers themselves, measured out of fold on the labelled turns.

    .venv/bin/python -m bench.ranker_selection

Five rankers are trained as in ``chains.answer.train_ranker``, each without one fifth of the conversations; every
labelled turn is then answered by ``SentenceSelector.select`` with the ranker that never saw it, and with the hand
score. Printed per way of choosing: the grade people gave the first sentence of the answer, the grades of the lead
and supporting sentences (``None``: a sentence the labellers were not shown), the share of answerable turns (some
candidate graded 2) whose first sentence answers, and the words chosen per turn.
"""

from __future__ import annotations

import collections

from sklearn.model_selection import GroupKFold

from chains.answer import selection
from chains.answer.ranking import AnswerRanker
from chains.answer.selection import SentenceSelector, comparable
from chains.answer.train_ranker import examples, new_model, read_labelled
from chains.retrieval.knowledge_base import KnowledgeBase
from chains.settings import get_settings
from chains.types import Passage
from loaders.ingest import ensure_index

GRADES = (0, 1, 2, None)


def selections(
    selector: SentenceSelector, rows: list[dict], rankers: dict[str, AnswerRanker] | None
) -> collections.Counter:
    counts: collections.Counter = collections.Counter()
    for row in rows:
        selector.ranker = rankers[row["key"].rsplit("/", 1)[0]] if rankers else None
        lead, detail = selector.select(
            row["standalone"], [Passage(**p) for p in row["passages"]], row["previous_answer"]
        )
        grade = {comparable(c["text"]): c["grade"] for c in row["candidates"]}
        for part, units in (("lead", lead), ("detail", detail)):
            for unit in units:
                counts[part, grade.get(comparable(unit.text))] += 1
        counts["turns"] += 1
        counts["words"] += sum(len(u.standalone().split()) for u in lead + detail)
        if lead:
            counts["first", grade.get(comparable(lead[0].text))] += 1
            if any(c["grade"] == 2 for c in row["candidates"]):
                counts["answerable"] += 1
                counts["answerable first answers"] += grade.get(comparable(lead[0].text)) == 2
    return counts


def report(name: str, counts: collections.Counter) -> None:
    parts = []
    for part in ("first", "lead", "detail"):
        total = sum(counts[part, g] for g in GRADES) or 1
        parts.append(f"{part} " + " ".join(f"{g}:{counts[part, g] / total:.1%}" for g in GRADES))
    answers = counts["answerable first answers"] / (counts["answerable"] or 1)
    words = counts["words"] / (counts["turns"] or 1)
    print(
        f"{name}: " + " | ".join(parts) + f" | answerable turns whose first sentence answers {answers:.1%}"
        f" | words chosen per turn {words:.0f}"
    )


def main() -> None:
    settings = get_settings()
    ensure_index(settings)
    selector = SentenceSelector(KnowledgeBase.open(settings.chroma_dir))
    rows = read_labelled()
    features, grades, _, conversations = examples(selector, rows)
    rankers: dict[str, AnswerRanker] = {}
    for train, test in GroupKFold(n_splits=5).split(features, grades, conversations):
        ranker = AnswerRanker(new_model().fit(features[train], grades[train]))
        rankers.update({conversations[i]: ranker for i in test})
    report("hand score", selections(selector, rows, None))
    report(f"ranker (off limit {selection.OFF_LIMIT})", selections(selector, rows, rankers))


if __name__ == "__main__":
    main()
