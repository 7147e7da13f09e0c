"""What the composer writes from: each passage cut into units (a sentence or a list item, with its list's
introduction), and the vector of what the patient asks, the background behind it."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from chains.retrieval.bm25 import bm25_tokens
from chains.retrieval.embeddings import embed_text
from chains.text.rules import load_rules
from chains.understand.asks import points_back, the_ask

ASK_SHARE = 0.6  # of the question's meaning, the share of the clauses that ask (the rest is the background)
POINTING_ASK_SHARE = 0.25  # the share when the asking clause only points back ("is that the injections doing that")


LEAD_IN_WORDS = 12  # a longer list introduction is left out rather than making one long sentence


# A sentence leaning on the one before it ("So doctors avoid them", "These three drugs…") does not stand alone.
SUBJECTLESS = load_rules(Path(__file__).with_name("answer_rules.yaml")).rules["subjectless"].pattern
STUDY_TALK = load_rules(Path(__file__).with_name("answer_rules.yaml")).rules["study_talk"].pattern


@dataclass(frozen=True)
class Unit:
    """One sentence or bullet of a retrieved passage, with what it is scored by."""

    text: str
    doc_id: str
    heading: str
    similarity: float  # the passage's cosine similarity to the question
    doc_rank: int
    order: int
    lead_in: str = ""  # the sentence introducing its list, when it is a list item
    fit: float = 0.0  # this sentence's own cosine similarity to the question (0 when the index has no unit vectors)
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)  # its sentence vector, from ingest
    passage_text: str = ""  # the passage it came from, to find the other items of its list
    chunk_id: str = ""
    title: str = ""  # its page's title: a sentence on the letrozole page is about letrozole

    @cached_property
    def context_tokens(self) -> frozenset[str]:
        return self.tokens | frozenset(bm25_tokens(self.title))

    @cached_property
    def tokens(self) -> frozenset[str]:
        return frozenset(bm25_tokens(self.text))

    def standalone(self) -> str:
        """The unit as a sentence that reads on its own: a list item keeps its list's introduction."""
        if not self.lead_in or len(self.lead_in.split()) > LEAD_IN_WORDS or SUBJECTLESS.match(self.lead_in):
            return self.text  # "It is given as shots: degarelix…" would read as a riddle
        first = self.text.split(" ", 1)[0]
        text = (
            self.text
            if first.isupper() or any(c.isupper() for c in first[1:])
            else self.text[:1].lower() + self.text[1:]
        )
        return f"{self.lead_in.rstrip(':.').rstrip()}: {text}"


@lru_cache(maxsize=1024)
def asking_vector(question: str) -> np.ndarray:
    """The asking part of the message, with its background behind it (computed once per question: selecting the
    sentences and listing a leading list's items both use it)."""
    ask = the_ask(question)
    if ask == question:
        return embed_text(question)
    share = POINTING_ASK_SHARE if points_back(question) else ASK_SHARE
    vector = share * embed_text(ask) + (1.0 - share) * embed_text(question)
    vector = vector / float(np.linalg.norm(vector) or 1.0)
    vector.setflags(write=False)
    return vector
