"""The part of a message that asks: patients often give background first ("week 3 of radiotherapy, skin going
pink…") and ask last ("can i use aloe vera?"). Answers are chosen by what was asked, not by the background."""

from __future__ import annotations

import re
from functools import lru_cache

from chains.text.sentences import sentences as split_sentences

# A new question often starts mid-sentence after a comma or a joining word: "…, can i use…", "and am i still…".
_CLAUSE_BREAK = re.compile(
    r"[,;:]\s+|\s[-–—]\s|\s(?:but|and|also|so|or)\s+(?=(?:can|could|is|are|am|do|does|did|should|will|would|what|"
    r"how|why|when|which|who|where|has|have|any|whats|hows)\b)",
    re.IGNORECASE,
)


_AFTER_QUESTION_MARK = re.compile(r"(?<=\?)\s+")


@lru_cache(maxsize=4096)
def the_ask(message: str) -> str:
    """The clauses of ``message`` that ask something, joined; the whole message when none does."""
    from chains.clarify import is_question  # the clarify gate owns what opens a question (it imports memory)

    clauses: list[str] = []
    pieces = _AFTER_QUESTION_MARK.split(message.strip())  # "whats a port? my nurse said…": blingfire keeps these
    for sentence in (s for piece in pieces for s in split_sentences(piece)):
        if sentence.strip().endswith("?") and not _CLAUSE_BREAK.search(sentence):
            clauses.append(sentence.strip())
            continue
        clauses.extend(c.strip() for c in _CLAUSE_BREAK.split(sentence) if c and is_question(c))
    ask = " ".join(c for c in clauses if len(c.split()) >= 2)
    return ask or message
