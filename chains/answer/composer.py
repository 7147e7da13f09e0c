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

import numpy as np

from chains.answer.base import (
    AnswerDraft,
    AnswerRequest,
    TokenSink,
    number_sources,
    opening_line,
    profile_line,
    related_questions,
)
from chains.answer.units import LEAD_IN_WORDS, SUBJECTLESS, Unit, asking_vector
from chains.prompts import question_kind
from chains.retrieval.bm25 import bm25_tokens
from chains.retrieval.knowledge_base import KnowledgeBase
from chains.text.sentences import split_units, units_with_lead_in
from chains.types import Passage
from chains.understand.asks import points_back, the_ask

KEY_POINTS = "key points"
STATUS = "current status and evidence"
WHEN_TO_CALL = "when to contact your care team"
QUESTIONS = "questions to ask your care team"
LEARN_MORE = "where to learn more"
NOT_ANSWER_TEXT = {STATUS, WHEN_TO_CALL, QUESTIONS, LEARN_MORE}
PASSAGE_WEIGHT = 1.0  # the passage's cosine: the page is about the question
FIT_WEIGHT = 1.0  # the sentence's own cosine: the sentence says what was asked
FIT_FLOOR = 0.35  # a supporting sentence this close to the question in meaning is never filler
FIT_MARGIN = 0.15
DOC_RANK_WEIGHT = 0.05  # per place a sentence's page ranks below the best page  # otherwise it must be within this of the lead sentence's fit


BACKGROUND_WORD_SHARE = 0.5  # a background word's weight against a word of the asking clauses
LEAD_UNITS = 2  # the first two sentences answer what was asked
DETAIL_UNITS = 5
DETAIL_MARGIN = 0.25  # supporting sentences score within this of the lead
WORD_WEIGHT = 0.12  # per rare question word a sentence shares (IDF-weighted, capped)
HEADING_WEIGHT = 0.08  # the sentence's section heading shares a question word
LENGTH_WEIGHT = 0.006  # per word over 20
DEFINITION_WEIGHT = 0.3
REPEAT_PENALTY = 0.3  # a sentence the patient was just shown
FOLLOW_UP_MARK = " (following up on:"


COVERAGE_UNITS = 2
FRAGMENT_WORDS = 7
LIST_ITEMS = 6
MORE_DETAIL = "*More detail:*"  # parts a leading list from the supporting sentences  # a leading list is given with at most this many of its items
COVERAGE_IDF = 2.5  # question words this rare must appear in the answer when the passages have them
ORDER_WEIGHT = 0.01  # a section's opening sentences say what it is about


SYMPTOM_WORDS = re.compile(
    r"\b(side[\s-]?effects?|symptoms?|fever|temperature|warning|call|emergency|safe|risk|low|bleed\w*|pain|"
    r"infection|sick|diarrh\w*|rash|swell\w*|breath\w*)\b",
    re.IGNORECASE,
)


def _cite(text: str, n: int) -> str:
    return f"{text.rstrip()} [{n}]"


_BARE_LINK = re.compile(r"^(?P<name>.+?)\s*\((?P<url>https?://[^)\s]+)\)\s*\.?$")


def _as_link(item: str) -> str:
    """ "Name (https://…)" as a Markdown link, so the patient reads the name and follows the address."""
    match = _BARE_LINK.match(item)
    return f"[{match.group('name')}]({match.group('url')})" if match else item


def _normal(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


class ComposerEngine:
    """Builds the answer from the knowledge base's own sentences, deterministically."""

    name = "composer"

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._sections_of: dict[str, dict[str, str]] = {}  # the index is fixed for the process: join once

    def _sections(self, doc_id: str) -> dict[str, str]:
        if doc_id not in self._sections_of:
            sections: dict[str, str] = {}
            for chunk in self.kb.document_chunks(doc_id):
                key = chunk.heading.lower()
                sections[key] = f"{sections[key]}\n\n{chunk.text}" if key in sections else chunk.text
            self._sections_of[doc_id] = sections
        return self._sections_of[doc_id]

    # --- choosing sentences ----------------------------------------------------------------------
    def _candidates(self, passages: list[Passage], question_vector: np.ndarray | None) -> list[Unit]:
        doc_rank: dict[str, int] = {}
        units: list[Unit] = []
        key_points = self._key_points_chunks(passages[0].doc_id) if passages else []
        fits = self._fits([*key_points, *(p.chunk_id for p in passages)], question_vector)
        if passages:  # the best document's key points: its own summary sentences compete too
            top = passages[0]
            for order, text in enumerate(split_units(self._sections(top.doc_id).get(KEY_POINTS, ""))):
                units.append(
                    Unit(
                        text,
                        top.doc_id,
                        "Key points",
                        top.similarity,
                        0,
                        order,
                        fit=fits.get(text, 0.0),
                        title=top.title,
                    )
                )
        for passage in passages:
            rank = doc_rank.setdefault(passage.doc_id, len(doc_rank))
            if passage.heading.lower() in NOT_ANSWER_TEXT:
                continue
            pairs = units_with_lead_in(passage.text)
            announcing = {lead_in for _, lead_in in pairs}  # a list's introduction is said with its items
            for order, (text, lead_in) in enumerate(pairs):
                if len(text.split()) >= 4 and not text.endswith(":") and text not in announcing:
                    fit = fits.get(text, 0.0)
                    units.append(
                        Unit(
                            text,
                            passage.doc_id,
                            passage.heading,
                            passage.similarity,
                            rank,
                            order,
                            lead_in,
                            fit,
                            passage.text,
                        )
                    )
        return units

    def _question_vector(self, question: str) -> np.ndarray | None:
        """What sentences are compared with (``asking_vector``), or None when the index has no sentence vectors."""
        return asking_vector(question) if self.kb.units is not None else None

    def _list_of(self, unit: Unit, question_vector: np.ndarray | None = None) -> list[str]:
        """The items of the short list a leading list item belongs to, in order, or [] when it is not one."""
        if not unit.lead_in or not unit.passage_text or len(unit.lead_in.split()) > LEAD_IN_WORDS:
            return []
        if SUBJECTLESS.match(unit.lead_in):
            return []  # "They are usually given with ADT:" says nothing quoted alone
        items = [text for text, lead_in in units_with_lead_in(unit.passage_text) if lead_in == unit.lead_in]
        fits = self._fits([unit.chunk_id], question_vector) if unit.chunk_id and question_vector is not None else {}
        items = [item for item in items if fits.get(item, unit.fit) >= unit.fit - FIT_MARGIN]  # items on the point
        return items[:LIST_ITEMS] if len(items) >= 2 else []

    def _key_points_chunks(self, doc_id: str) -> list[str]:
        return [c.chunk_id for c in self.kb.document_chunks(doc_id) if c.heading.lower() == KEY_POINTS]

    def _fits(self, chunk_ids: list[str], question_vector: np.ndarray | None) -> dict[str, float]:
        """Each sentence's cosine similarity to the question, from the vectors written at ingest."""
        if question_vector is None:
            return {}
        fits: dict[str, float] = {}
        for units in self.kb.unit_vectors(chunk_ids).values():
            for text, vector in units:
                fits[text] = max(fits.get(text, -1.0), float(vector @ question_vector))
        return fits

    def _score(self, unit: Unit, rare: dict[str, float], definition: bool) -> float:
        """``rare``: the question's words with their IDF, those rarer than the commonest (computed once)."""
        norm = sum(rare.values()) or 1.0
        shared = sum(w for t, w in rare.items() if t in unit.context_tokens)
        heading = any(t in set(bm25_tokens(unit.heading)) for t in rare)
        score = PASSAGE_WEIGHT * unit.similarity + FIT_WEIGHT * unit.fit + WORD_WEIGHT * min(3.0, 3.0 * shared / norm)
        score += HEADING_WEIGHT * heading - DOC_RANK_WEIGHT * unit.doc_rank - ORDER_WEIGHT * min(unit.order, 8)
        score -= LENGTH_WEIGHT * max(0, len(unit.text.split()) - 20)  # long sentences are harder to read
        if definition and unit.order == 0 and unit.doc_rank == 0 and unit.heading == "Key points":  # its definition
            score += DEFINITION_WEIGHT
        return score

    def select(self, question: str, passages: list[Passage], already_said: str = "") -> tuple[list[Unit], list[Unit]]:
        """The lead sentences (the answer) and the supporting ones, best first, without repeats.

        A follow-up carried with its previous question ("… (following up on: …)") is scored on its own words,
        and sentences the patient was just shown are not given again."""
        question = question.split(FOLLOW_UP_MARK)[0]
        ask = the_ask(question)  # "can i use aloe vera?" after the background "week 3 of radiotherapy, skin pink"
        question_vector = self._question_vector(question)
        definition = bool(question_kind("definition").search(question))
        asked = set(bm25_tokens(question if points_back(question) else ask))
        rare = {
            t: w * (1.0 if t in asked else BACKGROUND_WORD_SHARE)
            for t in set(bm25_tokens(question))
            if (w := self.kb.idf(t)) > 1.0
        }
        said = _normal(already_said)

        def score(unit: Unit) -> float:
            repeated = said and _normal(unit.text) in said
            return self._score(unit, rare, definition) - (REPEAT_PENALTY if repeated else 0.0)

        scored = sorted(((score(u), u) for u in self._candidates(passages, question_vector)), key=lambda item: -item[0])
        chosen: list[tuple[float, Unit]] = []
        seen: set[str] = set()
        for score, unit in scored:
            if SUBJECTLESS.match(unit.text) and not unit.lead_in:
                continue  # quoted alone it points at nothing
            if unit.lead_in and unit.standalone() == unit.text and len(unit.text.split()) < FRAGMENT_WORDS:
                continue  # a short list item without its (long) introduction: "Fractures and bone pain."
            key = _normal(unit.text)
            if key in seen or any(key in s or s in key for s in seen):
                continue
            if len(chosen) >= LEAD_UNITS and score < chosen[0][0] - DETAIL_MARGIN:
                break
            if question_vector is not None and chosen and unit.fit < min(FIT_FLOOR, chosen[0][1].fit - FIT_MARGIN):
                continue  # a sentence about something else: filler, however well its page scored
            if len(chosen) >= LEAD_UNITS and unit.doc_id not in {u.doc_id for _, u in chosen[:LEAD_UNITS]}:
                continue  # supporting sentences come from the documents that answer, not from every page retrieved
            seen.add(key)
            chosen.append((score, unit))
            if len(chosen) >= LEAD_UNITS + DETAIL_UNITS:
                break
        units = [u for _, u in chosen]
        # A rare word of the asking clauses that the passages cover is covered by the answer: a two-part
        # question ("integrative approaches … for example neutrophils") gets both parts, from a sentence that
        # names it, at most COVERAGE_UNITS more.
        covered = set().union(*(u.tokens for u in units))
        added = 0
        for token in dict.fromkeys(bm25_tokens(ask) + bm25_tokens(question)):  # the asking part first
            if added >= COVERAGE_UNITS or token in covered or self.kb.idf(token) < COVERAGE_IDF:
                continue
            best = next((u for _, u in scored if token in u.tokens and u not in units), None)
            if best is not None:
                units.append(best)
                covered |= best.tokens
                added += 1
        lead, detail = units[:LEAD_UNITS], units[LEAD_UNITS:]
        detail.sort(key=lambda u: (u.doc_rank, u.order))
        return lead, detail

    # --- the answer ------------------------------------------------------------------------------
    def compose_body(self, request: AnswerRequest) -> tuple[list[str], AnswerDraft]:
        """The answer's blocks (Markdown) and the draft's sources and suggestions."""
        if not request.passages or not request.relevant:
            return self._nothing_found(request)
        refs = number_sources(request.passages)
        lead, detail = self.select(request.question, request.passages, request.previous_answer)
        if not lead:
            return self._nothing_found(request)
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
            shown = {_normal(item) for item in items}
            detail = [u for u in lead[1:] + detail if _normal(u.text) not in shown]
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
        status = sorted(split_units(sections.get(STATUS, ""))[:2], key=lambda u: len(u.split()))
        if status:
            level = next((p.evidence for p in request.passages if p.doc_id == main), "") or "general information"
            blocks.append(f"**Evidence:** *{level}*. {_cite(status[0], n)}")
        when_to_call = split_units(sections.get(WHEN_TO_CALL, ""))[:3]
        if when_to_call and SYMPTOM_WORDS.search(request.question):
            blocks.append("**When to contact your care team**\n" + "\n".join(f"- {_cite(u, n)}" for u in when_to_call))
        questions = self._questions_to_ask(request, [main, *(u.doc_id for u in lead[1:] + detail)])
        if questions:
            blocks.append("### Questions to ask your care team\n" + "\n".join(f"- {q}" for q in questions))
        learn_more = [_as_link(item) for item in split_units(sections.get(LEARN_MORE, ""))[:2]]
        if learn_more:
            blocks.append("### Where to learn more\n" + "\n".join(f"- {item}" for item in learn_more))

        cited = {u.doc_id for u in lead + detail}
        sources = [ref for ref in refs.values() if ref.doc_id in cited]
        suggestions = related_questions(request, self.kb, exclude={_normal(u.heading) for u in lead})
        return blocks, AnswerDraft(text="", sources=sources, suggestions=suggestions, engine=self.name)

    def _questions_to_ask(self, request: AnswerRequest, doc_ids: list[str], limit: int = 3) -> list[str]:
        """The documents' own questions for the care team, those sharing most words with the question first."""
        wanted = set(bm25_tokens(request.question))
        candidates: list[tuple[int, int, str]] = []
        for rank, doc_id in enumerate(dict.fromkeys(doc_ids)):
            for order, question in enumerate(split_units(self._sections(doc_id).get(QUESTIONS, ""))):
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
