"""Choosing the sentences an offline answer is made of: the retrieved passages' sentences and bullets scored
against the question (the passage's cosine, the sentence's own cosine, the rare question words it shares weighted
by the keyword index's IDF, its heading, its place), the best two to lead and the supporting ones after.
``chains.answer.composer`` writes the answer from them; ``chains.answer.llm`` hands them to the model as its lead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import numpy as np

from chains.answer.ranking import AnswerRanker, default_ranker, feature_matrix
from chains.answer.units import LEAD_IN_WORDS, STUDY_TALK, SUBJECTLESS, Unit, asking_vector
from chains.cancer_types import ANY, cancer_types
from chains.prompts import question_kind
from chains.retrieval.bm25 import bm25_tokens
from chains.retrieval.embeddings import embed_text, embed_texts
from chains.retrieval.knowledge_base import KnowledgeBase
from chains.text.rules import load_rules
from chains.text.sentences import split_units, units_with_lead_in
from chains.types import Passage
from chains.understand.asks import asking_clauses, leans_on_before, points_back, the_ask
from chains.understand.entities import load_entities
from chains.understand.profile.facts import PatientProfile

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
LEAD_MAX_WORDS = 45  # a longer sentence or paragraph-long bullet never opens the answer
RELATIVE_SIGNALS = ("passage", "fit", "words", "fit_ask", "own_words")
# A two-part question: a sentence the ranker keeps on the point (off ≤ CLAUSE_OFF_LIMIT) that is this close in meaning
# to an asking clause the lead leaves out, and this much closer than the lead, takes the second lead place. A clause
# alone ("what are the side effects") has no subject, so its fits are low; the ranker's grade carries the subject.
CLAUSE_FIT_FLOOR = 0.25
CLAUSE_GAIN = 0.08
CLAUSE_OFF_LIMIT = 0.55
DEFINITION_LEAD = 0.01  # with the ranker: a definition question's definition sentence scores this over the best
OFF_LIMIT = 0.5  # with the ranker: a sentence this likely off the point is filler (chosen on out-of-fold selections)


NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def comparable(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


@dataclass(frozen=True)
class Candidate:
    """A candidate sentence with its score, and the ranker's chance that it is about something else (None when
    scored by hand)."""

    score: float
    unit: Unit
    off: float | None = None


_ANSWER_RULES = load_rules(Path(__file__).with_name("answer_rules.yaml"))
_GROUPS = _ANSWER_RULES.with_prefix("group.")


def own_words(question: str) -> str:
    """What sentences are scored against: a follow-up carried with its previous question ("… (following up on: …)")
    on its own words, unless it only points back ("is that good news?" after an MRD result, "why does the tumour do
    that?"): then on both."""
    own, mark, previous = question.partition(FOLLOW_UP_MARK)
    if mark and leans_on_before(own):
        return f"{own} {previous.strip().rstrip(')')}"
    return own


def about_another_group(unit: Unit, question: str, profile: PatientProfile | None) -> bool:
    """The unit opens on a group of patients the patient's facts put them outside ("**HER2-positive:** …" for
    someone with triple-negative cancer, "Metastatic breast cancer: …" at stage 1), and the question does not
    name that group."""
    if profile is None:
        return False
    receptors, tags = set(profile.receptors), profile.applies_to_tags()
    text = unit.standalone().lstrip("*_ ")
    for rule in _GROUPS.values():
        if not rule.pattern.match(text) or rule.pattern.search(question):
            continue
        if receptors & set(rule.meta.get("conflicts", ())):
            return True
        if tags & set(rule.meta.get("conflicts_tags", ())) and not tags & set(rule.meta.get("unless_tags", ())):
            return True
    return False


# (how a sentence speaks to someone supporting a person, how a question names that person), compiled once
_PEOPLE = [
    (rule.pattern, re.compile(rule.meta["asked"], re.I)) for rule in _ANSWER_RULES.with_prefix("person.").values()
]


def about_another_person(unit: Unit, conversation: str) -> bool:
    """The sentence speaks to someone supporting a person ("your friend", "your child") the conversation never
    names."""
    return any(speaks_to.search(unit.text) and not named.search(conversation) for speaks_to, named in _PEOPLE)


# kinds within a family: a cancer's subtypes (CML within leukaemia), the country whose services a text names, and
# whose body (a man's or a woman's) it speaks of
_SUBTYPES = (
    _ANSWER_RULES.with_prefix("subtype.") | _ANSWER_RULES.with_prefix("country.") | _ANSWER_RULES.with_prefix("sex.")
)


@lru_cache(maxsize=16384)
def subtypes_named(text: str) -> frozenset[tuple[str, str]]:
    """The (family, subtype) pairs a text names: ("leukaemia", "subtype.cml") for "on nilotinib for CML"."""
    return frozenset((rule.meta["family"], rule.id) for rule in _SUBTYPES.values() if rule.pattern.search(text))


@lru_cache(maxsize=1024)  # read twice per answer: by select() and for the composer's evidence and links
def subtypes_in_conversation(question: str, earlier: tuple[str, ...] = ()) -> frozenset[tuple[str, str]]:
    """The kinds the question names, and of each other family the kinds the patient's most recent earlier message
    naming one did: "can I have it as an outpatient?" after "just diagnosed with AML … azacitidine with venetoclax"
    is about AML, not CLL (set 27), and after "im in the uk" about UK services."""
    named = set(subtypes_named(question))
    families = {family for family, _ in named}
    for message in reversed(earlier):
        told = [pair for pair in subtypes_named(message) if pair[0] not in families]
        named.update(told)
        families.update(family for family, _ in told)
    return frozenset(named)


def names_another_subtype(text: str, asked: frozenset[tuple[str, str]]) -> bool:
    """The question names a subtype of a cancer (``asked``: CML, small cell) and the text names only other subtypes
    of that family ("Some people with early CLL never need treatment" in an answer about CML). Each family is read on
    its own: a sentence about men with Grade Group 2 is about another grade for a man with Grade Group 1."""
    if not asked:
        return False
    named = subtypes_named(text)
    for family in {family for family, _ in asked}:
        named_here = {pair for pair in named if pair[0] == family}
        if named_here and not named_here & asked:
            return True
    return False


def about_another_subtype(unit: Unit, asked: frozenset[tuple[str, str]], page_title: str = "") -> bool:
    """The sentence, or the page it comes from (its title: "Money Help in the UK" for a US bill), names only other
    kinds of what the question names."""
    return names_another_subtype(unit.standalone(), asked) or names_another_subtype(page_title, asked)


MEDICINE_LABEL = re.compile(r"^\W*([A-Za-z][\w-]*(?: [A-Za-z][\w-]*)?)(?:\s*\([^)]*\))?\s*:")


@cache
def _medicine_names() -> tuple[dict[str, str], re.Pattern[str]]:
    """Every name of every medicine in the entity list, to its canonical name, and one pattern that finds them."""
    names = {
        name: entity.canonical
        for entity in load_entities()
        if entity.kind == "drug"
        for name in (entity.canonical, *entity.aliases)
        if len(name) > 3
    }
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return names, re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)


def medicines_named(question: str, profile: PatientProfile | None) -> set[str]:
    """The medicines the question names and the patient takes, by canonical name (once per question)."""
    names, pattern = _medicine_names()
    named = {names[m.group(0).lower()] for m in pattern.finditer(question)}
    return named | {names.get(t.lower(), t.lower()) for t in (profile.current_treatments if profile else ())}


def about_another_medicine(unit: Unit, named: set[str]) -> bool:
    """The unit opens on a medicine's label ("Neratinib (Nerlynx): nearly everyone gets diarrhoea …") that neither
    the question nor the patient's medicines name (``named``), while they do name another: it is about someone
    else's treatment (set 17: the neratinib note led answers for patients on cabozantinib and on ipilimumab)."""
    label = MEDICINE_LABEL.match(unit.standalone().lstrip("*_ "))
    medicine = _medicine_names()[0].get(label.group(1).lower()) if label else None
    return medicine is not None and bool(named) and medicine not in named


def about_another_cancer(unit: Unit, asked: set[str], cancer_type: str | None) -> bool:
    """With the question's cancer known, the unit names other cancers and not it ("T4 includes inflammatory breast
    cancer" in an answer about bowel cancer), and the question names none of them (``asked``)."""
    if not cancer_type or cancer_type == ANY:
        return False
    named = cancers_named(unit.standalone())
    return bool(named) and cancer_type not in named and not named & asked


@lru_cache(maxsize=16384)
def cancers_named(text: str) -> frozenset[str]:
    """The cancers a text names (not their signals), once per text: the library's sentences come back turn after
    turn, and finding cancer names in every candidate was a quarter of the answer stage's time."""
    return frozenset(c.id for c in cancer_types().mentioned(text, signals=False))


def defined_term(question: str) -> str:
    """What a definition question asks to have defined ("what does BRAF positive mean" → "BRAF positive"), or ""."""
    match = question_kind("definition_term").search(question)
    return next((group for group in match.groups() if group), "") if match else ""


def quotable(unit: Unit) -> bool:
    """Whether the unit reads on its own as an answer's sentence."""
    if SUBJECTLESS.match(unit.text) and not unit.lead_in:
        return False  # quoted alone it points at nothing
    # a short list item without its (long) introduction: "Fractures and bone pain."
    return not (unit.lead_in and unit.standalone() == unit.text and len(unit.text.split()) < FRAGMENT_WORDS)


class SentenceSelector:
    """Picks, from the retrieved passages, the sentences that answer the question (deterministic)."""

    def __init__(self, kb: KnowledgeBase, ranker: AnswerRanker | None = None) -> None:
        self.kb = kb
        self.ranker = ranker if ranker is not None else default_ranker()
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
        fits = self._fits_and_vectors([*key_points, *(p.chunk_id for p in passages)], question_vector)
        if passages:  # the best document's key points: its own summary sentences compete too
            top = passages[0]
            for order, text in enumerate(split_units(self._sections(top.doc_id).get(KEY_POINTS, ""))):
                fit, vector = fits.get(text, (0.0, None))
                units.append(
                    Unit(
                        text,
                        top.doc_id,
                        "Key points",
                        top.similarity,
                        0,
                        order,
                        fit=fit,
                        vector=vector,
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
                    fit, vector = fits.get(text, (0.0, None))
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
                            vector,
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
        return {text: fit for text, (fit, _) in self._fits_and_vectors(chunk_ids, question_vector).items()}

    def _fits_and_vectors(
        self, chunk_ids: list[str], question_vector: np.ndarray | None
    ) -> dict[str, tuple[float, np.ndarray]]:
        """Each sentence's cosine similarity to the question and its vector, from the vectors written at ingest."""
        if question_vector is None:
            return {}
        found: dict[str, tuple[float, np.ndarray]] = {}
        for units in self.kb.unit_vectors(chunk_ids).values():
            for text, vector in units:
                fit = float(vector @ question_vector)
                if text not in found or fit > found[text][0]:
                    found[text] = (fit, vector)
        return found

    def _signals(
        self,
        unit: Unit,
        rare: dict[str, float],
        definition: bool,
        repeated: bool,
        asks: tuple[np.ndarray, np.ndarray] | None,
    ) -> dict[str, float]:
        """What a sentence is scored by. ``rare``: the question's words with their IDF, those rarer than the
        commonest (computed once); ``asks``: the vectors of the asking clauses and of the whole message."""
        norm = sum(rare.values()) or 1.0
        ask_vector, whole_vector = asks if asks is not None and unit.vector is not None else (None, None)
        shared = sum(w for t, w in rare.items() if t in unit.context_tokens)
        own = sum(w for t, w in rare.items() if t in unit.tokens)  # in the sentence itself, not only its page title
        signals = {
            "passage": unit.similarity,
            "fit": unit.fit,
            "words": min(3.0, 3.0 * shared / norm),
            "own_words": min(3.0, 3.0 * own / norm),
            "heading": float(any(t in set(bm25_tokens(unit.heading)) for t in rare)),
            "doc_rank": float(unit.doc_rank),
            "order": float(min(unit.order, 8)),
            "length": float(max(0, len(unit.text.split()) - 20)),
            # its page's definition, when the question asks what something is
            "definition": float(definition and unit.order == 0 and unit.doc_rank == 0 and unit.heading == "Key points"),
            "repeated": float(repeated),
            "key_points": float(unit.heading == "Key points"),
            "list_item": float(bool(unit.lead_in)),
            "opening": float(unit.order == 0),  # a section's first sentence says what it is about
            "study_talk": float(len(STUDY_TALK.findall(unit.text))),
            "numbers": float(len(NUMBER.findall(unit.text))),
            "fit_ask": float(unit.vector @ ask_vector) if ask_vector is not None else 0.0,
            "fit_whole": float(unit.vector @ whole_vector) if whole_vector is not None else 0.0,
        }
        signals["hand_score"] = self._hand_score(signals)
        return signals

    @staticmethod
    def _hand_score(signals: dict[str, float]) -> float:
        """The hand-weighted score: used without the ranker, and one of the ranker's features."""
        score = PASSAGE_WEIGHT * signals["passage"] + FIT_WEIGHT * signals["fit"] + WORD_WEIGHT * signals["words"]
        score += HEADING_WEIGHT * signals["heading"] - DOC_RANK_WEIGHT * signals["doc_rank"]
        score -= ORDER_WEIGHT * signals["order"] + LENGTH_WEIGHT * signals["length"]  # long sentences read harder
        return score + DEFINITION_WEIGHT * signals["definition"] - REPEAT_PENALTY * signals["repeated"]

    def candidate_features(
        self, question: str, passages: list[Passage], already_said: str = ""
    ) -> tuple[list[Unit], list[dict[str, float]], np.ndarray | None]:
        """Every sentence and bullet of the passages with its signals, and the question's vector. A follow-up
        carried with its previous question ("… (following up on: …)") is scored on its own words, and sentences
        the patient was just shown score lower."""
        question = own_words(question)
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
        units = self._candidates(passages, question_vector)
        asks = (embed_text(ask), embed_text(question)) if question_vector is not None else None
        signals = [self._signals(u, rare, definition, bool(said) and comparable(u.text) in said, asks) for u in units]
        defined = {t for t in bm25_tokens(defined_term(question)) if self.kb.idf(t) > 1.0} if definition else set()
        for unit, signal in zip(units, signals, strict=True):  # the sentence or its page names what was asked about
            named = defined & unit.context_tokens if defined else True
            signal["names_term"] = float(bool(named))  # ("Hormone Receptors: What ER-Positive … Mean" defines ER)
        for name in RELATIVE_SIGNALS:  # how the sentence compares with the best of this question's candidates
            best = max((signal[name] for signal in signals), default=0.0)
            for signal in signals:
                signal[f"{name}_below_best"] = best - signal[name]
        return units, signals, question_vector

    def scored_candidates(self, question: str, passages: list[Passage], already_said: str = "") -> list[Candidate]:
        """Every candidate sentence with its score, best first: the ranker's when it is shipped and the index has
        sentence vectors, else the hand score."""
        units, signals, question_vector = self.candidate_features(question, passages, already_said)
        if not units:
            return []
        if self.ranker is not None and question_vector is not None:
            grades = self.ranker.grades(feature_matrix(signals, question_vector, [u.vector for u in units]))
            scores, off = grades.score(), grades.off
            # "what does ER-positive mean?": the best page's own definition leads (few such questions were labelled)
            # …when it or its page names what was asked: "what is a PSMA PET scan?" is not answered by the prostate
            # diagnosis page's first key point about PSA tests, nor "what does BRAF positive mean" by the melanoma
            # biopsy one (set 19); "what does ER-positive mean?" is, by the hormone-receptor page's first key point
            defining = [i for i, signal in enumerate(signals) if signal["definition"] and signal["names_term"]]
            if defining:
                scores[defining] = scores.max() + DEFINITION_LEAD
                off[defining] = 0.0
            candidates = [Candidate(float(scores[i]), unit, float(off[i])) for i, unit in enumerate(units)]
        else:
            candidates = [
                Candidate(signal["hand_score"], unit, None) for unit, signal in zip(units, signals, strict=True)
            ]
        return sorted(candidates, key=lambda c: -c.score)

    def select(
        self,
        question: str,
        passages: list[Passage],
        already_said: str = "",
        profile: PatientProfile | None = None,
        cancer_type: str | None = None,
        earlier: tuple[str, ...] = (),
    ) -> tuple[list[Unit], list[Unit]]:
        """The lead sentences (the answer) and the supporting ones, best first, without repeats; none about a group
        of patients the patient's facts put them outside, another medicine's note, another cancer or another subtype of
        the patient's cancer (named in the question or, for a family it does not name, in the patient's ``earlier``
        messages)."""
        medicines = medicines_named(question, profile)
        cancers = cancers_named(question)
        subtypes = subtypes_in_conversation(question, earlier)
        conversation = " ".join((*earlier, question))  # the people a sentence may speak to are named anywhere in it
        titles = {p.doc_id: p.title for p in passages}
        scored = [
            c
            for c in self.scored_candidates(question, passages, already_said)
            if not about_another_group(c.unit, question, profile)
            and not about_another_medicine(c.unit, medicines)
            and not about_another_cancer(c.unit, cancers, cancer_type)
            and not about_another_person(c.unit, conversation)
            and not about_another_subtype(c.unit, subtypes, titles.get(c.unit.doc_id, ""))
        ]
        question = own_words(question)
        ask = the_ask(question)
        question_vector = self._question_vector(question)
        chosen: list[Candidate] = []
        seen: set[str] = set()
        for candidate in scored:
            unit = candidate.unit
            if not quotable(unit):
                continue
            key = comparable(unit.text)
            if key in seen or any(key in s or s in key for s in seen):
                continue
            if candidate.off is not None:  # the ranker's grades decide what is filler
                if chosen and candidate.off > OFF_LIMIT:
                    continue
                if len(chosen) < LEAD_UNITS and len(unit.standalone().split()) > LEAD_MAX_WORDS:
                    continue  # the answer opens in a few plain sentences; a long paragraph can only support it
            else:
                if len(chosen) >= LEAD_UNITS and candidate.score < chosen[0].score - DETAIL_MARGIN:
                    break
                if (
                    question_vector is not None
                    and chosen
                    and unit.fit < min(FIT_FLOOR, chosen[0].unit.fit - FIT_MARGIN)
                ):
                    continue  # a sentence about something else: filler, however well its page scored
            if len(chosen) >= LEAD_UNITS and unit.doc_id not in {c.unit.doc_id for c in chosen[:LEAD_UNITS]}:
                continue  # supporting sentences come from the documents that answer, not from every page retrieved
            seen.add(key)
            chosen.append(candidate)
            if len(chosen) >= LEAD_UNITS + DETAIL_UNITS:
                break
        chosen = self._lead_each_ask(question, chosen, scored)
        units = [c.unit for c in chosen]
        # A rare word of the asking clauses that the passages cover is covered by the answer: a two-part
        # question ("integrative approaches … for example neutrophils") gets both parts, from a sentence that
        # names it, at most COVERAGE_UNITS more.
        covered = set().union(*(u.tokens for u in units))
        added = 0
        for token in dict.fromkeys(bm25_tokens(ask) + bm25_tokens(question)):  # the asking part first
            if added >= COVERAGE_UNITS or token in covered or self.kb.idf(token) < COVERAGE_IDF:
                continue
            best = next((c.unit for c in scored if token in c.unit.tokens and c.unit not in units), None)
            if best is not None:
                units.append(best)
                covered |= best.tokens
                added += 1
        leading = min(LEAD_UNITS, len(chosen))  # a sentence added for a word it names never leads
        lead, detail = units[:leading], units[leading:]
        detail.sort(key=lambda u: (u.doc_rank, u.order))
        return lead, detail

    @staticmethod
    def _lead_each_ask(question: str, chosen: list[Candidate], scored: list[Candidate]) -> list[Candidate]:
        """A question that asks two things gets both answered up front: when no lead sentence is close in meaning to
        one asking clause ("what should I pack … and how long will I be in?"), the best-ranked sentence that fits that
        clause takes the second lead place; of the two lead sentences, the one that answers the other clauses less
        well becomes supporting detail."""
        clauses = asking_clauses(question)
        if len(clauses) < 2 or len(chosen) < LEAD_UNITS or chosen[0].unit.vector is None:
            return chosen
        vectors = embed_texts(clauses)
        lead = chosen[:LEAD_UNITS]
        covered = np.max(np.stack([c.unit.vector @ vectors.T for c in lead]), axis=0)
        weakest = int(np.argmin(covered))
        leading = {comparable(c.unit.text) for c in lead}
        for candidate in scored:  # best first, already filtered for other groups, medicines and cancers
            unit = candidate.unit
            if unit.vector is None or not quotable(unit) or comparable(unit.text) in leading:
                continue
            if candidate.off is None or candidate.off > CLAUSE_OFF_LIMIT:
                continue
            if len(unit.standalone().split()) > LEAD_MAX_WORDS:
                continue
            fit = float(unit.vector @ vectors[weakest])
            if fit >= CLAUSE_FIT_FLOOR and fit >= covered[weakest] + CLAUSE_GAIN:
                # the lead sentence that best answers the other clauses stays first; the other becomes detail
                others = np.delete(vectors, weakest, axis=0)
                keep = max(lead, key=lambda c: float(np.max(others @ c.unit.vector)))
                dropped = [c for c in lead if c is not keep]
                detail = [c for c in chosen[LEAD_UNITS:] if c.unit is not unit]  # a supporting sentence moves up
                return [keep, candidate, *dropped, *detail][: LEAD_UNITS + DETAIL_UNITS]
        return chosen

    # --- the answer ------------------------------------------------------------------------------
