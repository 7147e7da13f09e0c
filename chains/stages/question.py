"""The stages that work out what is asked: a pending clarification merged or a new one asked, small talk,
the profile and the standalone follow-up, and which cancer the question is about."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from chains.cancer_types import ANY, cancer_types
from chains.safety import assess_scope, display_safe
from chains.stages.replies import reply, small_talk_text
from chains.stages.turn import Turn
from chains.text.context import QUESTION_START
from chains.text.normalise import short_form
from chains.types import Reply
from chains.understand.clarify.gate import assess_message
from chains.understand.clarify.reply import SOMETHING_ELSE, clarification_message, merge_reply
from chains.understand.clarify.shape import is_small_talk
from chains.understand.followups import rewrite_followup
from chains.understand.memory import PendingClarification
from chains.understand.profile.extract import extract_profile
from chains.understand.spelling import correct_spelling

if TYPE_CHECKING:
    from chains.pipeline import OncoGuide


async def clarify(guide: OncoGuide, turn: Turn) -> Reply | None:
    """Merge the reply to a pending clarification, answer small talk, or ask before guessing."""
    state, text = turn.state, turn.text
    if state.pending is not None and text != SOMETHING_ELSE:
        if state.pending.kind == "cancer_type" and cancer_types().chosen(text) is None:
            turn.cancer_type = ANY  # "Another cancer", or no type named: answer for every cancer, don't ask again
        merged = merge_reply(state.pending, text, guide.vocabulary)
        turn.question = merged.question
        # A button chosen to finish a question ("neutropenia" for "what helps … for example neutr") is not a fact
        # about the patient: the profile reads the held-back question alone. Finishing a statement ("the dose
        # was…" + "reduced") is the patient's own account and counts.
        held = state.pending.message
        if text in state.pending.candidates and (held.rstrip().endswith("?") or QUESTION_START.match(held)):
            turn.said = held
        turn.scope = assess_scope(merged.question)  # advice limits and injection notes apply to the merged question
        turn.interpretation_note = display_safe(merged.interpretation_note) if merged.interpretation_note else None
        state.pending = None
        return None
    if is_small_talk(text) and (turn.history or short_form(text) in ("hi", "hello", "hey")):
        body, suggestions = small_talk_text(text)
        return reply(guide.settings, turn, "answer", body, remember=text, suggestions=suggestions)
    has_referent = bool(
        state.focus or state.profile.current_treatments or state.cancer_focus or state.profile.cancer_type
    )
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
    said = turn.said or turn.question
    state.profile = state.profile.merge(extract_profile(said, guide.vocabulary))
    model_facts = (  # runs while the question is rewritten; merged before retrieval uses the profile
        asyncio.create_task(guide.profile_extractor.extract(said)) if guide.profile_extractor else None
    )
    corrected, _ = correct_spelling(turn.question, guide.vocabulary)
    turn.rewrite = rewrite_followup(corrected, state, guide.vocabulary)
    turn.standalone = turn.rewrite.standalone
    if guide.rewriter is not None and turn.standalone != corrected and state.messages:
        turn.standalone = await guide.rewriter.rewrite(state.messages, corrected) or turn.standalone
    if model_facts is not None:  # the model only adds: the rules' facts win every conflict
        state.profile = (await model_facts).merge(state.profile)
    return None


async def steer(guide: OncoGuide, turn: Turn) -> Reply | None:
    """Which cancer the question is about: the one it names, else the last one the conversation named or chose,
    else the patient's, else one its tests, operations or medicines point to, else the deployment's. A pointer
    ("herceptin", "a colonoscopy") never overrides a cancer the conversation knows. Unknown stays unknown:
    ``which_cancer`` may ask."""
    catalogue, state = cancer_types(), turn.state

    def named_in(text: str, signals: bool) -> str | None:
        found = catalogue.first_mentioned(text, signals=signals)
        return found.id if found else None

    named = named_in(turn.question, False) or named_in(turn.standalone, False)
    if named is not None:
        turn.cancer_type = state.cancer_focus = named
    if turn.cancer_type is not None:  # named, or chosen from the "which cancer?" buttons
        return None
    earlier = next((t for past in reversed(turn.history) if (t := named_in(past, False))), None)
    own = catalogue.get(state.profile.cancer_type) or (catalogue.get("breast") if state.profile.receptors else None)
    known = earlier or state.cancer_focus or (own.id if own else None)
    if known is not None:
        turn.cancer_type = known
        return None
    pointed = (
        named_in(turn.question, True)
        or named_in(turn.standalone, True)
        or next((t for past in reversed(turn.history) if (t := named_in(past, True))), None)
    )
    if pointed is not None:
        turn.cancer_type = state.cancer_focus = pointed
        return None
    turn.cancer_type = guide.settings.default_cancer_type or None
    return None
