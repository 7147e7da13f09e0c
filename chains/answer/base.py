"""The small interface every answer engine implements, and the shared answer-shaping helpers."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Protocol

import yaml

from chains.prompts import load_prompt
from chains.types import Passage, SourceRef
from chains.understand.profile.facts import PatientProfile

TokenSink = Callable[[str], Awaitable[None]]


@dataclass(frozen=True)
class AnswerRequest:
    question: str  # the standalone question
    passages: list[Passage]
    profile: PatientProfile
    original_message: str = ""
    interpretation_note: str | None = None  # "I took your message to mean ..." after a clarification
    relevant: bool = (
        True  # the one relevance decision (chains.retrieval.knowledge_base.is_relevant) said the library covers it
    )
    previous_answer: str = ""  # what the patient was just told: a follow-up should not get it again
    cancer_type: str | None = None  # the cancer the question is about, when known (chains.stages.question.steer)
    cared_for: str | None = None  # the person a carer asks about ("husband"), None when the patient asks
    earlier: tuple[str, ...] = ()  # the patient's earlier messages in this conversation, oldest first


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
        lines.append(f"{ref.n}. {link}")  # the library's internal id stays in the reply's JSON, not the text
    return "\n".join(lines)


@cache
def _tones() -> list[tuple[re.Pattern[str], re.Pattern[str] | None, str]]:
    data = yaml.safe_load(load_prompt("openings.yaml"))
    return [
        (
            re.compile(tone["cue"], re.IGNORECASE),
            re.compile(tone["unless"], re.IGNORECASE) if tone.get("unless") else None,
            tone["line"],
        )
        for tone in data["tones"]
    ]


def opening_line(message: str) -> str | None:
    """One line that fits what the patient wrote (fear, grief, frustration, money), or None: answer first. A cue
    inside the tone's ``unless`` wording (someone else's fear, told by the one asking) does not count."""
    for cue, unless, line in _tones():
        told = [m.span() for m in unless.finditer(message)] if unless else []
        if any(not any(a <= m.start() and m.end() <= b for a, b in told) for m in cue.finditer(message)):
            return line
    return None


def profile_line(profile: PatientProfile) -> str | None:
    """What the patient told us that this answer keeps in mind, as short noun phrases (always grammatical)."""
    facts = profile.noun_phrases()
    if not facts:
        return None
    return "*What you have told me:* " + "; ".join(facts) + ". Your care team can say how this applies to you."


def related_questions(request: AnswerRequest, kb=None, exclude: set[str] | None = None, limit: int = 3) -> list[str]:
    """Next questions: the other sections of the retrieved documents whose headings are patient questions."""
    exclude = exclude or set()
    suggestions: list[str] = []
    seen: set[str] = set()
    for passage in request.passages:
        headings = [passage.heading]
        if kb is not None:
            headings += [chunk.heading for chunk in kb.document_chunks(passage.doc_id)]
        for heading in headings:
            key = re.sub(r"\W+", " ", heading.lower()).strip()
            if key in seen or key in exclude or not heading.rstrip().endswith("?"):
                continue
            seen.add(key)
            suggestions.append(heading.strip())
            if len(suggestions) >= limit:
                return suggestions
    return suggestions
