"""The stages of a turn, in the order ``OncoGuide.STAGES`` runs them. Each reads and fills in the ``Turn``
and returns a ``Reply`` only when the turn ends there."""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING

from chains.answer_base import AnswerRequest
from chains.clarify import (
    SOMETHING_ELSE,
    assess_message,
    clarification_message,
    is_small_talk,
    merge_reply,
    normalise_short,
)
from chains.input_checks import check_input
from chains.language import check_language
from chains.memory import PendingClarification, rewrite_followup
from chains.profile import PatientProfile, extract_profile
from chains.prompts import load_prompt
from chains.replies import (
    STARTER_QUESTIONS,
    amber_text,
    assemble,
    emergency_text,
    not_english_text,
    reply,
    small_talk_text,
)
from chains.safety import ADVICE_LIMIT_NOTES, HEALTH_TERMS, assess_scope, contains_directive, display_safe
from chains.spelling import correct_spelling
from chains.triage.grading import Triage
from chains.turn import Turn
from chains.types import Reply

if TYPE_CHECKING:
    from chains.pipeline import OncoGuide

FORGET_ME = re.compile(
    r"^\W*(please\W+)?(forget|clear|delete|erase|remove|wipe|reset)\W+(all\W+)?(of\W+)?"
    r"(my\W+(details|profile|information|info|data|facts)|what you know( about me)?|everything( you know)?( about me)?|about me|me)\W*$",
    re.IGNORECASE,
)
OTHER_CANCERS = re.compile(
    r"\b(prostate|lung|colon|colorectal|bowel|ovarian|pancreatic|skin|melanoma|thyroid|cervical|uterine|endometrial|"
    r"bladder|kidney|stomach|liver|brain|blood|bone|head and neck|oral|esophageal|testicular)\s+cancer\b|"
    r"\b(leukemia|leukaemia|lymphoma|myeloma|sarcoma|glioma|glioblastoma|melanoma|mesothelioma)\b",
    re.IGNORECASE,
)
NOTES_FIRST = ("dosing",)  # said before the answer, so a dose in the library is not read as the patient's dose


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
    """Red / amber / green / unsure; the answer to a pending triage question routes the held-back message."""
    asked, turn.state.pending_triage = turn.state.pending_triage, None
    clicked = asked is not None and turn.text in guide.triager.category(asked.get("category", "none")).question.options
    # A clicked button is an answer, not a new message to grade ("No, things are just very hard right now").
    result: Triage | None = None if clicked else await asyncio.to_thread(guide.triager.assess, turn.text, turn.history)
    if asked is not None and (result is None or result.urgency != "red"):  # a new emergency wins over the answer
        result = await asyncio.to_thread(guide.triager.answer_to_question, asked, turn.text, turn.history)
        turn.text = turn.question = asked["message"]  # now answer what was held back
    assert result is not None
    turn.triage = result
    turn.scope = assess_scope(turn.text)
    return None


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
    assert turn.scope is not None
    if not turn.scope.out_of_scope:
        return None
    body = load_prompt("injection.md") if turn.scope.injection else load_prompt("out_of_scope.md")
    return reply(guide.settings, turn, "out_of_scope", body, remember=turn.text, suggestions=STARTER_QUESTIONS[:3])


async def clarify(guide: OncoGuide, turn: Turn) -> Reply | None:
    """Merge the reply to a pending clarification, answer small talk, or ask before guessing."""
    state, text = turn.state, turn.text
    if state.pending is not None and text != SOMETHING_ELSE:
        merged = merge_reply(state.pending, text, guide.vocabulary)
        turn.question = merged.question
        turn.scope = assess_scope(merged.question)  # advice limits and injection notes apply to the merged question
        turn.interpretation_note = display_safe(merged.interpretation_note) if merged.interpretation_note else None
        state.pending = None
        return None
    if is_small_talk(text) and (turn.history or normalise_short(text) in ("hi", "hello", "hey")):
        body, suggestions = small_talk_text(text)
        return reply(guide.settings, turn, "answer", body, remember=text, suggestions=suggestions)
    has_referent = bool(state.focus or state.profile.current_treatments)
    gate = assess_message(text, guide.vocabulary, turn.history, has_referent=has_referent)
    if not gate.needs_clarification:
        return None
    clarification = clarification_message(gate)
    state.pending = PendingClarification(text, gate.kind, gate.fragment, list(gate.candidates))
    state.profile = state.profile.merge(extract_profile(text, guide.vocabulary))
    return reply(
        guide.settings, turn, "clarification", clarification.text, remember=text, options=clarification.options
    )


async def remember(guide: OncoGuide, turn: Turn) -> Reply | None:
    """What the patient said about themselves, and the follow-up made into a standalone question."""
    state = turn.state
    state.profile = state.profile.merge(extract_profile(turn.question, guide.vocabulary))
    model_facts = (  # runs while the question is rewritten; merged before retrieval uses the profile
        asyncio.create_task(guide.profile_extractor.extract(turn.question)) if guide.profile_extractor else None
    )
    corrected, _ = correct_spelling(turn.question, guide.vocabulary)
    turn.rewrite = rewrite_followup(corrected, state, guide.vocabulary)
    turn.standalone = turn.rewrite.standalone
    if guide.rewriter is not None and turn.standalone != corrected and state.messages:
        turn.standalone = await guide.rewriter.rewrite(state.messages, corrected) or turn.standalone
    if model_facts is not None:  # the model only adds: the rules' facts win every conflict
        state.profile = (await model_facts).merge(state.profile)
    return None


async def retrieve(guide: OncoGuide, turn: Turn) -> Reply | None:
    """Passages for the standalone question, and the one decision whether the library covers it."""
    assert turn.scope is not None
    hooks = turn.hooks
    if hooks.on_retrieval_start:
        await hooks.on_retrieval_start(turn.standalone)
    tags = turn.state.profile.applies_to_tags()
    turn.passages = await asyncio.to_thread(guide.kb.search, turn.standalone, guide.settings.top_k, tags)
    if hooks.on_retrieval_done:
        await hooks.on_retrieval_done(turn.standalone, turn.passages)
    turn.relevant = guide.kb.is_relevant(turn.standalone, turn.passages)
    if turn.relevant or HEALTH_TERMS.search(turn.text) or turn.scope.advice_limits:
        return None
    body = load_prompt("out_of_scope.md")
    return reply(guide.settings, turn, "out_of_scope", body, remember=turn.text, suggestions=STARTER_QUESTIONS[:3])


async def second_opinion(guide: OncoGuide, turn: Turn) -> Reply | None:
    """The model's triage may raise the urgency: hear it before answering."""
    if turn.second_opinion is None:
        return None
    verdict = await turn.second_opinion
    if verdict is not None and verdict.urgency == "red":
        turn.triage = guide.from_verdict(verdict, "red")
        return reply(guide.settings, turn, "emergency", emergency_text(guide.settings, turn.triage), remember=turn.text)
    if verdict is not None and verdict.urgency == "amber" and turn.triage and turn.triage.urgency == "green":
        turn.triage = guide.from_verdict(verdict, "amber")
    return None


async def answer(guide: OncoGuide, turn: Turn) -> Reply:
    """The grounded answer, its checks, notes and sources; the turn is remembered."""
    assert turn.scope is not None and turn.rewrite is not None
    state = turn.state
    previous = next((m.content for m in reversed(state.messages) if m.type == "ai"), "")
    request = AnswerRequest(
        turn.standalone,
        turn.passages,
        state.profile,
        turn.text,
        turn.interpretation_note,
        turn.relevant,
        previous if isinstance(previous, str) else "",
    )
    draft = await guide.engine.answer(request, turn.hooks.on_token)
    if contains_directive(draft.text):  # never show a directive, whichever engine wrote it
        draft = await guide.composer.answer(request)
    notes = [ADVICE_LIMIT_NOTES[limit] for limit in turn.scope.advice_limits if limit in NOTES_FIRST]
    if turn.scope.injection:
        notes.append(load_prompt("injection.md"))
    later = [ADVICE_LIMIT_NOTES[limit] for limit in turn.scope.advice_limits if limit not in NOTES_FIRST]
    other = OTHER_CANCERS.search(turn.standalone)
    if other and "breast" not in turn.standalone.lower():
        later.append(
            f"OncoGuide's library is about breast cancer, so it has little or nothing specific to {other.group(0)}. "
            "Your care team and the National Cancer Institute (cancer.gov) can tell you more."
        )
    final_text = assemble(draft, notes, later)
    entities = [m.canonical for m in guide.vocabulary.find_entities(turn.standalone)]
    state.note_focus(entities or ([turn.rewrite.referent] if turn.rewrite.referent else []))
    state.remember_turn(turn.text, final_text, turn.standalone, guide.settings.history_max_tokens)
    return Reply(
        session=state.session_id,
        kind="answer",
        text=final_text,
        suggestions=draft.suggestions,
        sources=draft.sources,
        standalone_question=turn.standalone,
        profile=state.profile.to_dict(),
        timings_ms=turn.timings,
        engine=draft.engine,
        notice=draft.notice,
    )


def lead_with_amber(guide: OncoGuide, turn: Turn, answer_reply: Reply) -> Reply:
    """Every reply carries the urgency; an amber one opens with the note to contact the care team today."""
    urgency = turn.triage.urgency if turn.triage else "green"
    answer_reply.urgency = urgency
    if turn.triage and urgency == "amber" and answer_reply.kind != "emergency":
        answer_reply.text = amber_text(guide.settings, turn.triage) + "\n\n" + answer_reply.text
    return answer_reply
