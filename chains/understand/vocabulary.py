"""Domain vocabulary: entities, known words, prefix completions and spelling corrections.

Built once per process from the maintained lists in ``chains/understand/vocab/`` (entities, abbreviations and the
medical word list), the knowledge base's own words, and the English dictionary shipped by
``pyspellchecker``. Everything expensive is precomputed at construction — a sorted prefix index with a
static score per word, and a symmetric-delete index over domain words for spelling corrections — and
per-word answers are cached, so the gate costs well under a millisecond per message.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Literal

from chains.cancer_types import cancer_types
from chains.safety import EVERYDAY_SENSES, ONCOLOGY_TERMS
from chains.text.normalise import edit_distance
from chains.understand.entities import (
    VERB_MARKERS,
    Entity,
    EntityMention,
    load_abbreviations,
    load_entities,
    load_word_list,
)
from chains.understand.typos import close_spellings, deletes, distinct_stems, is_keyboard_slip

WORD_RE = re.compile(r"[a-z][a-z0-9'\-/+]*", re.IGNORECASE)
NUMBER_WITH_UNIT = re.compile(
    r"^[<>~]?\d+([.,]\d+)?(mg|ml|mcg|kg|lbs?|f|c|°c|°f|%|x|yrs?|y/o|yo|mos?|months?|wks?|days?|d|h|hrs?|am|pm|st|nd|rd|th|s)?$"
)


CareWording = Literal["clear", "everyday", "none"]

_STRIP = ".,;:!?\"'()[]{}“”‘’"

# Score bands for completions: conversation words above domain words above general English.
CONTEXT_BONUS = 5000.0
DOMAIN_BASE = 1000.0
MEDICAL_TERM_WEIGHT = 3  # a maintained medical term counts as if the knowledge base used it this often
ENGLISH_CAP = 900.0
FOLLOWER_BONUS = 2500.0  # the word usually follows the previous word in a domain phrase ("hodgkin lymphoma")
BASE_VERB_BONUS = 400.0  # after "to"/a modal, a base verb ("how to diagnos" → diagnose) is likelier
PHRASE_WEIGHT = 10
MIN_ENGLISH_FREQ = 50  # completions from general English need at least this corpus frequency


class Vocabulary:
    """Everything the gate, rewriter and profile extractor need to know about words."""

    def __init__(
        self,
        kb_texts: Iterable[str] = (),
        entities: list[Entity] | None = None,
        medical_terms: Iterable[str] | None = None,
    ) -> None:
        from spellchecker import SpellChecker

        self.entities = entities if entities is not None else load_entities()
        self.abbreviations = load_abbreviations()
        terms = frozenset(medical_terms) if medical_terms is not None else load_word_list()
        self.medical_phrases = frozenset(t for t in terms if " " in t)
        self.medical_terms = frozenset(w for t in terms for w in t.split())
        self._english = SpellChecker(distance=1)
        self.english_freq: dict[str, int] = self._english.word_frequency.dictionary
        self.domain_freq: Counter[str] = Counter()
        # Which words follow which in domain phrases ("hodgkin" → "lymphoma"): ranks completions by the word before.
        self._followers: dict[str, Counter[str]] = {}
        for text in kb_texts:
            words = [w.lower().strip("'-/+") for w in WORD_RE.findall(text)]
            self.domain_freq.update(w for w in words if len(w) >= 3)
            for first, second in itertools.pairwise(words):
                if len(first) >= 4 and len(second) >= 4:
                    self._followers.setdefault(first, Counter())[second] += 1
        for term in self.medical_terms:
            self.domain_freq[term] += MEDICAL_TERM_WEIGHT
        for phrase in self.medical_phrases:
            self._add_phrase(phrase, PHRASE_WEIGHT)
        self.alias_to_entity: dict[str, Entity] = {}
        for entity in self.entities:
            for name in (entity.canonical, *entity.aliases):
                self.alias_to_entity.setdefault(name, entity)
            for word in WORD_RE.findall(entity.canonical):
                if len(word) >= 3:
                    self.domain_freq[word.lower()] += 5
            if " " in entity.canonical:
                self._add_phrase(entity.canonical, PHRASE_WEIGHT)
        aliases = sorted(self.alias_to_entity, key=len, reverse=True)
        self._entity_re = re.compile(
            r"(?<![a-z0-9])(" + "|".join(re.escape(a) for a in aliases) + r")(?![a-z0-9])", re.IGNORECASE
        )
        self.misspelt_aliases = self._find_misspelt_aliases()
        self._build_prefix_index()
        self._build_delete_index()
        # Per-word answers are pure functions of the word: cache them (per instance, so tests may build several).
        self._known_cached: Callable[[str], bool] = lru_cache(maxsize=1 << 16)(self._is_known)
        self._correction_cached: Callable[[str], str | None] = lru_cache(maxsize=1 << 16)(self._correction)
        self._ranked_prefix: Callable[[str], tuple[str, ...]] = lru_cache(maxsize=1 << 14)(self._ranked_prefix_uncached)

    def _add_phrase(self, phrase: str, weight: int) -> None:
        words = phrase.lower().split()
        for first, second in itertools.pairwise(words):
            self._followers.setdefault(first, Counter())[second] += weight

    # --- indexes --------------------------------------------------------------------------------
    def _find_misspelt_aliases(self) -> frozenset[str]:
        """Aliases listed as common misspellings ("letrazole", "lymphodema"): known, never offered as completions."""

        def proper(name: str) -> bool:
            return name in self.abbreviations or name in self.english_freq or name in self.medical_terms

        found = set()
        for entity in self.entities:
            names = [entity.canonical, *entity.aliases]
            for alias in entity.aliases:
                if not alias.isalpha() or len(alias) < 5 or proper(alias):
                    continue
                if any(
                    other != alias
                    and (other == entity.canonical or proper(other))
                    and not (other.startswith(alias) or alias.startswith(other))
                    and edit_distance(alias, other, 2) <= 2
                    for other in names
                ):
                    found.add(alias)
        return frozenset(found)

    def _build_prefix_index(self) -> None:
        """One sorted list of completable words with a static score (domain words far above English)."""
        scores: dict[str, float] = {}
        for word, freq in self.english_freq.items():
            if freq >= MIN_ENGLISH_FREQ and word.isalpha():
                scores[word] = min(freq / 1000.0, ENGLISH_CAP)
        for word, freq in self.domain_freq.items():
            if word.isalpha() or (word in self.medical_terms and "-" in word):
                scores[word] = DOMAIN_BASE + 100.0 * math.log1p(freq)
        for word in self.misspelt_aliases:
            scores.pop(word, None)
        self._completable = sorted(scores)
        self._static_score = scores

    def _build_delete_index(self) -> None:
        """Symmetric-delete index (up to two deletions) over the domain words corrections may land on."""
        self._correctable: dict[str, int] = {}
        for word, freq in self.domain_freq.items():
            if len(word) >= 4 and word.isalpha() and freq >= 2:
                self._correctable[word] = freq
        for alias in self.alias_to_entity:
            if len(alias) >= 4 and " " not in alias:
                self._correctable[alias] = max(self._correctable.get(alias, 0), 10)
        index: dict[str, list[str]] = {}
        for word in self._correctable:
            for key in deletes(word, 2 if len(word) >= 6 else 1):
                index.setdefault(key, []).append(word)
        self._delete_index = index

    # --- entities -------------------------------------------------------------------------------
    def find_entities(self, text: str, kinds: tuple[str, ...] | None = None) -> list[EntityMention]:
        """Entity mentions in ``text`` (longest alias wins), optionally only of some kinds."""
        mentions = []
        for match in self._entity_re.finditer(text):
            entity = self.alias_to_entity[match.group(1).lower()]
            if kinds is None or entity.kind in kinds:
                mentions.append(
                    EntityMention(entity.canonical, entity.kind, match.start(), match.end(), match.group(1))
                )
        return mentions

    # --- words ----------------------------------------------------------------------------------
    def is_domain_word(self, word: str) -> bool:
        """A knowledge-base, medical-list or entity word (not merely general English)."""
        w = word.lower().strip(_STRIP)
        return w in self.domain_freq or w in self.alias_to_entity or w in self.abbreviations

    def is_known(self, word: str) -> bool:
        """A word OncoGuide understands: English, domain, entity, shorthand, or a number with a unit."""
        return self._known_cached(word)

    def correction(self, word: str) -> str | None:
        """A confident correction for a misspelled word, or None (known word, or no clear fix)."""
        return self._correction_cached(word)

    def _is_known(self, word: str) -> bool:
        w = word.lower().strip(_STRIP)
        if not w or not any(ch.isalpha() for ch in w) or NUMBER_WITH_UNIT.match(w):
            return True
        if w in self.abbreviations or w in self.domain_freq or w in self.alias_to_entity or w in self.english_freq:
            return True
        parts = [p for p in re.split(r"[-/+'’.]", w) if p]
        return bool(parts) and all(
            p in self.english_freq
            or p in self.domain_freq
            or p in self.abbreviations
            or NUMBER_WITH_UNIT.match(p)
            or p.isdigit()
            for p in parts
        )

    def _ranked_prefix_uncached(self, prefix: str, limit: int = 12) -> tuple[str, ...]:
        start = bisect.bisect_left(self._completable, prefix)
        end = bisect.bisect_left(self._completable, prefix + "\uffff", start)
        words = [w for w in self._completable[start:end] if w != prefix]
        score = self._static_score
        return tuple(heapq.nsmallest(limit, words, key=lambda w: (-score[w], len(w), w)))

    def completions(
        self, fragment: str, context: Iterable[str] = (), limit: int = 3, previous: str | None = None
    ) -> list[str]:
        """Likely whole words for a cut-off ``fragment``, best first, distinct words only.

        Ranked: words from the conversation so far (``context``), then words that follow ``previous`` in a
        domain phrase, then domain words (knowledge base, medical list, entities), then general English.
        ``previous`` (the word before the fragment) defaults to the last word of the last context text.
        """
        prefix = fragment.lower()
        if not prefix:
            return []
        context = list(context)
        if previous is None:
            tail = WORD_RE.findall(context[-1]) if context else []
            previous = tail[-1] if tail else ""
        previous = previous.lower()
        pool = {w: self._static_score[w] for w in self._ranked_prefix(prefix)}
        for text in context:
            for raw in WORD_RE.findall(text):
                word = raw.lower().strip("'-/+")
                if word.startswith(prefix) and word != prefix and word in self._static_score:
                    pool[word] = CONTEXT_BONUS + self._static_score[word]
        followers = self._followers.get(previous)
        if followers:
            for word in followers:
                if word.startswith(prefix) and word != prefix and word in self._static_score:
                    pool[word] = max(pool.get(word, 0.0), FOLLOWER_BONUS + self._static_score[word])
        if previous in VERB_MARKERS:
            for word in pool:
                if word + "d" in self._static_score or word + "ed" in self._static_score:
                    pool[word] += BASE_VERB_BONUS
        ranked = sorted(pool, key=lambda w: (-pool[w], len(w), w))
        return distinct_stems(ranked)[:limit]

    def is_prefix_of_known(self, fragment: str) -> bool:
        """Some longer known word starts with ``fragment``."""
        prefix = fragment.lower()
        i = bisect.bisect_right(self._completable, prefix)
        return i < len(self._completable) and self._completable[i].startswith(prefix)

    def _domain_candidates(self, w: str) -> dict[str, int]:
        """Domain words within edit distance 1 (2 for long words), with their distance."""
        max_distance = 2 if len(w) >= 7 else 1
        found: dict[str, int] = {}
        for key in deletes(w, max_distance):
            for candidate in self._delete_index.get(key, ()):
                if candidate in found or candidate == w:
                    continue
                limit = max_distance if len(candidate) >= 7 else 1
                distance = edit_distance(w, candidate, limit)
                if distance <= limit:
                    found[candidate] = distance
        return found

    def _correction(self, word: str) -> str | None:
        w = word.lower().strip(_STRIP)
        if len(w) < 4:
            return None
        entity = self.alias_to_entity.get(w)
        if entity is not None:
            close = " " not in entity.canonical and w not in self.english_freq and close_spellings(w, entity.canonical)
            is_misspelling = close or (w in self.misspelt_aliases and " " not in entity.canonical)
            return entity.canonical if is_misspelling and w != entity.canonical else None
        if self.is_known(w):
            return None
        # Domain words within 1-2 edits, and English words within 1 edit.
        distance = self._domain_candidates(w)
        for candidate in self._english.candidates(w) or set():
            if candidate != w and self.english_freq.get(candidate, 0) >= 100:
                distance.setdefault(candidate, 1)
        if not distance:
            return None

        def rank(c: str) -> tuple[bool, int, bool, bool, int, int]:
            # domain first ("tumer" → tumor, not timer); then nearest; then a slip to a neighbouring key
            # ("5aking" → taking, "pysh" → push); then entity names; then frequency
            is_domain = c in self.domain_freq or c in self.alias_to_entity
            return (
                is_domain,
                -distance[c],
                is_keyboard_slip(w, c),
                c in self.alias_to_entity,
                self.domain_freq.get(c, 0),
                self.english_freq.get(c, 0),
            )

        return self._canonical(max(distance, key=rank))

    def care_wording(self, text: str) -> CareWording:
        """Whether a message names a cancer, a medicine, a test or an oncology word ("clear"), only care words that
        strangers also use in their everyday sense ("everyday": "tropic of cancer", "my free trial"), or none."""
        if not self.names_care(text):
            return "none"
        return "clear" if self.names_care(EVERYDAY_SENSES.sub(" ", text)) else "everyday"

    def names_care(self, text: str) -> bool:
        """A cancer, a medicine, a test or an oncology word."""
        return bool(cancer_types().mentioned(text) or self.find_entities(text) or ONCOLOGY_TERMS.search(text))

    def _canonical(self, word: str) -> str:
        """A misspelt alias maps to its entity's name; a correctly spelt one (brand, procedure) is kept."""
        entity = self.alias_to_entity.get(word)
        return entity.canonical if entity and word in self.misspelt_aliases and " " not in entity.canonical else word


@lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    """The process-wide vocabulary, including the knowledge-base documents in the KB folder."""
    from chains.settings import get_settings

    kb_dir = get_settings().kb_dir
    texts = [p.read_text(encoding="utf-8", errors="ignore") for p in sorted(kb_dir.rglob("*.md"))]
    return Vocabulary(texts)
