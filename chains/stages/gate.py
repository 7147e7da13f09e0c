"""The gate stages, before anything is understood: unusable input, "forget me", triage (red, amber, unsure),
the English-only note and off-topic requests. Each returns a ``Reply`` only when the turn ends there."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from chains.prompts import load_prompt
from chains.safety import assess_scope
from chains.safety.input_checks import check_input
from chains.stages.replies import STARTER_QUESTIONS, emergency_text, not_english_text, reply
from chains.stages.turn import Turn
from chains.text.rules import load_rules
from chains.triage.grading import Triage
from chains.types import Reply
from chains.understand.language import check_language
from chains.understand.profile.extract import extract_profile
from chains.understand.profile.facts import PatientProfile
from chains.understand.referents import needs_referent

if TYPE_CHECKING:
    from chains.pipeline import OncoGuide

GATE_RULES = load_rules(Path(__file__).with_name("gate_rules.yaml")).rules
FORGET_ME = GATE_RULES["forget_me"].pattern
TRIAGE_REPLY = GATE_RULES["triage_reply"].pattern
TRIAGE_REPLY_MAX_WORDS = 12  # longer typed words after a triage question are a new message, whatever they open with


async def check(guide: OncoGuide, turn: Turn) -> Reply | None:
    """Unusable input gets one kind message; nothing is stored."""
    checked = check_input(turn.message, guide.settings.max_message_chars)
    if checked.problem:
        return reply(guide.settings, turn, "clarification", checked.problem, remember=None)
    turn.text = turn.question = checked.text
    turn.history = list(turn.state.recent_user_messages)
    return None


async def forget(guide: OncoGuide, turn: Turn) -> Reply | None:
    if not FORGET_ME.match(turn.text):
        return None
    turn.state.profile = PatientProfile()
    turn.state.pending = None
    return reply(guide.settings, turn, "answer", load_prompt("forgot.md"), remember=turn.text)


async def triage(guide: OncoGuide, turn: Turn) -> Reply | None:
    """Red / amber / green / unsure; the answer to a pending triage question routes the held-back message, and a
    new message sent instead of an answer is graded together with it and then answered itself."""
    asked, turn.state.pending_triage = turn.state.pending_triage, None
    pending = turn.state.pending
    if asked is None and pending is not None and pending.kind == "cancer_type" and turn.text in pending.candidates:
        # A clicked cancer type ("Lung") says nothing about symptoms; the message it completes was graded already.
        turn.triage, turn.scope = guide.triager.not_urgent(), assess_scope(turn.text)
        return None
    clicked = asked is not None and turn.text in guide.triager.category(asked.get("category", "none")).question.options
    # A clicked button is an answer, not a new message to grade ("No, things are just very hard right now").
    result: Triage | None = None if clicked else await asyncio.to_thread(guide.triager.assess, turn.text, turn.history)
    if asked is not None and (result is None or result.urgency != "red"):  # a new emergency wins over the answer
        result = await asyncio.to_thread(guide.triager.answer_to_question, asked, turn.text, turn.history)
        if clicked or _answers_the_triage_question(turn.text):
            turn.text = turn.question = asked["message"]  # now answer what was held back
        else:  # a new message sent instead of an answer: graded with the held-back one, answered itself
            turn.state.profile = turn.state.profile.merge(extract_profile(asked["message"], guide.vocabulary))
    assert result is not None
    turn.triage = result
    turn.scope = assess_scope(turn.text)
    return None


def _answers_the_triage_question(text: str) -> bool:
    """ "no, just asking" answers OncoGuide's triage question; "gemcitabine and cisplatin, what side effects should
    we expect" is a new message, and is what the patient now wants answered (the held-back one stays in memory)."""
    words = len(text.split())
    return words <= 3 or (words <= TRIAGE_REPLY_MAX_WORDS and bool(TRIAGE_REPLY.match(text)))


async def urgent(guide: OncoGuide, turn: Turn) -> Reply | None:
    """Red: what to do now, and nothing else. Otherwise the LLM's second opinion (if any) starts here."""
    assert turn.triage is not None and turn.scope is not None
    if turn.triage.urgency == "red":
        turn.state.pending = None
        turn.state.profile = turn.state.profile.merge(extract_profile(turn.text, guide.vocabulary))
        return reply(guide.settings, turn, "emergency", emergency_text(guide.settings, turn.triage), remember=turn.text)
    if guide.llm_triage is not None and not (turn.scope.injection or turn.scope.out_of_scope):
        turn.second_opinion = asyncio.create_task(guide.llm_triage.check(turn.text, turn.history))
    return None


async def ask_triage(guide: OncoGuide, turn: Turn) -> Reply | None:
    """Unsure: one quick triage question with buttons, before anything else."""
    assert turn.triage is not None
    if turn.triage.urgency != "unsure":
        return None
    turn.state.pending = None
    turn.state.pending_triage = {"message": turn.text, "category": turn.triage.category.id}
    question = turn.triage.category.question
    return reply(
        guide.settings, turn, "clarification", question.text, remember=turn.text, options=list(question.options)
    )


async def language(guide: OncoGuide, turn: Turn) -> Reply | None:
    """Our rules and sources are English: say so, with the urgent numbers."""
    checked = check_language(turn.text)
    if checked.english:
        return None
    return reply(guide.settings, turn, "out_of_scope", not_english_text(guide.settings, checked), remember=turn.text)


async def scope(guide: OncoGuide, turn: Turn) -> Reply | None:
    """Off-topic requests and injection attempts (rules), and an opening message the on-topic classifier reads as
    not about cancer care at all. A message naming a cancer, a medicine or an oncology word is never turned away by
    it; one whose only care words have an everyday sense too needs its stricter threshold ("where is the tropic of
    cancer"). A reply to OncoGuide's own question and a follow-up in a conversation already about cancer are never
    turned away by it, nor by the off-topic word rules (the retrieval stage still says so when the library has
    nothing)."""
    assert turn.scope is not None
    opening = not turn.history  # the conversation's first message: later ones follow what was said
    follow_up = not opening and needs_referent(turn.text, guide.vocabulary)  # "is it worth it at his age?"
    if follow_up and turn.scope.off_topic_words_only and guide.vocabulary.names_care(" ".join(turn.history)):
        # "is it worth it at his age? he still plays golf" after his pancreatic cancer: a follow-up pointing back
        # in a conversation about cancer is answered ("who won the golf?" is still turned away)
        turn.scope = replace(turn.scope, out_of_scope=False, off_topic_words_only=False)
    ask_model = opening and not turn.scope.out_of_scope and turn.state.pending is None
    if ask_model and await asyncio.to_thread(
        guide.topic.is_off_topic, turn.text, guide.vocabulary.care_wording(turn.text)
    ):
        turn.scope = replace(turn.scope, out_of_scope=True)
    if not turn.scope.out_of_scope:
        return None
    body = load_prompt("injection.md") if turn.scope.injection else load_prompt("out_of_scope.md")
    return reply(guide.settings, turn, "out_of_scope", body, remember=turn.text, suggestions=STARTER_QUESTIONS[:3])
