"""How an answer is put together for the patient: notes never split a lead from the list it opens."""

from __future__ import annotations

from chains.answer.base import AnswerDraft
from chains.stages.replies import assemble

NOTE = "I can't interpret your own test or scan results."


def test_a_lead_that_opens_a_list_keeps_the_list_before_the_note() -> None:
    draft = AnswerDraft("Scans may include: [1]\n\n- PSMA PET scan. [1]\n- Bone scan. [1]\n\nMore detail. [2]", [])
    text = assemble(draft, [], [NOTE])
    assert text.index("- Bone scan.") < text.index(NOTE) < text.index("More detail.")


def test_a_lead_sentence_is_followed_by_the_note() -> None:
    draft = AnswerDraft("A PSMA PET scan finds prostate cancer cells. [1]\n\n- It uses a tracer. [1]", [])
    text = assemble(draft, [], [NOTE])
    assert text.index("finds prostate cancer cells") < text.index(NOTE) < text.index("It uses a tracer")
