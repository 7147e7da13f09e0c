"""Answers that answer (issue 13): plain language, query-focused, the right referent, one relevance decision.

The blind judged figures are in docs/BENCHMARKS.md (``bench/answer_eval.py``); these floors use what can be
measured without a reader: reading grade, length, and what kind of reply each ordinary question gets.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from bench.answer_eval import play, prose, reading_grade, summarise

ROOT = Path(__file__).resolve().parents[2]
ANSWERS = ROOT / "tests" / "data" / "answers"


def body_text(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    return text.split("---", 2)[2] if text.startswith("---") else text


@pytest.mark.parametrize("path", sorted((ROOT / "data").rglob("*.md")), ids=lambda p: p.stem)
def test_every_library_document_reads_at_grade_8_or_below(path: Path) -> None:
    grade = reading_grade(body_text(path))
    assert grade <= 8.05, f"{path.name}: Flesch-Kincaid grade {grade:.1f}"


@pytest.fixture(scope="module")
def set1_results(breast_clinic_guide) -> list[dict]:
    items = [json.loads(line) for line in (ANSWERS / "set1_questions.jsonl").read_text().splitlines() if line]
    return asyncio.run(play(items, breast_clinic_guide))


def test_answers_read_at_grade_8_and_stay_short(set1_results) -> None:
    summary = summarise(set1_results)
    assert summary["grade_median"] <= 8.0 and summary["grade_p90"] <= 9.5, summary
    assert summary["words_median"] <= 400, summary


def test_ordinary_questions_are_answered_not_sent_elsewhere(set1_results) -> None:
    kinds = [r["kind"] for result in set1_results for r in result["replies"]]
    assert kinds.count("answer") / len(kinds) >= 0.92, {k: kinds.count(k) for k in set(kinds)}
    assert kinds.count("emergency") <= 2, [
        (result["turns"], r["text"][:80])
        for result in set1_results
        for r in result["replies"]
        if r["kind"] == "emergency"
    ]
    # The on-topic classifier turns away 2 of set 1's 189 questions ("do compression sleeves actually help …",
    # "my 15 year old wont talk about it …"): measured 2026-12-06, docs/BENCHMARKS.md. The reply invites them to
    # say more. The floor holds it there.
    assert kinds.count("out_of_scope") <= 2


def test_the_answer_comes_first(set1_results) -> None:
    """The first sentence is from the library, cited, not a stock opening."""
    firsts = [r["text"] for result in set1_results for r in result["replies"] if r["kind"] == "answer"]
    answers = [text.split("\n\n", 1)[-1] if text.startswith("**📞") else text for text in firsts]  # after amber
    cited_early = [text for text in answers if re.search(r"\[\d+\]", " ".join(text.split()[:60]))]
    assert len(cited_early) / len(answers) >= 0.95, len(cited_early) / len(answers)
    assert not any(text.startswith(("Thank you for asking", "That's a good question", "Given your")) for text in firsts)


async def test_outlook_follow_up_is_about_the_disease_not_the_medicine(guide) -> None:
    state = guide.new_state("outlook")
    await guide.respond(
        state, "I have metastatic HER2 positive breast cancer in my liver, on trastuzumab and pertuzumab"
    )
    reply = await guide.respond(state, "how long do people usually live with this?")
    assert reply.kind == "answer"
    assert "breast cancer" in reply.standalone_question.lower()
    assert "pertuzumab" not in reply.standalone_question.lower()


async def test_a_strong_keyword_match_is_not_nothing_found(guide) -> None:
    state = guide.new_state("keyword")
    await guide.respond(state, "HER2-low, my cancer progressed after hormone therapy. what are the options?")
    reply = await guide.respond(state, "is Enhertu one of them?")
    assert reply.kind == "answer" and "could not find" not in reply.text
    assert {s.doc_id for s in reply.sources} & {"trastuzumab-deruxtecan", "her2-low", "antibody-drug-conjugates"}


async def test_feelings_get_a_fitting_opening_and_the_emotional_health_document(guide) -> None:
    state = guide.new_state("feelings")
    reply = await guide.respond(
        state, "I can't stop crying and I'm scared all the time since the diagnosis. is this normal"
    )
    if reply.kind == "clarification":  # distress may first get the safety check a helpline would ask
        assert "thoughts of harming yourself" in reply.text
        reply = await guide.respond(state, "No, things are just very hard right now")
    assert reply.kind == "answer", reply.text[:200]
    assert reply.text.startswith("What you are feeling is very common")
    assert "emotional-health" in {s.doc_id for s in reply.sources}


async def test_a_caregivers_cost_question_is_not_asked_which_medicine(guide) -> None:
    state = guide.new_state("cost")
    reply = await guide.respond(state, "How do I pay for this, the copay is $800 a month")
    assert reply.kind == "answer"
    assert reply.text.startswith("Money worries are very common")


async def test_an_ask_that_points_back_is_answered_about_the_background(guide) -> None:
    """ "…hot flushes and snappy, is that the injections doing that": the flushes are what is asked about."""
    state = guide.new_state("points-back")
    reply = await guide.respond(
        state,
        "husband on hormone injections for prostate cancer (prostap), hes getting hot flushes and hes really "
        "snappy and low, is that the injections doing that",
    )
    assert reply.kind == "answer"
    lead = reply.text.split("\n\n")[1] if reply.text.startswith("*This answer") else reply.text
    assert re.search(r"hot (?:flash|flush)", lead.split("[1]")[0].lower()), lead[:300]
    assert "It is given as shots" not in reply.text  # a list item never reads as a riddle with "It …:" in front


def test_lengths_are_measured_on_what_the_patient_reads() -> None:
    text = "Tamoxifen blocks estrogen. [1]\n\n- It is a pill. [1]\n\n[NCI](https://www.cancer.gov/x)"
    assert prose(text) == "Tamoxifen blocks estrogen. It is a pill. NCI."
    assert reading_grade(text) < 8
