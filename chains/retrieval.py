"""Hybrid retrieval over the knowledge base: dense (Chroma) + keyword (BM25), fused, then diversified
across documents, with small boosts for documents that apply to the patient's profile.

``KnowledgeBase`` is built once per process: it reads every chunk back from Chroma (the single
source of truth written by ``loaders.ingest``) to build the BM25 index.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rank_bm25 import BM25Okapi

from chains.embeddings import get_encoder
from chains.index import COLLECTION_NAME, Chunk, chunk_from_record, open_collection, shared_client
from chains.types import Passage

_TOKEN = re.compile(r"[a-z0-9]+")
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "about",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "do",
        "does",
        "did",
        "can",
        "could",
        "should",
        "would",
        "will",
        "i",
        "me",
        "my",
        "we",
        "you",
        "your",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "what",
        "which",
        "who",
        "how",
        "when",
        "where",
        "why",
        "any",
        "some",
        "there",
        "their",
        "they",
        "them",
        "as",
        "at",
        "by",
        "from",
        "if",
        "so",
        "than",
        "then",
        "too",
        "very",
        "just",
        "also",
        "have",
        "has",
        "had",
        "not",
        "no",
    ]
)
RRF_K = 60


def expand_query(query: str, vocabulary) -> str:
    """Add the canonical name of each entity the patient named by brand, shorthand or misspelling."""
    extra = []
    for mention in vocabulary.find_entities(query):
        if mention.canonical not in query.lower() and mention.canonical not in extra:
            extra.append(mention.canonical)
    return f"{query} ({', '.join(extra)})" if extra else query


def bm25_tokens(text: str) -> list[str]:
    """Lower-case, punctuation stripped, stop words dropped."""
    return [t for t in _TOKEN.findall(text.lower()) if t not in STOPWORDS]


@dataclass(frozen=True)
class RetrievalWeights:
    dense: float = 1.0
    keyword: float = 0.5
    second_chunk_bonus: float = 0.15
    profile_boost: float = 0.08
    candidates: int = 40


class KnowledgeBase:
    """All chunks of one collection, searchable by meaning and by keywords."""

    def __init__(self, collection, weights: RetrievalWeights | None = None) -> None:
        self.collection = collection
        self.weights = weights or RetrievalWeights()
        records = collection.get(include=["metadatas"])
        chunks = [
            chunk_from_record(cid, meta.get("text", ""), meta)
            for cid, meta in zip(records["ids"], records["metadatas"], strict=True)
        ]
        chunks.sort(key=lambda c: (c.doc_id, c.metadata.get("section_no", 0), c.metadata.get("part_no", 0)))
        self.chunks: list[Chunk] = chunks
        self._position = {c.chunk_id: i for i, c in enumerate(chunks)}
        self._by_doc: dict[str, list[Chunk]] = defaultdict(list)
        for chunk in chunks:
            self._by_doc[chunk.doc_id].append(chunk)
        corpus = [bm25_tokens(f"{c.embed_text} {' '.join(json.loads(c.metadata.get('topics', '[]')))}") for c in chunks]
        self._bm25 = BM25Okapi(corpus) if corpus else None

    @classmethod
    def open(cls, chroma_dir: Path, collection_name: str = COLLECTION_NAME) -> KnowledgeBase:
        return cls(open_collection(shared_client(str(chroma_dir)), collection_name))

    def __len__(self) -> int:
        return len(self.chunks)

    def document_ids(self) -> list[str]:
        return list(self._by_doc)

    def document_chunks(self, doc_id: str) -> list[Chunk]:
        return list(self._by_doc.get(doc_id, []))

    # --- ranking --------------------------------------------------------------------------------
    def _dense_ranking(self, query: str, n: int) -> tuple[list[str], dict[str, float]]:
        """Chunk ids by cosine similarity, and those similarities."""
        if not self.chunks:
            return [], {}
        vector = get_encoder().encode([query])[0].tolist()
        result = self.collection.query(
            query_embeddings=[vector], n_results=min(n, len(self.chunks)), include=["distances"]
        )
        ids = result["ids"][0]
        return ids, {cid: 1.0 - dist for cid, dist in zip(ids, result["distances"][0], strict=True)}

    def _keyword_ranking(self, query: str, n: int) -> list[str]:
        tokens = bm25_tokens(query)
        if not tokens or self._bm25 is None:
            return []
        scores = self._bm25.get_scores(tokens)
        top = np.argsort(-scores)[:n]
        return [self.chunks[i].chunk_id for i in top if scores[i] > 0]

    def rank_chunks(self, query: str, mode: str = "hybrid") -> tuple[list[tuple[str, float]], dict[str, float]]:
        """Chunk ids with fused scores, best first, and the dense similarities seen.

        ``mode``: hybrid | dense | keyword.
        """
        n = self.weights.candidates
        scores: dict[str, float] = defaultdict(float)
        similarity: dict[str, float] = {}
        if mode in ("hybrid", "dense"):
            dense_ids, similarity = self._dense_ranking(query, n)
            for rank, chunk_id in enumerate(dense_ids):
                scores[chunk_id] += self.weights.dense / (RRF_K + rank)
        if mode in ("hybrid", "keyword"):
            for rank, chunk_id in enumerate(self._keyword_ranking(query, n)):
                scores[chunk_id] += self.weights.keyword / (RRF_K + rank)
        return sorted(scores.items(), key=lambda item: -item[1]), similarity

    def rank_documents(
        self, query: str, profile_tags: set[str] | None = None, mode: str = "hybrid"
    ) -> tuple[list[tuple[str, float, list[str]]], dict[str, float]]:
        """Documents best first as (doc_id, score, its chunk ids best first), and dense similarities."""
        per_doc: dict[str, list[tuple[str, float]]] = defaultdict(list)
        ranking, similarity = self.rank_chunks(query, mode)
        for chunk_id, score in ranking:
            per_doc[self.chunks[self._position[chunk_id]].doc_id].append((chunk_id, score))
        ranked = []
        tags = (profile_tags or set()) - {"all"}
        for doc_id, hits in per_doc.items():
            score = hits[0][1] + (self.weights.second_chunk_bonus * hits[1][1] if len(hits) > 1 else 0.0)
            applies = set(json.loads(self._by_doc[doc_id][0].metadata.get("applies_to", "[]")))
            if tags and applies & tags:
                score *= 1.0 + self.weights.profile_boost
            ranked.append((doc_id, score, [cid for cid, _ in hits]))
        ranked.sort(key=lambda item: -item[1])
        return ranked, similarity

    def search(self, query: str, k: int = 5, profile_tags: set[str] | None = None, per_doc: int = 2) -> list[Passage]:
        """The best ``k`` passages, at most ``per_doc`` from any one document."""
        passages: list[Passage] = []
        ranked, similarity = self.rank_documents(query, profile_tags)
        for _doc_id, doc_score, chunk_ids in ranked:
            for rank, chunk_id in enumerate(chunk_ids[:per_doc]):
                chunk = self.chunks[self._position[chunk_id]]
                score = doc_score if rank == 0 else doc_score * 0.5
                passages.append(_passage(chunk, score, similarity.get(chunk_id, 0.0)))
            if len({p.doc_id for p in passages}) >= k:
                break
        passages.sort(key=lambda p: -p.score)
        return passages[: k * per_doc]


def _passage(chunk: Chunk, score: float, similarity: float) -> Passage:
    meta = chunk.metadata
    return Passage(
        chunk_id=chunk.chunk_id,
        doc_id=chunk.doc_id,
        title=chunk.title,
        heading=chunk.heading,
        text=chunk.text,
        url=str(meta.get("url", "")),
        evidence=str(meta.get("evidence", "")),
        score=score,
        similarity=similarity,
        sources=tuple(json.loads(meta.get("sources", "[]"))),
    )
