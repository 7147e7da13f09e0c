"""The conversation pipeline, wired: input checks → safety → clarify gate → profile and memory →
retrieval → answer → output checks. ``OncoGuide`` is built once per process; each conversation
is a ``ConversationState``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache

from chains.answer_base import AnswerDraft, AnswerEngine, AnswerRequest, TokenSink, disclaimer, sources_block
from chains.clarify import (
    SOMETHING_ELSE,
    assess_message,
    clarification_message,
    is_small_talk,
    merge_reply,
    normalise_short,
)
from chains.composer import ComposerEngine
from chains.input_checks import check_input
from chains.language import LanguageCheck, check_language, language_name
from chains.llm import LLMRewriter
from chains.memory import ConversationState, PendingClarification, rewrite_followup
from chains.profile import PatientProfile, extract_profile
from chains.profile_llm import LLMProfileExtractor
from chains.prompts import load_prompt
from chains.retrieval import KnowledgeBase
from chains.safety import ADVICE_LIMIT_NOTES, HEALTH_TERMS, assess_scope, contains_directive, display_safe
from chains.settings import Settings, get_settings
from chains.spelling import correct_spelling
from chains.tokens import count_tokens
from chains.triage.grading import Triage, Triager
from chains.triage.llm_check import LLMTriageCheck, TriageVerdict
from chains.types import Passage, Reply
from chains.vocabulary import Vocabulary, default_vocabulary
from loaders.ingest import ensure_index as refresh_index

log = logging.getLogger("oncoguide.pipeline")
STARTER_QUESTIONS = [
    "How does CAR-T cell therapy work for breast cancer?",
    "What are the side effects of ribociclib?",
    "What lifestyle changes are recommended for breast cancer patients?",
    "How do I find the best clinical trial for breast cancer?",
]
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


@dataclass
class PipelineHooks:
    """Optional callbacks a UI uses to show progress; the CLI uses none."""

    on_token: TokenSink | None = None
    on_retrieval_start: Callable[[str], Awaitable[None]] | None = None
    on_retrieval_done: Callable[[str, list[Passage]], Awaitable[None]] | None = None


@cache
def _small_talk_texts() -> dict[str, str]:
    texts = {}
    for line in load_prompt("small_talk.md").splitlines():
        key, _, value = line.partition(":")
        texts[key.strip()] = value.strip()
    return texts


@cache
def _not_english_lines() -> dict[str, str]:
    """The same note in the patient's language, where we have it (chains/prompts/not_english_lines.json)."""
    return json.loads(load_prompt("not_english_lines.json"))


class OncoGuide:
    """Everything built once per process: settings, knowledge base, vocabulary, answer engine."""

    def __init__(
        self,
        settings: Settings,
        kb: KnowledgeBase,
        vocabulary: Vocabulary,
        engine: AnswerEngine,
        rewriter: LLMRewriter | None = None,
        profile_extractor: LLMProfileExtractor | None = None,
        triager: Triager | None = None,
        llm_triage: LLMTriageCheck | None = None,
    ) -> None:
        self.settings = settings
        self.triager = triager or Triager(fever_threshold_c=settings.fever_threshold_c)
        self.llm_triage = llm_triage
        self.kb = kb
        self.vocabulary = vocabulary
        self.engine = engine
        self.rewriter = rewriter
        self.profile_extractor = profile_extractor
        self.composer = engine if isinstance(engine, ComposerEngine) else ComposerEngine(kb)

    @classmethod
    def build(cls, settings: Settings | None = None, ensure_index: bool = True) -> OncoGuide:
        settings = settings or get_settings()
        if ensure_index:
            refresh_index(settings)
        kb = KnowledgeBase.open(settings.chroma_dir)
        composer = ComposerEngine(kb)
        engine: AnswerEngine = composer
        rewriter = None
        profile_extractor = None
        llm_triage = None
        vocabulary = default_vocabulary()
        if settings.llm_enabled:
            from chains.llm import LLMEngine, build_chat_model

            chat_model = build_chat_model(settings)
            engine = LLMEngine(settings, composer, chat_model)
            rewriter = LLMRewriter(settings, chat_model)
            if settings.llm_profile:
                profile_extractor = LLMProfileExtractor(settings, vocabulary, chat_model)
            if settings.llm_triage:
                llm_triage = LLMTriageCheck(settings, chat_model)
        guide = cls(settings, kb, vocabulary, engine, rewriter, profile_extractor, llm_triage=llm_triage)
        kb.search("warm-up: ribociclib side effects", 1)  # load the model and index before the first patient
        guide.triager.assess("warm-up: what is a port")  # and the triage classifier
        count_tokens("warm-up")  # and the tokenizer used to trim memory
        return guide

    def new_state(self, session_id: str) -> ConversationState:
        return ConversationState(session_id=session_id)

    # --- the turn -------------------------------------------------------------------------------
    async def respond(self, state: ConversationState, message: object, hooks: PipelineHooks | None = None) -> Reply:
        """Answer one patient message; never raises for bad input, always returns one reply.

        Every reply carries the message's triage urgency; an amber reply opens with the note to contact
        the care team today."""
        triaged: list[Triage] = []
        second_opinion: list[asyncio.Task[TriageVerdict | None]] = []
        try:
            reply = await self._respond(state, message, hooks or PipelineHooks(), triaged, second_opinion)
            if second_opinion and reply.kind != "emergency":  # replies that did not wait for it
                reply = self._raise_to(state, reply, triaged, await second_opinion[0])
        finally:
            for task in second_opinion:
                task.cancel()
        triage = triaged[0] if triaged else None
        reply.urgency = triage.urgency if triage else "green"
        if triage and triage.urgency == "amber" and reply.kind != "emergency":
            reply.text = self._amber_text(triage) + "\n\n" + reply.text
        return reply

    async def _respond(
        self,
        state: ConversationState,
        message: object,
        hooks: PipelineHooks,
        triaged: list[Triage],
        second_opinion: list[asyncio.Task[TriageVerdict | None]],
    ) -> Reply:
        timings: dict[str, float] = {}
        clock = time.perf_counter()

        def lap(stage: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            timings[stage] = (now - clock) * 1000
            clock = now

        checked = check_input(message, self.settings.max_message_chars)
        lap("input")
        if checked.problem:
            return self._reply(state, "clarification", checked.problem, timings, remember=None)
        text = checked.text
        history = list(state.recent_user_messages)

        if FORGET_ME.match(text):
            state.profile = PatientProfile()
            state.pending = None
            return self._reply(state, "answer", load_prompt("forgot.md"), timings, remember=text)

        triage = await asyncio.to_thread(self.triager.assess, text, history)  # keeps the event loop free
        asked, state.pending_triage = state.pending_triage, None
        if asked is not None and triage.urgency != "red":  # a new emergency always wins over the answer
            triage = await asyncio.to_thread(self.triager.answer_to_question, asked, text, history)
            text = asked["message"]  # now answer what was held back
        triaged.append(triage)
        scope = assess_scope(text)
        lap("safety")
        if triage.urgency == "red":
            state.pending = None
            state.profile = state.profile.merge(extract_profile(text, self.vocabulary))
            return self._reply(state, "emergency", self._emergency_text(triage), timings, remember=text)
        if self.llm_triage is not None and not (scope.injection or scope.out_of_scope):
            second_opinion.append(asyncio.create_task(self.llm_triage.check(text, history)))
        if triage.urgency == "unsure":
            state.pending = None
            state.pending_triage = {"message": text, "category": triage.category.id}
            question = triage.category.question
            return self._reply(
                state, "clarification", question.text, timings, remember=text, options=list(question.options)
            )
        language = check_language(text)
        if not language.english:  # our rules and sources are English: say so, with the urgent numbers
            return self._reply(state, "out_of_scope", self._not_english_text(language), timings, remember=text)
        if scope.out_of_scope:
            body = load_prompt("injection.md") if scope.injection else load_prompt("out_of_scope.md")
            return self._reply(state, "out_of_scope", body, timings, remember=text, suggestions=STARTER_QUESTIONS[:3])

        interpretation_note = None
        if state.pending is not None and text != SOMETHING_ELSE:
            merged = merge_reply(state.pending, text, self.vocabulary)
            question = merged.question
            scope = assess_scope(question)  # advice limits and injection notes apply to the whole merged question
            interpretation_note = display_safe(merged.interpretation_note) if merged.interpretation_note else None
            state.pending = None
            lap("clarify")
        else:
            if is_small_talk(text) and (history or normalise_short(text) in ("hi", "hello", "hey")):
                return self._small_talk(state, text, timings)
            has_referent = bool(state.focus or state.profile.current_treatments)
            gate = assess_message(text, self.vocabulary, history, has_referent=has_referent)
            lap("clarify")
            if gate.needs_clarification:
                clarification = clarification_message(gate)
                state.pending = PendingClarification(text, gate.kind, gate.fragment, list(gate.candidates))
                state.profile = state.profile.merge(extract_profile(text, self.vocabulary))
                return self._reply(
                    state, "clarification", clarification.text, timings, remember=text, options=clarification.options
                )
            question = text

        state.profile = state.profile.merge(extract_profile(question, self.vocabulary))
        model_facts = (  # runs while the question is rewritten; merged before retrieval uses the profile
            asyncio.create_task(self.profile_extractor.extract(question)) if self.profile_extractor else None
        )
        corrected, _ = correct_spelling(question, self.vocabulary)
        rewrite = rewrite_followup(corrected, state, self.vocabulary)
        standalone = rewrite.standalone
        if self.rewriter is not None and standalone != corrected and state.messages:
            standalone = await self.rewriter.rewrite(state.messages, corrected) or standalone
        if model_facts is not None:  # the model only adds: the rules' facts win every conflict
            state.profile = (await model_facts).merge(state.profile)
        lap("memory")

        if hooks.on_retrieval_start:
            await hooks.on_retrieval_start(standalone)
        passages = await asyncio.to_thread(self.kb.search, standalone, self.settings.top_k, self.state_tags(state))
        if hooks.on_retrieval_done:
            await hooks.on_retrieval_done(standalone, passages)
        lap("retrieval")

        top_similarity = max((p.similarity for p in passages), default=0.0)
        if top_similarity < 0.2 and not HEALTH_TERMS.search(text) and not scope.advice_limits:
            return self._reply(
                state,
                "out_of_scope",
                load_prompt("out_of_scope.md"),
                timings,
                remember=text,
                suggestions=STARTER_QUESTIONS[:3],
            )

        if second_opinion:  # the model's triage may raise the urgency: hear it before answering
            verdict = await second_opinion[0]
            if verdict is not None and verdict.urgency == "red":
                triaged[0] = self._from_verdict(verdict, "red")
                return self._reply(state, "emergency", self._emergency_text(triaged[0]), timings, remember=text)
            if verdict is not None and verdict.urgency == "amber" and triaged[0].urgency == "green":
                triaged[0] = self._from_verdict(verdict, "amber")
        request = AnswerRequest(standalone, passages, state.profile, text, interpretation_note)
        draft = await self.engine.answer(request, hooks.on_token)
        if contains_directive(draft.text):  # never show a directive, whichever engine wrote it
            draft = await self.composer.answer(request)
        lap("answer")

        notes = [ADVICE_LIMIT_NOTES[limit] for limit in scope.advice_limits]
        other = OTHER_CANCERS.search(standalone)
        if other and "breast" not in standalone.lower():
            notes.append(
                f"OncoGuide's library is about breast cancer, so it has little or nothing specific to {other.group(0)}. "
                "The general information below may still help; your care team and the National Cancer Institute (cancer.gov) can tell you more."
            )
        if scope.injection:
            notes.append(load_prompt("injection.md"))
        final_text = self._assemble(draft, notes)
        entities = [m.canonical for m in self.vocabulary.find_entities(standalone)]
        state.note_focus(entities or ([rewrite.referent] if rewrite.referent else []))
        state.remember_turn(text, final_text, standalone, self.settings.history_max_tokens)
        lap("finish")
        timings["total"] = sum(v for k, v in timings.items())
        return Reply(
            session=state.session_id,
            kind="answer",
            text=final_text,
            suggestions=draft.suggestions,
            sources=draft.sources,
            standalone_question=standalone,
            profile=state.profile.to_dict(),
            timings_ms=timings,
            engine=draft.engine,
            notice=draft.notice,
        )

    def state_tags(self, state: ConversationState) -> set[str]:
        return state.profile.applies_to_tags()

    # --- reply builders -------------------------------------------------------------------------
    def _assemble(self, draft: AnswerDraft, notes: list[str]) -> str:
        parts = [f"**A note first:** {note}" for note in notes]
        if draft.notice:
            parts.append(f"*{draft.notice}*")
        parts.append(draft.text)
        parts.append(disclaimer())
        if draft.sources:
            parts.append(sources_block(draft.sources))
        return "\n\n".join(parts)

    def _not_english_text(self, language: LanguageCheck) -> str:
        text = load_prompt("not_english.md").format(
            language=language_name(language),
            care_team_line=self.settings.care_team_line,
            emergency_number=self.settings.emergency_number,
        )
        own = _not_english_lines().get(language.language or "")
        return text + ("\n\n" + own.format(emergency_number=self.settings.emergency_number) if own else "")

    def _emergency_text(self, triage: Triage) -> str:
        template = load_prompt("crisis.md" if triage.crisis else "emergency.md")
        return template.format(
            care_team_line=self.settings.care_team_line,
            emergency_number=self.settings.emergency_number,
            crisis_line=self.settings.crisis_line,
            reason=triage.category.reason,
        )

    def _from_verdict(self, verdict: TriageVerdict, urgency: str) -> Triage:
        return Triage(urgency, self.triager.category(verdict.category), "llm", evidence=verdict.reason)  # type: ignore[arg-type]

    def _raise_to(
        self, state: ConversationState, reply: Reply, triaged: list[Triage], verdict: TriageVerdict | None
    ) -> Reply:
        """Apply the model's verdict to a reply that did not wait for it: it may only raise the urgency."""
        if verdict is None or not triaged:
            return reply
        if verdict.urgency == "red" and triaged[0].urgency != "red":
            triaged[0] = self._from_verdict(verdict, "red")
            state.pending = state.pending_triage = None
            text = self._emergency_text(triaged[0])
            if state.messages:
                state.messages[-1].content = text  # memory shows what the patient saw
            return Reply(
                session=reply.session, kind="emergency", text=text, profile=reply.profile, timings_ms=reply.timings_ms
            )
        if verdict.urgency == "amber" and triaged[0].urgency == "green":
            triaged[0] = self._from_verdict(verdict, "amber")
        return reply

    def _amber_text(self, triage: Triage) -> str:
        return load_prompt("amber.md").format(
            what=triage.category.amber or triage.category.name,
            care_team_line=self.settings.care_team_line,
            emergency_number=self.settings.emergency_number,
        )

    def _small_talk(self, state: ConversationState, text: str, timings: dict[str, float]) -> Reply:
        texts = _small_talk_texts()
        short = normalise_short(text)
        key = (
            "greeting"
            if short.startswith(("hi", "hello", "hey", "good"))
            else "thanks"
            if "thank" in short or short in ("thx", "ty")
            else "ack"
        )
        suggestions = STARTER_QUESTIONS[:3] if key == "greeting" else []
        return self._reply(state, "answer", texts[key], timings, remember=text, suggestions=suggestions)

    def _reply(
        self,
        state: ConversationState,
        kind: str,
        text: str,
        timings: dict[str, float],
        remember: str | None,
        options: list[str] | None = None,
        suggestions: list[str] | None = None,
    ) -> Reply:
        if remember is not None:
            state.remember_turn(remember, text, None, self.settings.history_max_tokens)
        timings["total"] = sum(timings.values())
        return Reply(
            session=state.session_id,
            kind=kind,  # type: ignore[arg-type]
            text=text,
            options=options or [],
            suggestions=suggestions or [],
            profile=state.profile.to_dict(),
            timings_ms=timings,
        )
