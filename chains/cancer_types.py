"""The cancer types OncoGuide knows: what patients call them, whether the library covers them, where to read more.

The catalogue is data (``chains/cancer_types.yaml``); this module reads it once per process and finds
the types a message names. Retrieval steers by the type, answers say which cancer they are about, and a
question that depends on the type when none is known is asked about (``chains.stages.search.which_cancer``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

CATALOGUE = Path(__file__).with_name("cancer_types.yaml")
ANY = "any"  # the cancer_type of a document written for every cancer


@dataclass(frozen=True)
class CancerType:
    id: str
    name: str
    label: str
    in_library: bool
    pattern: re.Pattern[str]  # wording that names the cancer
    signal: re.Pattern[str]  # the names, and tests or operations that point to it
    learn_more: str = ""
    examples: tuple[str, ...] = ()


class CancerTypes:
    """The catalogue, looked up by id or by name, and searched in text."""

    def __init__(self, path: Path = CATALOGUE) -> None:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.types: list[CancerType] = [
            CancerType(
                id=item["id"],
                name=item["name"],
                label=item.get("label", item["name"].capitalize()),
                in_library=bool(item["in_library"]),
                pattern=_whole_words(item["patterns"]),
                signal=_whole_words(item["patterns"] + (item.get("signals") or [])),
                learn_more=item.get("learn_more", ""),
                examples=tuple(item.get("examples") or ()),
            )
            for item in data["types"]
        ]
        self._by_id = {t.id: t for t in self.types}
        self._by_name = {t.name: t for t in self.types}

    def get(self, key: str | None) -> CancerType | None:
        """The type with this id or name ("prostate", "prostate cancer"), or None."""
        if not key:
            return None
        return self._by_id.get(key) or self._by_name.get(key) or self._by_name.get(key.lower())

    def in_library(self) -> list[CancerType]:
        return [t for t in self.types if t.in_library]

    def spans(self, text: str, signals: bool = False) -> list[tuple[int, CancerType]]:
        """Where the text names a type (with ``signals``, also its tests and operations), in order; of
        overlapping names the longer wins ("uveal melanoma" is an eye cancer, not a skin melanoma)."""
        found: list[tuple[int, int, CancerType]] = []
        for cancer in self.types:
            pattern = cancer.signal if signals else cancer.pattern
            found.extend((m.start(), m.end(), cancer) for m in pattern.finditer(text))
        found.sort(key=lambda s: (s[0], -(s[1] - s[0])))
        kept: list[tuple[int, CancerType]] = []
        end = -1
        for start, stop, cancer in found:
            if start >= end:
                kept.append((start, cancer))
                end = stop
        return kept

    def mentioned(self, text: str, signals: bool = True) -> list[CancerType]:
        """The types the text points to, in order of first mention, each once."""
        return list(dict.fromkeys(cancer for _, cancer in self.spans(text, signals)))

    def chosen(self, reply: str) -> CancerType | None:
        """The type a reply to "which cancer?" picks: a button's label ("Lung") or any name of it."""
        label = reply.strip().lower()
        return next((t for t in self.types if t.label.lower() == label), None) or self.first_mentioned(reply)

    def first_mentioned(self, text: str, signals: bool = True) -> CancerType | None:
        found = self.mentioned(text, signals)
        return found[0] if found else None


def _whole_words(patterns: list[str]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in patterns) + r")\b", re.I)


@cache
def cancer_types() -> CancerTypes:
    """The catalogue, read once per process."""
    return CancerTypes()
