"""Records a patient attaches (a clinic letter, a pathology report): read the text, propose facts.

Nothing is added to the profile until the patient confirms; the raw file is not kept unless the
deployment enables it. Text from a file is data, never instructions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from chains.text.pdf import extract_pdf_text
from chains.understand.profile.extract import extract_profile
from chains.understand.profile.facts import PatientProfile
from chains.understand.vocabulary import Vocabulary

ALLOWED_TYPES = {"application/pdf": "PDF", "text/plain": "text file"}
_THIRD_PERSON = [
    (re.compile(r"\b(ER|PR|HER-?2|estrogen receptor|progesterone receptor)\s*(status)?\s*[:=]\s*", re.I), r"\1 "),
    (re.compile(r"\b(the patient|patient|she|he|mrs\.? \w+|ms\.? \w+|mr\.? \w+)\s+(is|has|was|had)\b", re.I), r"I \2"),
    (re.compile(r"\b(her|his)\b", re.I), "my"),
]


@dataclass(frozen=True)
class RecordReading:
    name: str
    text: str = ""
    problem: str | None = None  # a kind explanation when the file cannot be used


def read_record(path: Path, name: str, mime: str | None, max_mb: float) -> RecordReading:
    """The text of an uploaded file, or why it could not be read."""
    kind = ALLOWED_TYPES.get((mime or "").split(";")[0].strip())
    if kind is None:
        return RecordReading(name, problem=f"I can read PDF and plain-text files only, so I couldn't open “{name}”.")
    size_mb = path.stat().st_size / 1_000_000
    if size_mb > max_mb:
        return RecordReading(name, problem=f"“{name}” is {size_mb:.1f} MB; I can read files up to {max_mb:g} MB.")
    try:
        if kind == "PDF":
            text = "\n".join(extract_pdf_text(path.read_bytes()))
        else:
            text = path.read_bytes().decode("utf-8", errors="replace")
    except Exception:  # damaged or encrypted PDFs raise many different errors
        return RecordReading(name, problem=f"I couldn't open “{name}” — the file may be damaged or password-protected.")
    if not text.strip():
        return RecordReading(name, problem=f"I could not read text in this file (“{name}”). It may be a scanned image.")
    return RecordReading(name, text=text)


def propose_profile(text: str, vocabulary: Vocabulary) -> PatientProfile:
    """Profile facts stated in a record, which is usually written about the patient in the third person."""
    normalised = text
    for pattern, replacement in _THIRD_PERSON:
        normalised = pattern.sub(replacement, normalised)
    return extract_profile(text, vocabulary).merge(extract_profile(normalised, vocabulary))
