"""The small interface every answer engine implements, and the shared answer-shaping helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from chains.profile import PatientProfile
from chains.prompts import load_prompt
from chains.types import Passage, SourceRef

TokenSink = Callable[[str], Awaitable[None]]


@dataclass(frozen=True)
class AnswerRequest:
    question: str  # the standalone question
    passages: list[Passage]
    profile: PatientProfile
    original_message: str = ""
    interpretation_note: str | None = None  # "I took your message to mean ..." after a clarification


@dataclass
class AnswerDraft:
    text: str
    sources: list[SourceRef]
    suggestions: list[str] = field(default_factory=list)
    engine: str = "composer"
    notice: str | None = None


class AnswerEngine(Protocol):
    name: str

    def stream(self, request: AnswerRequest) -> AsyncIterator[str]:
        """Yield the answer's Markdown in pieces (the body, before disclaimer and sources)."""
        ...

    async def answer(self, request: AnswerRequest, on_token: TokenSink | None = None) -> AnswerDraft: ...


def number_sources(passages: list[Passage]) -> dict[str, SourceRef]:
    """One citation number per document, in order of relevance."""
    refs: dict[str, SourceRef] = {}
    for passage in passages:
        if passage.doc_id not in refs:
            refs[passage.doc_id] = SourceRef(len(refs) + 1, passage.doc_id, passage.title, passage.url, passage.heading)
    return refs


def disclaimer() -> str:
    return load_prompt("disclaimer.md")


def sources_block(refs: list[SourceRef]) -> str:
    lines = ["**Sources**"]
    for ref in refs:
        link = f"[{ref.title}]({ref.url})" if ref.url else ref.title
        lines.append(f"{ref.n}. {link} — OncoGuide library: `{ref.doc_id}`")
    return "\n".join(lines)


def personal_opening(profile: PatientProfile) -> str | None:
    facts = profile.describe()
    if not facts:
        return None
    facts[0] = facts[0].removeprefix("your ")  # "Given your current treatment ...", not "your your"
    joined = facts[0] if len(facts) == 1 else ", ".join(facts[:-1]) + " and " + facts[-1]
    return f"Given your {joined}, here is what the guidance says."


def related_questions(request: AnswerRequest, limit: int = 3) -> list[str]:
    """Follow-up questions drawn from the other documents that came up in retrieval."""
    seen = {request.passages[0].doc_id} if request.passages else set()
    suggestions = []
    for passage in request.passages[1:]:
        if passage.doc_id in seen:
            continue
        seen.add(passage.doc_id)
        suggestions.append(f"What should I know about {passage.title.split(':')[0].strip()}?")
        if len(suggestions) >= limit:
            break
    return suggestions
