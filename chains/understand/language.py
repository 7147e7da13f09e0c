"""Is the message written in a language OncoGuide cannot read? (English-only content and safety rules.)

The red-flag patterns and the knowledge base are English. A message in another language would otherwise
fall through to a clarification or an unrelated answer; instead the patient is told plainly, in English
and in their language where we have it, that OncoGuide reads English only and how to get urgent help.
Detection is deliberately conservative: a script other than Latin for most letters, or several function
words of one other language outnumbering the English ones. A Spanish word in an English message is English.
The word lists and language names live in ``vocab/languages.yaml``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

_TABLES = yaml.safe_load((Path(__file__).parent / "vocab" / "languages.yaml").read_text(encoding="utf-8"))
_STOPWORDS: dict[str, frozenset[str]] = {code: frozenset(words) for code, words in _TABLES["stopwords"].items()}
_ENGLISH: frozenset[str] = frozenset(_TABLES["english"])
_LANGUAGE_NAMES: dict[str, str] = _TABLES["names"]
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


@dataclass(frozen=True)
class LanguageCheck:
    english: bool
    language: str | None = None  # a language code when we can tell ("es", or a script such as "Arabic")


def _script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return name.split(" ")[0] if name else ""


def check_language(text: str) -> LanguageCheck:
    """English (or too little to tell), or the other language the message is written in."""
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) < 6:
        return LanguageCheck(True)
    scripts: dict[str, int] = {}
    for ch in letters:
        script = _script(ch)
        scripts[script] = scripts.get(script, 0) + 1
    top, count = max(scripts.items(), key=lambda item: item[1])
    if top != "LATIN" and count / len(letters) > 0.5:
        return LanguageCheck(False, top.title())
    words = [w.lower() for w in _WORD.findall(text)]
    english = sum(1 for w in words if w in _ENGLISH)
    best, hits = max(((code, sum(1 for w in words if w in stop)) for code, stop in _STOPWORDS.items()),
                     key=lambda item: item[1])  # fmt: skip
    if hits >= 3 and hits >= 2 * max(english, 1) and hits / max(len(words), 1) >= 0.25:
        return LanguageCheck(False, best)
    return LanguageCheck(True)


def language_name(check: LanguageCheck) -> str:
    return _LANGUAGE_NAMES.get(check.language or "", "a language other than English")
