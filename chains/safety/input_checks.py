"""Stage 1: is the message something we can read? Empty, too long, or binary junk gets a kind note;
stray control characters are removed silently."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


@dataclass(frozen=True)
class InputCheck:
    text: str  # the cleaned message
    problem: str | None = None  # a kind message for the patient when the input cannot be used


def check_input(raw: object, max_chars: int) -> InputCheck:
    """Clean the message, or explain kindly why it cannot be used."""
    if not isinstance(raw, str):
        return InputCheck("", "I couldn't read that message. Could you type your question as text?")
    text = unicodedata.normalize("NFC", raw)
    cleaned = _CONTROL.sub("", text).replace("\r\n", "\n").strip()
    if not cleaned:
        return InputCheck(
            "",
            "Your message looks empty. What would you like to know? You can ask about a diagnosis, a treatment, side effects or living with cancer.",
        )
    if len(cleaned) > max_chars:
        return InputCheck(
            "",
            f"Your message is {len(cleaned):,} characters long — more than the {max_chars:,} I can read at once. "
            "Could you send the main question in a shorter message? If it is a letter or report, you can attach it "
            "as a file instead.",
        )
    junk = sum(1 for ch in cleaned if unicodedata.category(ch)[0] in ("C", "S") and ch not in "\n\t+-=<>%°$€£")
    letters = sum(1 for ch in cleaned if ch.isalpha())
    if len(cleaned) >= 8 and (
        junk / len(cleaned) > 0.3 or (letters / len(cleaned) < 0.2 and junk > 0) or _looks_like_decoded_bytes(cleaned)
    ):
        return InputCheck(
            "",
            "I couldn't read that message — it seems to contain unreadable characters. Could you type your question again?",
        )
    return InputCheck(cleaned)


_WESTERN_EXTRA_LETTERS = set("ŠšŽžŒœŸƒ")  # the letters cp1252 adds above Latin-1


def _looks_like_decoded_bytes(text: str) -> bool:
    """Binary data read as Latin-1/cp1252: about half its letters are accented (À-ÿ). Real European text has
    at most about a third, even in a short accent-heavy phrase; Vietnamese about a seventh."""
    letters = [ch for ch in text if ch.isalpha()]
    accented = sum(1 for ch in letters if "\u00c0" <= ch <= "\u00ff" or ch in _WESTERN_EXTRA_LETTERS)
    return len(letters) >= 8 and accented / len(letters) >= 0.4
