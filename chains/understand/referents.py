"""Words that point back ("it", "its side effects", "that one", an elliptical "and the dose?"): whether a
message needs something to refer to, and putting the referent in its place. "It" that refers to nothing
("is it normal to…") is told apart first."""

from __future__ import annotations

import re
from pathlib import Path

from chains.text.rules import load_rules
from chains.understand.vocabulary import Vocabulary

_BOOK = load_rules(Path(__file__).with_name("referents.yaml"))  # the patterns below, by id

_REFERRING = _BOOK.rules["referring"].pattern
# "it" that refers to nothing: "is it normal to...", "it's hard", "it hurts when..."
DUMMY_IT = _BOOK.rules["dummy_it"].pattern
_ELLIPTICAL = _BOOK.rules["elliptical"].pattern
_DUMMY_WORDS = frozenset(_BOOK.tables["dummy_words"])  # pointing words a dummy match keeps
STRONG_KINDS = ("drug", "treatment", "test")


def needs_referent(message: str, vocabulary: Vocabulary) -> bool:
    """The message points at something ("its side effects", "is it safe?") and names no treatment."""
    if vocabulary.find_entities(message, kinds=STRONG_KINDS):
        return False
    stripped = DUMMY_IT.sub(" ", message)
    return bool(_REFERRING.search(stripped)) or bool(_ELLIPTICAL.match(message))


TREATMENT_PROPERTY = _BOOK.rules["treatment_property"].pattern


def substitute_referent(message: str, referent: str) -> str:
    """Replace the first referring expression outside a dummy use ("is it normal", "what are they looking for":
    the care team) with ``referent`` (or append it to an elliptical one)."""
    dummies = [m.span() for m in DUMMY_IT.finditer(message)]

    def dummy(match: re.Match[str]) -> bool:  # "is it normal", "this tired", "what are they looking for"
        return match.group(0).lower() in _DUMMY_WORDS and any(a <= match.start() < b for a, b in dummies)

    pointer = next((m for m in _REFERRING.finditer(message) if not dummy(m)), None)
    if pointer is None:
        core = message.rstrip(" ?.!")
        rewritten = f"{core} of {referent}?"
    else:
        word = pointer.group(0).lower()
        said = f"{referent}'s" if word in ("its", "their") else referent
        rewritten = message[: pointer.start()] + said + message[pointer.end() :]
    return rewritten[0].upper() + rewritten[1:] if rewritten else rewritten
