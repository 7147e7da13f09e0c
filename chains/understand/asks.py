"""The part of a message that asks: patients often give background first ("week 3 of radiotherapy, skin going
pink…") and ask last ("can i use aloe vera?"). Answers are chosen by what was asked, not by the background."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from chains.text.rules import load_rules
from chains.text.sentences import sentences as split_sentences
from chains.understand.clarify.shape import is_question  # the clarify gate owns what opens a question

_DATA = yaml.safe_load((Path(__file__).parent / "asks.yaml").read_text(encoding="utf-8"))
REFERRING_WORDS = frozenset(_DATA["referring_words"])
MAX_OWN_WORDS = int(_DATA["max_own_words"])

# A new question often starts mid-sentence after a comma or a joining word: "…, can i use…", "and am i still…".
_CLAUSE_BREAK = load_rules(Path(__file__).parent / "asks.yaml").rules["clause_break"].pattern


_AFTER_QUESTION_MARK = re.compile(r"(?<=\?)\s+")


@lru_cache(maxsize=4096)
def the_ask(message: str) -> str:
    """The clauses of ``message`` that ask something, joined; the whole message when none does."""
    return " ".join(asking_clauses(message)) or message


@lru_cache(maxsize=4096)
def asking_clauses(message: str) -> tuple[str, ...]:
    """The clauses of ``message`` that ask something, in order ("what should I pack…", "how long will I be in
    for?", "also will I have drains…"); none when no clause asks."""
    clauses: list[str] = []
    pieces = _AFTER_QUESTION_MARK.split(message.strip())  # "whats a port? my nurse said…": blingfire keeps these
    for sentence in (s for piece in pieces for s in split_sentences(piece)):
        if sentence.strip().endswith("?") and not _CLAUSE_BREAK.search(sentence):
            clauses.append(sentence.strip())
            continue
        clauses.extend(c.strip() for c in _CLAUSE_BREAK.split(sentence) if c and is_question(c))
    return tuple(c for c in clauses if len(c.split()) >= 2)


def points_back(message: str) -> bool:
    """Whether the asking part only points back at the background ("…hot flushes and snappy, is that the
    injections doing that", "my scan showed a 4mm nodule. is this bad?"): then the background is what is asked
    about. Whole-message questions never do."""
    ask = the_ask(message)
    return ask != message and _only_points(ask)


def leans_on_before(message: str) -> bool:
    """An asking clause of a follow-up only points back, with little of its own ("is that good news?", "why does the
    tumour do that?"): what it asks about is in the previous question, so both are read together."""
    return any(_only_points(clause) for clause in asking_clauses(message) or (message,))


def _only_points(text: str) -> bool:
    """The text has a pointing word and at most ``MAX_OWN_WORDS`` words of its own."""
    from chains.retrieval.bm25 import bm25_tokens

    words = re.findall(r"[a-z']+", text.lower())
    own = [t for t in bm25_tokens(text) if t not in REFERRING_WORDS]
    return any(w.replace("'", "") in REFERRING_WORDS for w in words) and len(own) <= MAX_OWN_WORDS
