"""BM25 as the knowledge base scores it: the tokens each keyword field holds, and BM25Okapi's formula.

Tokens are lower case ``[a-z0-9]+`` with the stop words of ``chains/retrieval/vocab/retrieval_stopwords.txt`` dropped;
the heading field cuts them to a 5-letter prefix. ``okapi`` scores one row exactly as ``rank_bm25.BM25Okapi`` did.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from chains.retrieval.index import Chunk

_TOKEN = re.compile(r"[a-z0-9]+")
STOPWORDS_FILE = Path(__file__).resolve().parent / "vocab" / "retrieval_stopwords.txt"
HEADING_PREFIX = 5  # heading-field tokens are cut to this many letters (truncation stemming)
K1, B = 1.5, 0.75  # BM25Okapi's parameters, as rank_bm25 had them


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    lines = STOPWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def bm25_tokens(text: str) -> list[str]:
    """Lower-case, punctuation stripped, stop words dropped."""
    stop = stopwords()
    return [t for t in _TOKEN.findall(text.lower()) if t not in stop]


def heading_tokens(text: str) -> list[str]:
    """``bm25_tokens`` cut to a short prefix, so a heading's "Diagnosis" meets a question's "diagnose"."""
    return [t[:HEADING_PREFIX] for t in bm25_tokens(text)]


def tokeniser_version() -> str:
    """Changes whenever the tokens written for a chunk would change; a different one rebuilds the FTS fields."""
    words = "\n".join(sorted(stopwords()))
    return hashlib.sha256(f"fts1|{_TOKEN.pattern}|{HEADING_PREFIX}|{words}".encode()).hexdigest()[:16]


def body_text(chunk: Chunk) -> str:
    """What the body field indexes: title, heading, text and the document's topics."""
    topics = " ".join(json.loads(chunk.metadata.get("topics", "[]")))
    return " ".join(bm25_tokens(f"{chunk.embed_text} {topics}"))


def place_of(chunk: Chunk) -> str:
    return f"{chunk.title} {chunk.heading}"


def okapi(tokens: Sequence[str], idf: dict[str, float], counts: Counter[str], length: int, average: float) -> float:
    """BM25Okapi of one row, as ``rank_bm25.BM25Okapi.get_scores`` computes it (repeated query words count again)."""
    norm = K1 * (1 - B + B * length / average) if average else K1
    return sum(idf[t] * counts[t] * (K1 + 1) / (counts[t] + norm) for t in tokens if counts.get(t))
