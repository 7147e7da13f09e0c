"""Answers over set 1 (tests/data/answers/set1_questions.jsonl, 189 ordinary questions) through the breast-clinic
pipeline: what can be measured without a reader (reading grade, length, what kind of reply each question gets,
whether the answer comes first). The blind judged figures are in docs/BENCHMARKS.md (``bench/answer_eval.py``);
these figures and their floors are in tests/evals/baseline.json.
"""

from __future__ import annotations

import asyncio
import re

import pytest

from bench.answer_eval import play, summarise
from tests.conftest import read_jsonl
from tests.evals.baseline import Figure, check, share


@pytest.fixture(scope="module")
def set1_results(breast_clinic_guide) -> list[dict]:
    items = read_jsonl("answers/set1_questions.jsonl")
    return asyncio.run(play(items, breast_clinic_guide))


def test_answers_read_at_grade_8_and_stay_short(set1_results) -> None:
    summary = summarise(set1_results)
    answers = int(summary["answers"])
    check(
        "answers_set1/reading",
        {key: Figure(summary[key], answers) for key in ("grade_median", "grade_p90", "words_median")},
        str(summary),
    )


def test_ordinary_questions_are_answered_not_sent_elsewhere(set1_results) -> None:
    kinds = [r["kind"] for result in set1_results for r in result["replies"]]
    emergencies = [
        (result["turns"], r["text"][:80])
        for result in set1_results
        for r in result["replies"]
        if r["kind"] == "emergency"
    ]
    # The on-topic classifier turns away 2 of set 1's 189 questions ("do compression sleeves actually help …",
    # "my 15 year old wont talk about it …"): measured 2026-12-06, docs/BENCHMARKS.md. The reply invites them to
    # say more. The ceiling holds it there.
    check(
        "answers_set1/kinds",
        {
            "answered": share(kinds.count("answer"), len(kinds)),
            "emergency": Figure(kinds.count("emergency"), len(kinds)),
            "out_of_scope": Figure(kinds.count("out_of_scope"), len(kinds)),
        },
        f"{ {k: kinds.count(k) for k in set(kinds)} } emergencies: {emergencies}",
    )


def test_the_answer_comes_first(set1_results) -> None:
    """The first sentence is from the library, cited, not a stock opening."""
    firsts = [r["text"] for result in set1_results for r in result["replies"] if r["kind"] == "answer"]
    answers = [text.split("\n\n", 1)[-1] if text.startswith("**📞") else text for text in firsts]  # after amber
    cited_early = [text for text in answers if re.search(r"\[\d+\]", " ".join(text.split()[:60]))]
    check("answers_set1/answer_first", {"cited_in_first_60_words": share(len(cited_early), len(answers))})
    assert not any(text.startswith(("Thank you for asking", "That's a good question", "Given your")) for text in firsts)
