"""The maintained word lists in ``vocab/``: entities (drugs, treatments, tests, conditions) with their aliases
and common misspellings, abbreviations, medical terms and verb markers, read once per process."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

VOCAB_DIR = Path(__file__).parent / "vocab"


@dataclass(frozen=True)
class Entity:
    """A named drug, treatment, condition, test or topic with its aliases."""

    kind: str
    canonical: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class EntityMention:
    """Where an entity is mentioned in a text."""

    canonical: str
    kind: str
    start: int
    end: int
    text: str


def load_entities(path: Path = VOCAB_DIR / "entities.txt") -> list[Entity]:
    """Parse ``kind | canonical | alias, alias`` lines."""
    entities = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        kind, canonical, aliases = (part.strip() for part in line.split("|"))
        names = tuple(a.strip().lower() for a in aliases.split(",") if a.strip())
        entities.append(Entity(kind, canonical.lower(), names))
    return entities


def load_abbreviations(path: Path = VOCAB_DIR / "abbreviations.txt") -> frozenset[str]:
    """Whitespace-separated shorthand, ``#`` lines are comments."""
    words: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.lstrip().startswith("#"):
            words.update(line.lower().split())
    return frozenset(words)


def load_word_list(path: Path = VOCAB_DIR / "medical_terms.txt") -> frozenset[str]:
    """One term per line, ``#`` lines are comments; missing file → empty."""
    if not path.exists():
        return frozenset()
    return frozenset(
        line.strip().lower()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )


VERB_MARKERS = load_word_list(VOCAB_DIR / "verb_markers.txt")  # after these a base verb is likelier
