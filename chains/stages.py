"""The stages of a turn, in the order ``OncoGuide.STAGES`` runs them. Each reads and fills in the ``Turn``
and returns a ``Reply`` only when the turn ends there."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from typing import TYPE_CHECKING

from chains.answer_base import AnswerRequest
from chains.cancer_types import ANY, cancer_types
from chains.clarify import (
    SOMETHING_ELSE,
    assess_message,
    clarification_message,
    is_small_talk,
    merge_reply,
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
    cancer_note,
    emergency_text,
    not_english_text,
    reply,
    small_talk_text,
    which_cancer_question,
)
from chains.retrieval import RELEVANT_SIMILARITY
from chains.safety import (
    ADVICE_LIMIT_NOTES,
    HEALTH_TERMS,
    ONCOLOGY_TERMS,
    assess_scope,
    contains_directive,
    display_safe,
)
from chains.spelling import correct_spelling
from chains.text.context import QUESTION_START
from chains.text.normalise import short_form
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
LIKELY_OFF_TOPIC = 0.5  # when the library has nothing, below this the message is taken as care wording it lacks
GENERAL_PAGE_SHARE = 0.7  # one cancer's best page scoring under this share of a page for every cancer: no question
WHICH_CANCER_DOCUMENTS = 8  # the best documents looked at for pages about different cancers
AMBIGUOUS_SCORE = 0.8  # a page about another cancer scoring this share of the best page's makes the type matter
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


def _names_care(guide: OncoGuide, text: str) -> bool:
    """A cancer, a medicine, a test or an oncology word: the classifier is not trusted to turn such a message away
    (it was wrong on one in twenty of a new writer's in-domain messages; a patient turned away costs more)."""
    return bool(cancer_types().mentioned(text) or guide.vocabulary.find_entities(text) or ONCOLOGY_TERMS.search(text))


async def scope(guide: OncoGuide, turn: Turn) -> Reply | None:
    """Off-topic requests and injection attempts (rules), and an opening message the on-topic classifier reads as
    not about cancer care at all. A reply to OncoGuide's own question, a message naming a cancer, a medicine or
    an oncology word, and a follow-up in a conversation already about cancer are never turned away by it (the
    retrieval stage still says so when the library has nothing)."""
    assert turn.scope is not None
    opening = not turn.history  # the conversation's first message: later ones follow what was said
    ask_model = opening and not turn.scope.out_of_scope and turn.state.pending is None
    if ask_model and not _names_care(guide, turn.text) and await asyncio.to_thread(guide.topic.is_off_topic, turn.text):
        turn.scope = replace(turn.scope, out_of_scope=True)
    if not turn.scope.out_of_scope:
        return None
    body = load_prompt("injection.md") if turn.scope.injection else load_prompt("out_of_scope.md")
    return reply(guide.settings, turn, "out_of_scope", body, remember=turn.text, suggestions=STARTER_QUESTIONS[:3])


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
    else the patient's, else the deployment's. Unknown stays unknown: ``which_cancer`` may ask."""
    catalogue, state = cancer_types(), turn.state
    named = catalogue.first_mentioned(turn.question) or catalogue.first_mentioned(turn.standalone)
    if named is not None:
        turn.cancer_type = state.cancer_focus = named.id
    if turn.cancer_type is not None:
        return None
    earlier = next((t for past in reversed(turn.history) if (t := catalogue.first_mentioned(past))), None)
    own = catalogue.get(state.profile.cancer_type) or (catalogue.get("breast") if state.profile.receptors else None)
    turn.cancer_type = ((earlier.id if earlier else None) or state.cancer_focus or (own.id if own else None)) or (
        guide.settings.default_cancer_type or None
    )
    return None


def steered_query(question: str, cancer_type: str | None) -> str:
    """The search text: a known cancer the question does not name is added ("… (prostate cancer)"); the name of
    a cancer the library lacks is left out, since only its general pages can answer."""
    cancer = cancer_types().get(cancer_type or "")
    if cancer is None:
        return question
    if not cancer.in_library:
        return cancer.signal.sub("cancer", question)
    return question if cancer.signal.search(question) else f"{question} ({cancer.name})"


async def retrieve(guide: OncoGuide, turn: Turn) -> Reply | None:
    """Passages for the standalone question, and the one decision whether the library covers it."""
    assert turn.scope is not None
    hooks = turn.hooks
    if hooks.on_retrieval_start:
        await hooks.on_retrieval_start(turn.standalone)
    tags = turn.state.profile.applies_to_tags()
    named = turn.cancer_type != (guide.settings.default_cancer_type or None)  # the deployment's type only boosts
    query = steered_query(turn.standalone, turn.cancer_type) if named else turn.standalone
    turn.passages = await asyncio.to_thread(guide.kb.search, query, guide.settings.top_k, tags, 2, turn.cancer_type)
    if hooks.on_retrieval_done:
        await hooks.on_retrieval_done(turn.standalone, turn.passages)
    turn.relevant = guide.kb.is_relevant(query, turn.passages)
    weak_match = turn.relevant and max(p.similarity for p in turn.passages) < RELEVANT_SIMILARITY
    if weak_match and not turn.history and turn.cancer_type in (None, guide.settings.default_cancer_type or None):
        # Only a shared word ("port my mobile number", "port wine") ties an opening message to the library:
        # the on-topic classifier decides whether it is about cancer care at all.
        turn.relevant = guide.topic.off_topic_probability(turn.text) < LIKELY_OFF_TOPIC
    missing = cancer_types().get(turn.cancer_type or "")
    if missing is not None and not missing.in_library and turn.relevant:
        # Only the general pages can answer about a cancer the library lacks, and only on a named treatment,
        # medicine or symptom ("radiation side effects"): "what is thyroid cancer" gets the note and where to
        # read, not filler.
        turn.relevant = bool(guide.vocabulary.find_entities(query))
    if turn.relevant or HEALTH_TERMS.search(turn.text) or turn.scope.advice_limits or turn.cancer_type:
        return None  # a cancer the library lacks still gets its note and where to read, not "out of scope"
    if guide.topic.off_topic_probability(turn.text) < LIKELY_OFF_TOPIC:
        return None  # care wording the library lacks ("what is TACE"): "I could not find that", not "out of scope"
    body = load_prompt("out_of_scope.md")
    return reply(guide.settings, turn, "out_of_scope", body, remember=turn.text, suggestions=STARTER_QUESTIONS[:3])


async def which_cancer(guide: OncoGuide, turn: Turn) -> Reply | None:
    """Ask which cancer, with buttons, when the answer depends on it and nothing says which: no cancer is known,
    the question names no medicine or test, and the best page about one cancer (not far below any page written for
    every cancer) has a page about another cancer scoring close to it (``AMBIGUOUS_SCORE``)."""
    if turn.cancer_type is not None or not turn.relevant or guide.vocabulary.find_entities(turn.standalone):
        return None
    documents, _ = await asyncio.to_thread(guide.kb.rank_documents, turn.standalone)
    ranked = [(guide.kb.cancer_type_of(doc_id), score) for doc_id, score, _ in documents[:WHICH_CANCER_DOCUMENTS]]
    specific = [(t, score) for t, score in ranked if t != ANY]
    if not specific or specific[0][1] < GENERAL_PAGE_SHARE * ranked[0][1]:
        return None  # a page written for every cancer answers it far better than any one cancer's page
    top_type, top_score = specific[0]
    close = [t for t, score in ranked[1:] if t not in (ANY, top_type) and score >= AMBIGUOUS_SCORE * top_score]
    if not close:
        return None
    seen = [t for t in (cancer_types().get(i) for i in dict.fromkeys([top_type, *close])) if t is not None]
    text, options = which_cancer_question(seen)
    turn.state.pending = PendingClarification(turn.text, "cancer_type", "", options)
    return reply(guide.settings, turn, "clarification", text, remember=turn.text, options=options)


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
