"""Choosing the sentences an offline answer is made of: the retrieved passages' sentences and bullets scored
against the question (the passage's cosine, the sentence's own cosine, the rare question words it shares weighted
by the keyword index's IDF, its heading, its place), the best two to lead and the supporting ones after.
``chains.answer.composer`` writes the answer from them; ``chains.answer.llm`` hands them to the model as its lead.
"""

from __future__ import annotations

import re

import numpy as np

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
FIT_FLOOR = 0.45  # a supporting sentence this close to the question in meaning is never filler
FIT_MARGIN = 0.15  # otherwise it must be within this of the lead sentence's fit
DOC_RANK_WEIGHT = 0.05  # per place a sentence's page ranks below the best page
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
LIST_ITEMS = 6  # a leading list is given with at most this many of its items
MORE_DETAIL = "*More detail:*"  # parts a leading list from the supporting sentences
COVERAGE_IDF = 2.5  # question words this rare must appear in the answer when the passages have them
ORDER_WEIGHT = 0.01  # a section's opening sentences say what it is about


def comparable(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


class SentenceSelector:
    """Picks, from the retrieved passages, the sentences that answer the question (deterministic)."""

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
        said = comparable(already_said)

        def score(unit: Unit) -> float:
            repeated = said and comparable(unit.text) in said
            return self._score(unit, rare, definition) - (REPEAT_PENALTY if repeated else 0.0)

        scored = sorted(((score(u), u) for u in self._candidates(passages, question_vector)), key=lambda item: -item[0])
        chosen: list[tuple[float, Unit]] = []
        seen: set[str] = set()
        for score, unit in scored:
            if SUBJECTLESS.match(unit.text) and not unit.lead_in:
                continue  # quoted alone it points at nothing
            if unit.lead_in and unit.standalone() == unit.text and len(unit.text.split()) < FRAGMENT_WORDS:
                continue  # a short list item without its (long) introduction: "Fractures and bone pain."
            key = comparable(unit.text)
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
