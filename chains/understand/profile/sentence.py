"""How a message is read: cut into sentences, each position with an owner (the last "I"/"my" or "my sister"
before it), inside a question or a negation or not; treatment mentions next to each other form a group."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from chains.text import context
from chains.understand.profile.cues import (
    BOUNDARY,
    CLAUSE_PUNCT,
    ME_WORD,
    NUMBER_WORDS,
    QUESTION_ONSET,
    SPEAKER,
    STRONG_ONSET,
    UNIT,
)


# --- reading a message ---------------------------------------------------------------------------------
@dataclass
class Mention:
    """A treatment named (or pointed at with "it") in a sentence."""

    name: str | None
    start: int
    end: int


@dataclass
class Group:
    """Treatments joined by "and", "+", "," or "with"; they share one status and one duration."""

    members: list[Mention]
    status: str = ""
    explicit: bool = False

    @property
    def start(self) -> int:
        return self.members[0].start

    @property
    def end(self) -> int:
        return self.members[-1].end


@dataclass
class Reading:
    """What has been read so far across the sentences of one message."""

    last_treatment: str | None = None
    statuses: dict[str, list[tuple[int, str, bool]]] = field(default_factory=dict)
    durations: dict[str, str] = field(default_factory=dict)
    breast: bool = False
    other_cancer: str | None = None


class Sentence:
    """One sentence: who each position is about, where a question starts, which spans are negated."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.speakers = [(m.start(), m.lastgroup == "me") for m in SPEAKER.finditer(text)]
        self.question_at = _question_start(text)
        self.negations = context.fact_negation_spans(text)
        self.boundaries = [m.start() for m in BOUNDARY.finditer(text)]

    def about_me(self, pos: int) -> bool:
        owner = True
        for start, is_me in self.speakers:
            if start > pos:
                break
            owner = is_me
        return owner

    def stated(self, pos: int) -> bool:
        """A first-person statement (not a question, not about someone else) at ``pos``."""
        return pos < self.question_at and self.about_me(pos)

    def negated(self, pos: int) -> bool:
        return any(start <= pos < end for start, end in self.negations)

    def affirmed(self, pos: int) -> bool:
        return self.stated(pos) and not self.negated(pos)

    def clause_start(self, pos: int, floor: int = 0) -> int:
        return max([b for b in self.boundaries if b < pos] + [floor])

    def clause_end(self, pos: int) -> int:
        return min([b for b in self.boundaries if b >= pos] + [len(self.text)])


def prepare_text(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"[ \t]+", " ", text)


def message_sentences(text: str) -> list[str]:
    pieces = [s.strip() for s in re.split(r"(?<=[.!?;])\s+|\n+|\s+[-–—]\s+", text) if s.strip()]
    merged: list[str] = []
    for piece in pieces:  # "St. John's wort", "Dr. Smith" are not sentence ends
        if merged and re.search(r"\b(?:st|dr|vs|mr|mrs|ms|e\.g|i\.e)\.$", merged[-1], re.I):
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    return merged


def _question_start(text: str) -> int:
    """Where the question part of a sentence starts (``len(text)`` when nothing is asked)."""
    onsets = [m.end() for m in CLAUSE_PUNCT.finditer(text)]
    if text.rstrip().endswith("?"):
        asked = [pos for pos in onsets if QUESTION_ONSET.match(text, pos)]
        if asked:
            return asked[-1]
        return len(text) if ME_WORD.search(text) else 0
    asked = [pos for pos in onsets if STRONG_ONSET.match(text, pos)]
    return asked[0] if asked else len(text)


def add_value(values: list[str], value: str) -> None:
    if value not in values:
        values.append(value)


def duration_text(amount_text: str, unit_text: str) -> str:
    amount = int(amount_text) if amount_text.isdigit() else NUMBER_WORDS[amount_text.lower()]
    unit = unit_text.lower()
    unit = UNIT.get(unit if unit in UNIT else unit.rstrip("s"), "month")
    return f"{amount} {unit}" + ("" if amount == 1 else "s")
