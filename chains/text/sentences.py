"""One sentence splitter for every stage: a passage's bullets and the sentences of its paragraphs.

Sentences come from blingfire (a maintained finite-state splitter, microseconds a passage); bullets and
numbered items are units of their own, and headings are left out.
"""

from __future__ import annotations

import re
from functools import lru_cache

import blingfire

_NUMBERED = re.compile(r"^\d+[.)]\s+")
ANNOUNCING_WORDS = 10  # a short sentence right before a list introduces it, even without a colon


def sentences(text: str) -> list[str]:
    """The sentences of plain text, stripped, empty ones left out."""
    return [s.strip() for s in blingfire.text_to_sentences(text).split("\n") if s.strip()]


@lru_cache(maxsize=16384)
def split_units(text: str) -> tuple[str, ...]:
    """The bullets and sentences of a Markdown passage, in order."""
    units: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped[:2] in ("- ", "* "):
            units.append(stripped[2:].strip())
        elif _NUMBERED.match(stripped):
            units.append(_NUMBERED.sub("", stripped))
        else:
            units.extend(sentences(stripped))
    return tuple(unit for unit in units if unit)


@lru_cache(maxsize=16384)
def units_with_lead_in(text: str) -> tuple[tuple[str, str], ...]:
    """Each unit with the sentence that introduces its list ("…in these cases:"), or "" when it stands alone."""
    out: list[tuple[str, str]] = []
    lead_in = ""
    last_sentence = ""  # the sentence just before a list introduces it ("Tamoxifen has some common side effects.")
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped[:2] in ("- ", "* ") or _NUMBERED.match(stripped):
            if not lead_in and last_sentence and len(last_sentence.split()) <= ANNOUNCING_WORDS:
                lead_in = last_sentence
            out.append((_NUMBERED.sub("", stripped[2:] if stripped[:2] in ("- ", "* ") else stripped).strip(), lead_in))
            last_sentence = ""
            continue
        said = sentences(stripped)
        out.extend((sentence, "") for sentence in said)
        lead_in = said[-1] if said and said[-1].endswith(":") else ""
        last_sentence = said[-1] if said else ""
    return tuple((unit, lead) for unit, lead in out if unit)
