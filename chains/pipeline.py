"""The conversation pipeline, wired last: the stages of a turn, in order, over one typed ``Turn``.

    check → forget → triage → urgent → ask_triage → language → scope → clarify → remember → steer → retrieve
    → which_cancer → second_opinion → answer

Each stage lives in ``chains/stages/`` (by job: gate, question, search, answer) and returns a reply only
when the turn ends there. ``OncoGuide`` is built once per process (knowledge base, vocabulary, triage, answer engine, optional LLM clients); each
conversation is a ``ConversationState``. It opens the index ``loaders.ingest`` built and never builds one:
a missing, empty or out-of-date index raises ``IndexNotReady``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from chains.answer.base import AnswerEngine
from chains.answer.composer import ComposerEngine
from chains.answer.llm import LLMRewriter
from chains.retrieval.chroma_client import shared_chroma_client
from chains.retrieval.index import COLLECTION_NAME, INDEX_VERSION
from chains.retrieval.knowledge_base import KnowledgeBase
from chains.retrieval.tokens import count_tokens
from chains.safety.topic import default_topic_classifier
from chains.settings import Settings, get_settings
from chains.stages import answer, gate, question, search
from chains.stages.replies import STARTER_QUESTIONS, emergency_text
from chains.stages.turn import PipelineHooks, Turn
from chains.triage.grading import Triage, Triager
from chains.triage.llm_check import LLMTriageCheck, TriageVerdict
from chains.types import Reply
from chains.understand.memory import ConversationState
from chains.understand.profile.llm import LLMProfileExtractor
from chains.understand.vocabulary import Vocabulary, default_vocabulary

__all__ = ["STARTER_QUESTIONS", "OncoGuide", "PipelineHooks"]
log = logging.getLogger("oncoguide.pipeline")
Stage = Callable[["OncoGuide", Turn], Awaitable[Reply | None]]
STAGES: list[Stage] = [
    gate.check,
    gate.forget,
    gate.triage,
    gate.urgent,
    gate.ask_triage,
    gate.language,
    gate.scope,
    question.clarify,
    question.remember,
    question.steer,
    search.retrieve,
    search.which_cancer,
    answer.second_opinion,
    answer.answer,
]


class IndexNotReady(RuntimeError):
    """The knowledge-base index is missing, empty or built for another ``INDEX_VERSION``: run the ingest."""


def check_index(where: Path, collection_name: str = COLLECTION_NAME) -> None:
    """Raise ``IndexNotReady`` unless the index (in ``where``, or on the Chroma server ``CHROMA_URL`` names) can
    serve this code as it stands.

    Building it is ``loaders.ingest``'s job (``make run`` runs ``make index`` first). Any other fault opening
    it (a damaged folder, a server that does not answer) is raised as it is."""
    build = "build it with `make index` (python -m loaders.ingest)"
    server = get_settings().chroma_url
    if not server and not where.exists():
        raise IndexNotReady(f"there is no knowledge-base index at {where}: {build}")
    place = server or where
    client = shared_chroma_client(where)
    if collection_name not in {getattr(c, "name", c) for c in client.list_collections()}:
        raise IndexNotReady(f"the knowledge-base index at {place} has no collection {collection_name!r}: {build}")
    collection = client.get_collection(collection_name)
    version = (collection.metadata or {}).get("index_version")
    if version != INDEX_VERSION:
        raise IndexNotReady(
            f"the knowledge-base index at {place} was built as {version!r}, this code reads {INDEX_VERSION!r}: "
            f"re{build}"
        )
    if collection.count() == 0:
        raise IndexNotReady(f"the knowledge-base index at {place} is empty: {build}")


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
        self.topic = default_topic_classifier()

    @classmethod
    def build(cls, settings: Settings | None = None) -> OncoGuide:
        """Open the index and load the models; raises ``IndexNotReady`` when the index must be (re)built first."""
        settings = settings or get_settings()
        check_index(settings.chroma_dir)
        kb = KnowledgeBase.open(settings.chroma_dir)
        composer = ComposerEngine(kb)
        engine: AnswerEngine = composer
        rewriter = None
        profile_extractor = None
        llm_triage = None
        vocabulary = default_vocabulary()
        if settings.llm_enabled:
            from chains.answer.llm import LLMEngine
            from chains.llm_client import build_chat_model

            chat_model = build_chat_model(settings)
            engine = LLMEngine(settings, composer, chat_model)
            rewriter = LLMRewriter(settings, chat_model)
            if settings.llm_profile:
                profile_extractor = LLMProfileExtractor(settings, vocabulary, chat_model)
            if settings.llm_triage:
                llm_triage = LLMTriageCheck(settings, chat_model)
        guide = cls(settings, kb, vocabulary, engine, rewriter, profile_extractor, llm_triage=llm_triage)
        passages = kb.search("warm-up: ribociclib side effects", 1)  # load the model and index before the first patient
        guide.composer.select("warm-up: ribociclib side effects", passages)  # the answer ranker and its rules
        guide.triager.assess("warm-up: what is a port")  # and the triage classifier
        guide.topic.is_off_topic("warm-up: what is a port")  # and the on-topic classifier
        count_tokens("warm-up")  # and the tokenizer used to trim memory
        return guide

    def new_state(self, session_id: str) -> ConversationState:
        return ConversationState(session_id=session_id)

    async def respond(self, state: ConversationState, message: object, hooks: PipelineHooks | None = None) -> Reply:
        """Answer one patient message; never raises for bad input, always returns one reply."""
        turn = Turn(state, message, hooks or PipelineHooks())
        try:
            reply = await self._run(turn)
            if turn.second_opinion is not None and reply.kind != "emergency":  # replies that did not wait for it
                reply = self._raise_to(turn, reply, await turn.second_opinion)
        finally:
            if turn.second_opinion is not None:
                turn.second_opinion.cancel()
        return answer.lead_with_amber(self, turn, reply)

    async def _run(self, turn: Turn) -> Reply:
        for stage in STAGES:
            start = time.perf_counter()
            reply = await stage(self, turn)
            turn.timings[stage.__name__] = (time.perf_counter() - start) * 1000
            if reply is not None:
                turn.timings["total"] = sum(v for k, v in turn.timings.items() if k != "total")
                return reply
        raise AssertionError("the answer stage always replies")

    def from_verdict(self, verdict: TriageVerdict, urgency: str) -> Triage:
        return Triage(urgency, self.triager.category(verdict.category), "llm", evidence=verdict.reason)  # type: ignore[arg-type]

    def _raise_to(self, turn: Turn, reply: Reply, verdict: TriageVerdict | None) -> Reply:
        """Apply the model's verdict to a reply that did not wait for it: it may only raise the urgency."""
        if verdict is None or turn.triage is None:
            return reply
        if verdict.urgency == "red" and turn.triage.urgency != "red":
            turn.triage = self.from_verdict(verdict, "red")
            turn.state.pending = turn.state.pending_triage = None
            text = emergency_text(self.settings, turn.triage)
            if turn.state.messages:
                turn.state.messages[-1].content = text  # memory shows what the patient saw
            return Reply(
                session=reply.session, kind="emergency", text=text, profile=reply.profile, timings_ms=reply.timings_ms
            )
        if verdict.urgency == "amber" and turn.triage.urgency == "green":
            turn.triage = self.from_verdict(verdict, "amber")
        return reply
