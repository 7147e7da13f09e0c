"""LLM answer engine: an OpenAI-compatible endpoint (OpenAI, vLLM, llama.cpp server, Ollama ...)
through ``langchain-openai``, answering only from the same retrieved passages, streamed.

Any endpoint error, timeout, or an answer that fails the output checks falls back to the offline
composer, and the reply says so.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from chains.answer.base import AnswerDraft, AnswerRequest, TokenSink, number_sources, related_questions
from chains.answer.composer import ComposerEngine
from chains.llm_client import build_chat_model
from chains.prompts import load_prompt
from chains.safety import check_generated_answer, unsafe_fragment
from chains.settings import Settings

log = logging.getLogger("oncoguide.llm")
FALLBACK_NOTICE = (
    "The AI writing service did not respond properly, so this answer was put together directly from "
    "OncoGuide's library instead."
)


def context_block(request: AnswerRequest, selected: dict[str, list[str]] | None = None) -> str:
    """Passages numbered by document, as the model must cite them: the sentences the composer selected for
    the question when given (the same evidence either engine answers from), else the whole passages."""
    refs = number_sources(request.passages)
    by_doc: dict[str, list[str]] = {}
    for passage in request.passages:
        by_doc.setdefault(passage.doc_id, []).append(f"{passage.heading}: {passage.text}")
    if selected:
        by_doc = {doc_id: selected.get(doc_id) or texts for doc_id, texts in by_doc.items()}
    parts = []
    for doc_id, ref in refs.items():
        body = "\n".join(by_doc[doc_id])
        parts.append(f"[{ref.n}] {ref.title} (evidence: {_evidence(request, doc_id)})\n{body}")
    return "\n\n".join(parts)


def _evidence(request: AnswerRequest, doc_id: str) -> str:
    return next((p.evidence for p in request.passages if p.doc_id == doc_id), "")


def build_messages(request: AnswerRequest, selected: dict[str, list[str]] | None = None) -> list[BaseMessage]:
    facts = "; ".join(request.profile.describe()) or "(none stated)"
    user = load_prompt("answer_user.md").format(
        profile=facts, question=request.question, context=context_block(request, selected)
    )
    return [SystemMessage(load_prompt("answer_system.md")), HumanMessage(user)]


class UnsafeStream(Exception):
    """A generated sentence failed the output checks before it was shown."""


_SENTENCE_END = re.compile(r"(?<=[.!?:])\s+|\n")


def _split_sentences(text: str) -> tuple[str, str]:
    """(complete sentences, the unfinished rest) of streamed text."""
    ends = list(_SENTENCE_END.finditer(text))
    if not ends:
        return "", text
    cut = ends[-1].end()
    return text[:cut], text[cut:]


class LLMEngine:
    """Streams an answer from the configured model; falls back to the composer on any failure."""

    name = "llm"

    def __init__(self, settings: Settings, composer: ComposerEngine, chat_model=None) -> None:
        self.settings = settings
        self.composer = composer
        self.chat_model = chat_model or build_chat_model(settings)

    async def stream(self, request: AnswerRequest) -> AsyncIterator[str]:
        lead, detail = self.composer.select_for(request)
        selected: dict[str, list[str]] = {}
        for unit in lead + detail:
            selected.setdefault(unit.doc_id, []).append(f"{unit.heading}: {unit.text}")
        async for chunk in self.chat_model.astream(build_messages(request, selected)):
            text = chunk.content if isinstance(chunk.content, str) else ""
            if text:
                yield text

    async def answer(self, request: AnswerRequest, on_token: TokenSink | None = None) -> AnswerDraft:
        if not request.passages or not request.relevant:
            return await self.composer.answer(request, on_token)
        refs = number_sources(request.passages)
        pieces: list[str] = []
        pending = ""  # text not shown yet: released a sentence at a time, after it passes the checks
        try:
            async with asyncio.timeout(self.settings.llm_timeout_s):
                async for piece in self.stream(request):
                    pieces.append(piece)
                    pending += piece
                    shown, pending = _split_sentences(pending)
                    if shown:
                        await self._release(shown, on_token)
                if pending:
                    await self._release(pending, on_token)
        except UnsafeStream as exc:
            log.warning("LLM answer stopped before display (%s); using the composer", exc)
            return await self._fallback(request)
        except Exception as exc:  # endpoint down, HTTP 5xx, timeout, malformed stream: all fall back
            log.warning("LLM answer failed (%s: %s); using the composer", exc.__class__.__name__, exc)
            return await self._fallback(request)
        text = "".join(pieces).strip()
        problems = check_generated_answer(text, allowed_citations={r.n for r in refs.values()})
        if problems:
            log.warning("LLM answer failed output checks (%s); using the composer", "; ".join(problems))
            return await self._fallback(request)
        cited = [ref for ref in refs.values() if f"[{ref.n}]" in text]
        if request.interpretation_note:
            text = f"*{request.interpretation_note}*\n\n{text}"
        return AnswerDraft(
            text, cited or list(refs.values())[:1], related_questions(request, self.composer.kb), engine=self.name
        )

    @staticmethod
    async def _release(text: str, on_token: TokenSink | None) -> None:
        problem = unsafe_fragment(text)
        if problem:
            raise UnsafeStream(problem)
        if on_token is not None:
            await on_token(text)

    async def _fallback(self, request: AnswerRequest) -> AnswerDraft:
        draft = await self.composer.answer(request)
        draft.notice = FALLBACK_NOTICE
        draft.engine = "composer-fallback"
        return draft


class LLMRewriter:
    """Rewrites a follow-up into a standalone question with the model; None means use ours."""

    def __init__(self, settings: Settings, chat_model=None) -> None:
        self.settings = settings
        self.chat_model = chat_model or build_chat_model(settings)

    async def rewrite(self, history: list[BaseMessage], message: str) -> str | None:
        lines = [
            f"{'Patient' if isinstance(m, HumanMessage) else 'OncoGuide'}: {str(m.content)[:400]}" for m in history[-6:]
        ]
        prompt = load_prompt("rewrite.md").format(history="\n".join(lines) or "(none)", message=message)
        try:
            async with asyncio.timeout(min(self.settings.llm_timeout_s, 15.0)):
                result = await self.chat_model.ainvoke([HumanMessage(prompt)])
        except Exception as exc:
            log.warning("LLM rewrite failed (%s); using the deterministic rewrite", exc.__class__.__name__)
            return None
        text = str(result.content).strip().strip('"').strip()
        if not text or "\n" in text or len(text) > 400:
            return None
        return text
