"""The text utilities every stage shares: the normalised forms of a message and the one edit distance.

``normalise`` is the form rules match: lower case, straight quotes, contractions and common typos. The tables
(contractions, misspellings seen in patient messages, long symptom words that accept one typo) live in
``normalise.yaml``. A long symptom word also matches with one edit (insertion, deletion, substitution or
swap); the first letter must match, and real words one edit away are protected. ``short_form`` is the form
whole short messages ("ok thanks", "hi there") are matched in. ``edit_distance`` is rapidfuzz's
optimal-string-alignment distance, used for every typo and spelling decision. Sentences are split in
``chains.text.sentences``.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from pathlib import Path

import yaml
from rapidfuzz.distance import OSA

_TABLES = yaml.safe_load((Path(__file__).parent / "normalise.yaml").read_text(encoding="utf-8"))
_CONTRACTIONS: dict[str, str] = _TABLES["contractions"]
_MISSPELLINGS: dict[str, str] = _TABLES["misspellings"]
_FUZZY_TARGETS: frozenset[str] = frozenset(_TABLES["fuzzy_targets"])
_FUZZY_PROTECTED: frozenset[str] = frozenset(_TABLES["fuzzy_protected"])
QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "“": '"', "”": '"', "–": "-", "—": "-"})
_WORD = re.compile(r"[a-z][a-z']*")


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


@cache
def _fuzzy_index() -> dict[str, tuple[str, ...]]:
    index: dict[str, set[str]] = {}
    for target in _FUZZY_TARGETS:
        for key in {target} | _deletes(target):
            index.setdefault(key, set()).add(target)
    return {key: tuple(sorted(values)) for key, values in index.items()}


def edit_distance(a: str, b: str, cap: int = 3) -> int:
    """Optimal-string-alignment distance (an adjacent swap counts once); any distance past ``cap`` is ``cap + 1``."""
    return OSA.distance(a, b, score_cutoff=cap)


@lru_cache(maxsize=4096)
def _normalise_word(word: str) -> str:
    if word in _CONTRACTIONS:
        return _CONTRACTIONS[word]
    if word in _MISSPELLINGS:
        return _MISSPELLINGS[word]
    if len(word) < 6 or word in _FUZZY_PROTECTED or word in _FUZZY_TARGETS or not word.isalpha():
        return word
    index = _fuzzy_index()
    candidates = set(index.get(word, ()))
    for key in _deletes(word):
        candidates.update(index.get(key, ()))
    # Differences only at the end are inflections ("breath"/"breathe", "collapse"/"collapsed"), not typos.
    matches = sorted(
        t
        for t in candidates
        if t[0] == word[0] and edit_distance(word, t, 1) == 1 and not (t.startswith(word) or word.startswith(t))
    )
    return matches[0] if len(matches) == 1 else word


def short_form(text: str) -> str:
    """Lower case, letters and spaces only: the form short replies and greetings are matched in."""
    return re.sub(r"[^a-z ]", "", text.lower()).strip()


def normalise(text: str) -> str:
    """Lower case, straight quotes, one space between words, and common misspellings fixed."""
    text = re.sub(r"[ \t\r\f\v]+", " ", text.translate(QUOTES).lower())
    return _WORD.sub(lambda m: _normalise_word(m.group(0)), text)
