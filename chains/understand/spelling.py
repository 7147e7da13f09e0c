"""Silent spelling correction for retrieval ("5aking ribocyclib" → "taking ribociclib").

The patient's original words stay in the conversation history; only retrieval and the standalone
question use the corrected text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chains.understand.vocabulary import Vocabulary

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'\-]*")


@dataclass(frozen=True)
class Correction:
    original: str
    corrected: str


def correct_spelling(text: str, vocabulary: Vocabulary) -> tuple[str, list[Correction]]:
    """The text with confident corrections applied, and the list of corrections made."""
    corrections: list[Correction] = []

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        if any(ch.isupper() for ch in word[1:]):  # "GCSEs", "HGV", "PSMA": a name the patient typed on purpose
            return word
        fixed = vocabulary.correction(word)
        if not fixed or fixed.lower() == word.lower():
            return word
        corrections.append(Correction(word, fixed))
        return fixed.capitalize() if word[:1].isupper() and not fixed[:1].isupper() else fixed

    return _TOKEN.sub(fix, text), corrections
