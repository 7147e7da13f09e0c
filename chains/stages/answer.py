"""The last stages: the LLM's second triage opinion, the grounded answer with its notes and sources, and the
amber note put first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chains.answer.base import AnswerRequest
from chains.cancer_types import ANY, cancer_types
from chains.prompts import load_prompt
from chains.safety import ADVICE_LIMIT_NOTES, contains_directive
from chains.stages.replies import amber_text, assemble, cancer_note, emergency_text, reply
from chains.stages.turn import Turn
from chains.types import Reply
from chains.understand.profile.asker import cared_for

if TYPE_CHECKING:
    from chains.pipeline import OncoGuide

NOTES_FIRST = ("dosing",)  # said before the answer, so a dose in the library is not read as the patient's dose


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
        turn.cancer_type,
        cared_for([*state.recent_user_messages, turn.text]),
        tuple(state.recent_user_messages),
    )
    draft = await guide.engine.answer(request, turn.hooks.on_token)
    if contains_directive(draft.text):  # never show a directive, whichever engine wrote it
        draft = await guide.composer.answer(request)
    notes = [ADVICE_LIMIT_NOTES[limit] for limit in turn.scope.advice_limits if limit in NOTES_FIRST]
    if turn.scope.injection:
        notes.append(load_prompt("injection.md"))
    later = [ADVICE_LIMIT_NOTES[limit] for limit in turn.scope.advice_limits if limit not in NOTES_FIRST]
    cited = {p.doc_id: p.cancer_type for p in turn.passages}
    about = cancer_note(cancer_types().get(turn.cancer_type or ""), [cited.get(s.doc_id, ANY) for s in draft.sources])
    final_text = assemble(draft, notes, later, about)
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
