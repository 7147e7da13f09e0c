"""Offline answer engine: a grounded composer that writes only from retrieved passages.

It assembles whole sections and key points of the best-matching documents into the answer shape
(acknowledgement, explanation, current status and evidence, questions to ask, where to learn
more), citing each block [n] to its source. Generative text is not used offline: tiny local
models were measured to make dangerous medical errors.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import AsyncIterator

from chains.answer_base import (
    AnswerDraft,
    AnswerRequest,
    TokenSink,
    number_sources,
    personal_opening,
    related_questions,
)
from chains.prompts import load_prompt
from chains.retrieval import KnowledgeBase, bm25_tokens
from chains.types import Passage

KEY_POINTS = "key points"
STATUS = "current status and evidence"
WHEN_TO_CALL = "when to contact your care team"
QUESTIONS = "questions to ask your care team"
LEARN_MORE = "where to learn more"
SPECIAL_SECTIONS = {KEY_POINTS, STATUS, WHEN_TO_CALL, QUESTIONS, LEARN_MORE}
RELEVANCE_FLOOR = 0.25  # below this cosine similarity nothing retrieved is about the question
SECOND_DOC_MARGIN = 0.06
_SYMPTOM_WORDS = re.compile(
    r"\b(side[\s-]?effects?|symptoms?|fever|temperature|warning|call|emergency|safe|risk|low|bleed\w*|pain|"
    r"infection|sick|diarrh\w*|rash|swell\w*|breath\w*)\b",
    re.IGNORECASE,
)


def _cite(text: str, n: int) -> str:
    """Append ``[n]`` to each paragraph and bullet of a section."""
    out = []
    for line in text.splitlines():
        stripped = line.rstrip()
        if stripped and not stripped.endswith(":") and not stripped.startswith("#"):
            stripped = f"{stripped} [{n}]"
        out.append(stripped)
    return "\n".join(out)


def _bullets(text: str) -> list[str]:
    return [line.strip()[2:].strip() for line in text.splitlines() if line.strip().startswith(("- ", "* "))]


def _overlap(question_tokens: set[str], text: str) -> int:
    return len(question_tokens & set(bm25_tokens(text)))


class ComposerEngine:
    """Builds the answer from the knowledge base's own sections, deterministically."""

    name = "composer"

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb

    def _sections(self, doc_id: str) -> dict[str, str]:
        sections: dict[str, str] = {}
        for chunk in self.kb.document_chunks(doc_id):
            key = chunk.heading
            sections[key] = f"{sections[key]}\n\n{chunk.text}" if key in sections else chunk.text
        return sections

    def compose_body(self, request: AnswerRequest) -> tuple[list[str], AnswerDraft]:
        """The answer's blocks (Markdown) and the draft's sources and suggestions."""
        passages = request.passages
        if not passages or max(p.similarity for p in passages) < RELEVANCE_FLOOR:
            return self._nothing_found(request)
        refs = number_sources(passages)
        top = passages[0]
        question_tokens = set(bm25_tokens(request.question))
        top_sections = self._sections(top.doc_id)
        lower = {h.lower(): h for h in top_sections}

        blocks: list[str] = []
        if request.interpretation_note:
            blocks.append(f"*{request.interpretation_note}*")
        openings = load_prompt("openings.md").splitlines()
        blocks.append(
            personal_opening(request.profile) or openings[zlib.crc32(request.question.encode()) % len(openings)]
        )
        blocks.append(f"### {top.title}")

        key_points = _bullets(top_sections.get(lower.get(KEY_POINTS, ""), ""))
        if key_points:
            ranked = sorted(range(len(key_points)), key=lambda i: (-_overlap(question_tokens, key_points[i]), i))
            chosen = sorted(set(ranked[:3]) | {0})[:3]
            blocks.append("\n".join(f"- {key_points[i]} [{refs[top.doc_id].n}]" for i in chosen))

        explanation = self._explanation(request, top_sections, refs)
        blocks.extend(explanation)

        status = top_sections.get(lower.get(STATUS, ""))
        if status:
            level = top.evidence or "general information"
            blocks.append(
                f"**Current status and evidence** (evidence level: *{level}*)\n\n{_cite(status, refs[top.doc_id].n)}"
            )
        when_to_call = top_sections.get(lower.get(WHEN_TO_CALL, ""))
        if when_to_call and _SYMPTOM_WORDS.search(request.question):
            blocks.append(f"**When to contact your care team**\n\n{_cite(when_to_call, refs[top.doc_id].n)}")

        questions = _bullets(top_sections.get(lower.get(QUESTIONS, ""), ""))[:5]
        if questions:
            blocks.append("### Questions to ask your oncologist\n" + "\n".join(f"- {q}" for q in questions))
        learn_more = _bullets(top_sections.get(lower.get(LEARN_MORE, ""), ""))[:3]
        if learn_more:
            blocks.append("### Where to learn more\n" + "\n".join(f"- {item}" for item in learn_more))

        cited = {top.doc_id} | {doc_id for doc_id in refs if any(f"[{refs[doc_id].n}]" in b for b in explanation)}
        sources = [ref for ref in refs.values() if ref.doc_id in cited]
        return blocks, AnswerDraft(text="", sources=sources, suggestions=related_questions(request), engine=self.name)

    def _explanation(self, request: AnswerRequest, top_sections: dict[str, str], refs: dict) -> list[str]:
        """Whole explanation sections: the best-matching ones of the top document, and of a close second."""
        passages = request.passages
        top = passages[0]
        blocks: list[str] = []
        used: set[str] = set()
        for passage in passages:
            if passage.doc_id != top.doc_id or passage.heading.lower() in SPECIAL_SECTIONS or passage.heading in used:
                continue
            used.add(passage.heading)
            blocks.append(f"**{passage.heading}**\n\n{_cite(top_sections[passage.heading], refs[top.doc_id].n)}")
            if len(blocks) == 2:
                break
        if not blocks:
            for heading, text in top_sections.items():
                if heading.lower() not in SPECIAL_SECTIONS:
                    blocks.append(f"**{heading}**\n\n{_cite(text, refs[top.doc_id].n)}")
                    break
        second = next(
            (
                p
                for p in passages
                if p.doc_id != top.doc_id
                and p.heading.lower() not in SPECIAL_SECTIONS
                and p.similarity >= top.similarity - SECOND_DOC_MARGIN
            ),
            None,
        )
        if second is not None:
            second_sections = self._sections(second.doc_id)
            blocks.append(
                f"**{second.title.split(':')[0]} — {second.heading}**\n\n"
                f"{_cite(second_sections.get(second.heading, second.text), refs[second.doc_id].n)}"
            )
        return blocks

    def _nothing_found(self, request: AnswerRequest) -> tuple[list[str], AnswerDraft]:
        blocks = [
            "I could not find information about that in OncoGuide's patient-education library, so I won't guess.",
            "Your oncology team is the best place to ask. OncoGuide can help with breast cancer topics such as "
            "diagnosis and biomarkers, treatments and their side effects, clinical trials, lifestyle and "
            "integrative care, and when to call your care team.",
        ]
        if request.interpretation_note:
            blocks.insert(0, f"*{request.interpretation_note}*")
        return blocks, AnswerDraft(text="", sources=[], suggestions=related_questions(request), engine=self.name)

    async def stream(self, request: AnswerRequest) -> AsyncIterator[str]:
        blocks, _ = self.compose_body(request)
        for i, block in enumerate(blocks):
            yield ("\n\n" if i else "") + block

    async def answer(self, request: AnswerRequest, on_token: TokenSink | None = None) -> AnswerDraft:
        blocks, draft = self.compose_body(request)
        body = "\n\n".join(blocks)
        if on_token is not None:
            for i, block in enumerate(blocks):
                await on_token(("\n\n" if i else "") + block)
        draft.text = body
        return draft


def top_similarity(passages: list[Passage]) -> float:
    return max((p.similarity for p in passages), default=0.0)
