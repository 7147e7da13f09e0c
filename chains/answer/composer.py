"""Offline answer engine: a query-focused composer that writes only from retrieved passages.

It splits the retrieved passages into sentences and bullets, scores each against the question with the
signals already computed (the passage's cosine similarity from retrieval, and the rare question words the
sentence shares, weighted by the keyword index's IDF), and leads with the two that answer the question.
Supporting sentences follow, then the shape patients expect: evidence, when to call, questions to ask,
where to learn more. Every sentence is cited [n] to its source. Generative text is not used offline: tiny
local models were measured to make dangerous medical errors.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

from chains.answer.base import (
    AnswerDraft,
    AnswerRequest,
    TokenSink,
    number_sources,
    opening_line,
    profile_line,
    related_questions,
)
from chains.answer.selection import (
    FOLLOW_UP_MARK,
    LEARN_MORE,
    MORE_DETAIL,
    QUESTIONS,
    STATUS,
    WHEN_TO_CALL,
    SentenceSelector,
    comparable,
    names_another_subtype,
    subtypes_in_conversation,
)
from chains.answer.units import Unit
from chains.retrieval.bm25 import bm25_tokens
from chains.text.rules import load_rules
from chains.text.sentences import split_units

SYMPTOM_WORDS = load_rules(Path(__file__).with_name("answer_rules.yaml")).rules["symptom_words"].pattern


def _cite(text: str, n: int) -> str:
    return f"{text.rstrip()} [{n}]"


_BARE_LINK = re.compile(r"^(?P<name>.+?)\s*\((?P<url>https?://[^)\s]+)\)\s*\.?$")


def _as_link(item: str) -> str:
    """ "Name (https://…)" as a Markdown link, so the patient reads the name and follows the address."""
    match = _BARE_LINK.match(item)
    return f"[{match.group('name')}]({match.group('url')})" if match else item


def questions_heading(cared_for: str | None) -> str:
    """The care-team questions' heading: for a carer, questions they and the person they look after can ask."""
    return (
        f"Questions you and your {cared_for} could ask the care team"
        if cared_for
        else "Questions to ask your care team"
    )


class ComposerEngine(SentenceSelector):
    """Builds the answer from the knowledge base's own sentences, deterministically."""

    name = "composer"

    def select_for(self, request: AnswerRequest) -> tuple[list[Unit], list[Unit]]:
        """The lead and supporting sentences for a request (both engines write from these)."""
        return self.select(
            request.question,
            request.passages,
            request.previous_answer,
            request.profile,
            request.cancer_type,
            request.earlier,
        )

    def compose_body(self, request: AnswerRequest) -> tuple[list[str], AnswerDraft]:
        """The answer's blocks (Markdown) and the draft's sources and suggestions."""
        if not request.passages or not request.relevant:
            return self._nothing_found(request)
        lead, detail = self.select_for(request)
        if not lead:
            return self._nothing_found(request)
        # the pages are numbered in the order the answer first cites them: it opens on [1], with no gaps
        first_cited = {doc_id: i for i, doc_id in enumerate(dict.fromkeys(u.doc_id for u in lead + detail))}
        refs = number_sources(sorted(request.passages, key=lambda p: first_cited.get(p.doc_id, len(first_cited))))
        blocks: list[str] = []
        if request.interpretation_note:
            blocks.append(f"*{request.interpretation_note}*")
        opening = opening_line(request.original_message or request.question)
        asked = request.question.split(FOLLOW_UP_MARK)[0]
        items = self._list_of(lead[0], self._question_vector(asked))
        if items:  # the answer is a list ("Tamoxifen has some common side effects:"): give it as one
            intro = lead[0].lead_in.rstrip(":.").rstrip() + ":"
            n = refs[lead[0].doc_id].n
            blocks.append(f"{opening} {intro}" if opening else intro)
            blocks.append("\n".join(f"- {_cite(item, n)}" for item in items))
            shown = {comparable(item) for item in items}
            detail = [u for u in lead[1:] + detail if comparable(u.text) not in shown]
        else:
            lead_text = " ".join(_cite(u.standalone(), refs[u.doc_id].n) for u in lead)
            blocks.append(f"{opening} {lead_text}" if opening else lead_text)
        if detail:
            bullets = "\n".join(f"- {_cite(u.standalone(), refs[u.doc_id].n)}" for u in detail)
            blocks.append(f"{MORE_DETAIL}\n{bullets}" if items else bullets)
        personal = profile_line(request.profile)
        if personal:
            blocks.append(personal)

        main = lead[0].doc_id
        sections = self._sections(main)
        n = refs[main].n
        # an answer about CML cites no AML-only evidence or link
        subtypes = subtypes_in_conversation(request.question, request.earlier)

        def own_subtype(items: list[str]) -> list[str]:
            return [item for item in items if not names_another_subtype(item, subtypes)] or items

        status = sorted(own_subtype(split_units(sections.get(STATUS, "")))[:2], key=lambda u: len(u.split()))
        if status:
            level = next((p.evidence for p in request.passages if p.doc_id == main), "") or "general information"
            blocks.append(f"**Evidence:** *{level}*. {_cite(status[0], n)}")
        when_to_call = split_units(sections.get(WHEN_TO_CALL, ""))[:3]
        if when_to_call and SYMPTOM_WORDS.search(request.question):
            blocks.append("**When to contact your care team**\n" + "\n".join(f"- {_cite(u, n)}" for u in when_to_call))
        questions = self._questions_to_ask(request, [main, *(u.doc_id for u in lead[1:] + detail)], subtypes)
        if questions:
            blocks.append(f"### {questions_heading(request.cared_for)}\n" + "\n".join(f"- {q}" for q in questions))
        learn_more = [_as_link(item) for item in own_subtype(split_units(sections.get(LEARN_MORE, "")))[:2]]
        if learn_more:
            blocks.append("### Where to learn more\n" + "\n".join(f"- {item}" for item in learn_more))

        used: dict[str, str] = {}  # each cited page's section the answer's first sentence from it came from
        for unit in lead + detail:
            used.setdefault(unit.doc_id, unit.heading)
        sources = [replace(ref, heading=used[ref.doc_id]) for ref in refs.values() if ref.doc_id in used]
        suggestions = related_questions(request, self.kb, exclude={comparable(u.heading) for u in lead})
        return blocks, AnswerDraft(text="", sources=sources, suggestions=suggestions, engine=self.name)

    def _questions_to_ask(
        self, request: AnswerRequest, doc_ids: list[str], subtypes: frozenset[tuple[str, str]], limit: int = 3
    ) -> list[str]:
        """The documents' own questions for the care team, those sharing most words with the question first; none
        about another kind of the same cancer or another country's services than the question names ("If I have
        CLL…" in an answer about CML), as for the evidence line and the links."""
        wanted = set(bm25_tokens(request.question))
        candidates: list[tuple[int, int, str]] = []
        for rank, doc_id in enumerate(dict.fromkeys(doc_ids)):
            for order, question in enumerate(split_units(self._sections(doc_id).get(QUESTIONS, ""))):
                if names_another_subtype(question, subtypes):
                    continue
                shared = len(wanted & set(bm25_tokens(question)))
                candidates.append((-shared, rank * 100 + order, question))
        return [q for _, _, q in sorted(candidates)[:limit]]

    def _nothing_found(self, request: AnswerRequest) -> tuple[list[str], AnswerDraft]:
        blocks = [
            "I could not find information about that in OncoGuide's patient-education library, so I won't guess.",
            "Your care team is the best place to ask. OncoGuide can help with cancer diagnosis and tests, "
            "treatments and their side effects, clinical trials, living with cancer, and when to call your care team.",
        ]
        if request.interpretation_note:
            blocks.insert(0, f"*{request.interpretation_note}*")
        return blocks, AnswerDraft(text="", sources=[], suggestions=[], engine=self.name)

    async def stream(self, request: AnswerRequest) -> AsyncIterator[str]:
        blocks, _ = self.compose_body(request)
        for i, block in enumerate(blocks):
            yield ("\n\n" if i else "") + block

    async def answer(self, request: AnswerRequest, on_token: TokenSink | None = None) -> AnswerDraft:
        blocks, draft = self.compose_body(request)
        if on_token is not None:
            for i, block in enumerate(blocks):
                await on_token(("\n\n" if i else "") + block)
        draft.text = "\n\n".join(blocks)
        return draft
