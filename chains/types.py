"""Typed values passed between pipeline stages, and the reply contract of ``chains.cli --json``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

ReplyKind = Literal["answer", "clarification", "emergency", "out_of_scope"]
Urgency = Literal["red", "amber", "green", "unsure"]


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its score, ready to be cited."""

    chunk_id: str
    doc_id: str
    title: str
    heading: str
    text: str
    url: str
    evidence: str
    score: float
    similarity: float = 0.0  # cosine similarity of the question to this passage
    sources: tuple[dict[str, str], ...] = ()
    cancer_type: str = "any"  # the document's cancer type id, or "any"


@dataclass(frozen=True)
class SourceRef:
    n: int
    doc_id: str
    title: str
    url: str
    heading: str = ""

    def contract(self) -> dict[str, str]:
        return {"doc_id": self.doc_id, "title": self.title, "url": self.url}


@dataclass
class Reply:
    """One reply to one patient message: exactly what the UI shows and the JSON interface prints."""

    session: str
    kind: ReplyKind
    text: str
    options: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    sources: list[SourceRef] = field(default_factory=list)
    standalone_question: str | None = None
    profile: dict[str, Any] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)
    engine: str | None = None
    notice: str | None = None
    urgency: Urgency = "green"

    def contract(self) -> dict[str, Any]:
        """The stable JSON object of ``python -m chains.cli --json``."""
        return {
            "session": self.session,
            "kind": self.kind,
            "urgency": self.urgency,
            "text": self.text,
            "options": list(self.options),
            "suggestions": list(self.suggestions),
            "sources": [s.contract() for s in self.sources],
            "standalone_question": self.standalone_question,
            "profile": dict(self.profile),
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
