"""How typing goes wrong, for spelling correction: keys next to each other, the deletes of the symmetric-delete
index, and whether two spellings are close enough to be one word."""

from __future__ import annotations

from rapidfuzz.distance import Indel

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


def deletes(word: str, depth: int) -> set[str]:
    """``word`` with up to ``depth`` characters removed (the symmetric-delete keys)."""
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def is_keyboard_slip(typed: str, candidate: str) -> bool:
    """One substituted character that sits next to the intended key (``5aking`` → ``taking``)."""
    if len(typed) != len(candidate):
        return False
    diffs = [(a, b) for a, b in zip(typed, candidate, strict=True) if a != b]
    return len(diffs) == 1 and diffs[0][1] in KEYBOARD_NEAR.get(diffs[0][0], set())


def close_spellings(a: str, b: str) -> bool:
    """An alias close enough to its canonical name to be a misspelling of it: 80 % of their letters shared in
    order (not an edit-distance bound: "pegfilgrastim" is no misspelling of "filgrastim")."""
    return Indel.normalized_similarity(a, b) >= 0.8


def distinct_stems(words: list[str]) -> list[str]:
    """Drop plural/singular duplicates so three offered completions are three different words."""
    kept: list[str] = []
    for word in words:
        if any(word.rstrip("s") == k.rstrip("s") for k in kept):
            continue
        kept.append(word)
    return kept
