"""Domain vocabulary: entities, known words, prefix completions and spelling corrections.

Built once per process from the maintained lists in ``chains/vocab/``, the knowledge base's own
words, and the English dictionary shipped by ``pyspellchecker``. Pure and fast after construction.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

VOCAB_DIR = Path(__file__).parent / "vocab"
WORD_RE = re.compile(r"[a-z][a-z0-9'\-/+]*", re.IGNORECASE)
NUMBER_WITH_UNIT = re.compile(
    r"^[<>~]?\d+([.,]\d+)?(mg|ml|mcg|kg|lbs?|f|c|°c|°f|%|x|yrs?|y/o|yo|mos?|months?|wks?|days?|d|h|hrs?|am|pm|st|nd|rd|th|s)?$"
)
_KEYBOARD_ROWS = ["1234567890-", "qwertyuiop", "asdfghjkl;", "zxcvbnm,."]


def _keyboard_neighbours() -> dict[str, set[str]]:
    positions = {ch: (r, c) for r, row in enumerate(_KEYBOARD_ROWS) for c, ch in enumerate(row)}
    near: dict[str, set[str]] = {ch: set() for ch in positions}
    for a, (ra, ca) in positions.items():
        for b, (rb, cb) in positions.items():
            if a != b and abs(ra - rb) <= 1 and abs(ca - cb) <= 1 + (1 if ra != rb else 0):
                near[a].add(b)
    return near


KEYBOARD_NEAR = _keyboard_neighbours()


@dataclass(frozen=True)
class Entity:
    kind: str
    canonical: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class EntityMention:
    canonical: str
    kind: str
    start: int
    end: int
    text: str


def load_entities(path: Path = VOCAB_DIR / "entities.txt") -> list[Entity]:
    entities = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        kind, canonical, aliases = (part.strip() for part in line.split("|"))
        names = tuple(a.strip().lower() for a in aliases.split(",") if a.strip())
        entities.append(Entity(kind, canonical.lower(), names))
    return entities


def load_abbreviations(path: Path = VOCAB_DIR / "abbreviations.txt") -> frozenset[str]:
    words: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.lstrip().startswith("#"):
            words.update(line.lower().split())
    return frozenset(words)


def _edits1(word: str) -> set[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    transposes = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in letters}
    inserts = {a + c + b for a, b in splits for c in letters}
    return deletes | transposes | replaces | inserts


def _is_keyboard_slip(typed: str, candidate: str) -> bool:
    """One substituted character that sits next to the intended key (``5aking`` → ``taking``)."""
    if len(typed) != len(candidate):
        return False
    diffs = [(a, b) for a, b in zip(typed, candidate, strict=True) if a != b]
    return len(diffs) == 1 and diffs[0][1] in KEYBOARD_NEAR.get(diffs[0][0], set())


class Vocabulary:
    """Everything the gate, rewriter and profile extractor need to know about words."""

    def __init__(self, kb_texts: Iterable[str] = (), entities: list[Entity] | None = None) -> None:
        from spellchecker import SpellChecker

        self.entities = entities if entities is not None else load_entities()
        self.abbreviations = load_abbreviations()
        self._english = SpellChecker(distance=1)
        self.english_freq: dict[str, int] = self._english.word_frequency.dictionary
        self.domain_freq: Counter[str] = Counter()
        for text in kb_texts:
            self.domain_freq.update(w.lower().strip("'-/+") for w in WORD_RE.findall(text) if len(w) >= 3)
        self.alias_to_entity: dict[str, Entity] = {}
        for entity in self.entities:
            for name in (entity.canonical, *entity.aliases):
                self.alias_to_entity.setdefault(name, entity)
            for word in WORD_RE.findall(entity.canonical):
                if len(word) >= 3:
                    self.domain_freq[word.lower()] += 5
        aliases = sorted(self.alias_to_entity, key=len, reverse=True)
        self._entity_re = re.compile(
            r"(?<![a-z0-9])(" + "|".join(re.escape(a) for a in aliases) + r")(?![a-z0-9])", re.IGNORECASE
        )
        self._domain_sorted = sorted(self.domain_freq)
        self._english_sorted = sorted(w for w in self.english_freq if w.isalpha())

    # --- entities -------------------------------------------------------------------------------
    def find_entities(self, text: str, kinds: tuple[str, ...] | None = None) -> list[EntityMention]:
        mentions = []
        for match in self._entity_re.finditer(text):
            entity = self.alias_to_entity[match.group(1).lower()]
            if kinds is None or entity.kind in kinds:
                mentions.append(EntityMention(entity.canonical, entity.kind, match.start(), match.end(), match.group(1)))
        return mentions

    # --- words ----------------------------------------------------------------------------------
    def is_known(self, word: str) -> bool:
        w = word.lower().strip(".,;:!?\"'()")
        if not w or not any(ch.isalpha() for ch in w) or NUMBER_WITH_UNIT.match(w):
            return True
        if w in self.abbreviations or w in self.domain_freq or w in self.alias_to_entity:
            return True
        parts = [p for p in re.split(r"[-/+']", w) if p]
        return all(p in self.english_freq or p in self.domain_freq or p in self.abbreviations for p in parts)

    def _prefixed(self, sorted_words: list[str], prefix: str, limit: int = 4000) -> list[str]:
        start = bisect.bisect_left(sorted_words, prefix)
        found = []
        for word in sorted_words[start : start + limit]:
            if not word.startswith(prefix):
                break
            if word != prefix:
                found.append(word)
        return found

    def completions(self, fragment: str, context: Iterable[str] = (), limit: int = 3) -> list[str]:
        """Likely whole words for a cut-off ``fragment``: domain words first, then English."""
        prefix = fragment.lower()
        context_words = {w.lower() for text in context for w in WORD_RE.findall(text)}
        scored: dict[str, float] = {}
        for word in self._prefixed(self._domain_sorted, prefix):
            if not word.isalpha():
                continue
            score = 1000.0 + self.domain_freq[word]
            if word in context_words:
                score += 5000.0
            scored[word] = score
        for word in self._prefixed(self._english_sorted, prefix):
            freq = self.english_freq[word]
            if freq >= 50 and word not in scored:
                scored[word] = min(freq / 1000.0, 900.0) + (5000.0 if word in context_words else 0.0)
        ranked = sorted(scored, key=lambda w: (-scored[w], len(w)))
        return _distinct_stems(ranked)[:limit]

    def is_prefix_of_known(self, fragment: str) -> bool:
        prefix = fragment.lower()
        return bool(self._prefixed(self._domain_sorted, prefix, 1)) or any(
            self.english_freq[w] >= 50 for w in self._prefixed(self._english_sorted, prefix, 400)
        )

    def correction(self, word: str) -> str | None:
        """A confident correction for a misspelled word, or None (known word, or no clear fix)."""
        w = word.lower()
        if len(w) < 4:
            return None
        entity = self.alias_to_entity.get(w)
        if entity is not None:
            is_misspelling = " " not in entity.canonical and w not in self.english_freq and _close(w, entity.canonical)
            return entity.canonical if is_misspelling and w != entity.canonical else None
        if self.is_known(w):
            return None
        domain = [c for c in _edits1(w) if c in self.domain_freq or c in self.alias_to_entity]
        if not domain and len(w) >= 7:
            domain = [c for e in _edits1(w) for c in _edits1(e) if c in self.alias_to_entity or self.domain_freq.get(c, 0) >= 3]
        if domain:
            best = max(domain, key=lambda c: (c in self.alias_to_entity, self.domain_freq.get(c, 0)))
            entity = self.alias_to_entity.get(best)
            return entity.canonical if entity and " " not in entity.canonical else best
        candidates = self._english.candidates(w) or set()
        candidates = {c for c in candidates if c != w and self.english_freq.get(c, 0) >= 100}
        slips = [c for c in candidates if _is_keyboard_slip(w, c)]
        pool = slips or candidates
        return max(pool, key=lambda c: self.english_freq.get(c, 0)) if pool else None


def _close(a: str, b: str) -> bool:
    """Within two edits (difflib ratio as a cheap stand-in for edit distance on short words)."""
    from difflib import SequenceMatcher

    return SequenceMatcher(None, a, b).ratio() >= 0.8


def _distinct_stems(words: list[str]) -> list[str]:
    """Drop plural/singular duplicates so three offered completions are three different words."""
    kept: list[str] = []
    for word in words:
        if any(word.rstrip("s") == k.rstrip("s") for k in kept):
            continue
        kept.append(word)
    return kept


@lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    """The process-wide vocabulary, including the knowledge-base documents in the KB folder."""
    from chains.settings import get_settings

    kb_dir = get_settings().kb_dir
    texts = [p.read_text(encoding="utf-8", errors="ignore") for p in sorted(kb_dir.glob("*.md"))]
    return Vocabulary(texts)
