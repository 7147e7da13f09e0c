"""Hybrid retrieval over the knowledge base: dense (Chroma) + keyword (BM25) + a section-heading field,
fused by score, then diversified across documents, with small boosts for documents that apply to the
patient's profile.

Fusion (``RetrievalWeights.fusion == "score"``, the default) adds, for every candidate chunk,
``dense * cosine + keyword * bm25 / max_bm25 + heading * heading_bm25 / max_heading_bm25``. Candidates are the
dense top-``candidates`` from Chroma plus the keyword and heading top-``candidates``; a candidate that only
the keyword side found gets its exact cosine from the chunk vectors read back from Chroma. The heading field
is a second BM25 field holding each chunk's "title + heading" alone (tokens cut to a 5-letter prefix, so
"diagnose" meets "Diagnosis"): in a long section the heading is a few words among hundreds, and this field
lets a question about "side effects" or "stages" prefer the section that is *about* that. A document scores
as its best chunk (``second_chunk_bonus`` adds a share of its second best; default 0, because it favoured
long documents over the one short section that answers). ``fusion="rrf"`` keeps the earlier reciprocal-rank
fusion for comparison.

``KnowledgeBase`` is built once per process: it reads every chunk (text, metadata, vector) back from Chroma
(the single source of truth written by ``loaders.ingest``) to build the BM25 indexes.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rank_bm25 import BM25Okapi

from chains.chroma_client import shared_chroma_client
from chains.embeddings import embed_text
from chains.index import (
    COLLECTION_NAME,
    Chunk,
    chunk_from_record,
    open_collection,
    open_unit_collection,
)
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
UNIT_CACHE_CHUNKS = 2048  # chunks whose sentence vectors stay in memory (about 3 MB)
RELEVANT_SIMILARITY = 0.30  # cosine at or above which a passage is about the question
WEAK_SIMILARITY = 0.12  # below this nothing is, whatever words are shared
RARE_IDF = 2.0  # a question word this rare in the library, found in the best passage, is a strong keyword match
HEADING_PREFIX = 5  # heading-field tokens are cut to this many letters (truncation stemming)


def bm25_tokens(text: str) -> list[str]:
    """Lower-case, punctuation stripped, stop words dropped."""
    return [t for t in _TOKEN.findall(text.lower()) if t not in STOPWORDS]


def heading_tokens(text: str) -> list[str]:
    """``bm25_tokens`` cut to a short prefix, so a heading's "Diagnosis" meets a question's "diagnose"."""
    return [t[:HEADING_PREFIX] for t in bm25_tokens(text)]


@dataclass(frozen=True)
class RetrievalWeights:
    """How the signals are combined; ``fusion`` is "score" (weighted sum of normalised scores) or "rrf".

    ``dense`` and ``keyword`` keep their earlier values; ``heading`` (0.3, from the grid 0.2/0.3/0.4) and
    ``second_chunk_bonus`` (0) were chosen by looking at two sets together, the project's own labelled questions
    (tests/data/retrieval_cases.jsonl) and the external MedQuAD CancerGov benchmark (bench/medquad_retrieval.py);
    see docs/BENCHMARKS.md.
    """

    dense: float = 1.0
    keyword: float = 0.5
    heading: float = 0.3
    second_chunk_bonus: float = 0.0
    profile_boost: float = 0.08
    same_cancer_boost: float = 0.15  # a document about the question's cancer type
    other_cancer_penalty: float = 0.30  # a document about a different cancer type ("any" documents are neither)
    candidates: int = 40
    fusion: str = "score"


class KnowledgeBase:
    """All chunks of one collection, searchable by meaning and by keywords."""

    def __init__(self, collection, weights: RetrievalWeights | None = None, units=None) -> None:
        self.collection = collection
        self.units = units  # the sentence collection (``chains.index.open_unit_collection``), when there is one
        self._unit_cache: OrderedDict[str, list[tuple[str, np.ndarray]]] = OrderedDict()
        self._query_lock = threading.Lock()
        self.weights = weights or RetrievalWeights()
        if self.weights.fusion not in ("score", "rrf"):
            raise ValueError(f"unknown fusion '{self.weights.fusion}' (score | rrf)")
        records = collection.get(include=["metadatas", "embeddings"])
        vectors = records.get("embeddings")
        rows = sorted(
            zip(records["ids"], records["metadatas"], range(len(records["ids"])), strict=True),
            key=lambda row: (row[1]["doc_id"], row[1].get("section_no", 0), row[1].get("part_no", 0)),
        )
        chunks = [chunk_from_record(cid, meta.get("text", ""), meta) for cid, meta, _ in rows]
        self.chunks: list[Chunk] = chunks
        self._vectors = (
            np.asarray([vectors[i] for _, _, i in rows], dtype=np.float32)
            if vectors is not None and len(rows)
            else np.zeros((0, 384), dtype=np.float32)
        )
        self._position = {c.chunk_id: i for i, c in enumerate(chunks)}
        self._by_doc: dict[str, list[Chunk]] = defaultdict(list)
        for chunk in chunks:
            self._by_doc[chunk.doc_id].append(chunk)
        corpus = [bm25_tokens(f"{c.embed_text} {' '.join(json.loads(c.metadata.get('topics', '[]')))}") for c in chunks]
        self._bm25 = BM25Okapi(corpus) if corpus else None
        # The heading field of each chunk (its document title and section heading), a second BM25 field with
        # per-chunk statistics like the body's; chunks of one section share it, so each distinct one is scored once.
        places = [f"{c.title} {c.heading}" for c in chunks]
        first: dict[str, int] = {}
        for i, place in enumerate(places):
            first.setdefault(place, i)
        self._place_chunks = list(first.values())
        where = {place: n for n, place in enumerate(first)}
        self._place_of_chunk = np.array([where[p] for p in places], dtype=np.int64)
        self._heading_bm25 = BM25Okapi([heading_tokens(p) for p in places]) if places else None

    @classmethod
    def open(cls, chroma_dir: Path, collection_name: str = COLLECTION_NAME) -> KnowledgeBase:
        client = shared_chroma_client(chroma_dir)
        return cls(open_collection(client, collection_name), units=open_unit_collection(client, collection_name))

    def __len__(self) -> int:
        return len(self.chunks)

    def document_ids(self) -> list[str]:
        return list(self._by_doc)

    def document_chunks(self, doc_id: str) -> list[Chunk]:
        return list(self._by_doc.get(doc_id, []))

    def unit_vectors(self, chunk_ids: list[str]) -> dict[str, list[tuple[str, np.ndarray]]]:
        """Each chunk's sentences and bullets with their vectors, in order (``chains.index.unit_records``),
        fetched by id from the unit collection; the most recently used chunks are kept in a bounded cache."""
        if self.units is None:
            return {}
        with self._query_lock:  # Chroma and the cache, one caller at a time: answers and searches run in threads
            wanted = [cid for cid in dict.fromkeys(chunk_ids) if cid not in self._unit_cache]
            if wanted:
                records = self.units.get(
                    where={"chunk_id": {"$in": wanted}}, include=["documents", "metadatas", "embeddings"]
                )
                found: dict[str, list[tuple[int, str, np.ndarray]]] = defaultdict(list)
                for text, meta, vector in zip(
                    records["documents"], records["metadatas"], records["embeddings"], strict=True
                ):
                    found[meta["chunk_id"]].append((int(meta["n"]), text, np.asarray(vector, dtype=np.float32)))
                for cid in wanted:
                    self._unit_cache[cid] = [(text, vector) for _, text, vector in sorted(found.get(cid, []))]
            result = {}
            for cid in dict.fromkeys(chunk_ids):
                self._unit_cache.move_to_end(cid)
                result[cid] = self._unit_cache[cid]
            while len(self._unit_cache) > UNIT_CACHE_CHUNKS:
                self._unit_cache.popitem(last=False)
            return result

    def idf(self, token: str) -> float:
        """How rare a word is in the library (BM25's inverse document frequency; 0 for unknown words)."""
        return float(self._bm25.idf.get(token, 0.0)) if self._bm25 is not None else 0.0

    def is_relevant(self, question: str, passages: list[Passage]) -> bool:
        """The one decision whether the library covers a question, from every signal retrieval has.

        A close meaning match is enough; a weaker one counts when a rare word of the question (a drug, a
        test, a condition) appears in the best passage, its heading, its document title or topics.
        """
        if not passages:
            return False
        top = max(p.similarity for p in passages)
        if top >= RELEVANT_SIMILARITY:
            return True
        if top < WEAK_SIMILARITY:
            return False
        rare = {t for t in bm25_tokens(question) if self.idf(t) >= RARE_IDF}
        first = passages[0]
        topics = " ".join(json.loads(self._by_doc[first.doc_id][0].metadata.get("topics", "[]")))
        return bool(rare & set(bm25_tokens(f"{first.title} {first.heading} {first.text} {topics}")))

    # --- ranking --------------------------------------------------------------------------------
    def _dense_ranking(self, query: str, n: int) -> tuple[list[str], dict[str, float], np.ndarray | None]:
        """Chunk ids by cosine similarity, those similarities, and the query vector."""
        if not self.chunks:
            return [], {}, None
        vector = embed_text(query)
        with self._query_lock:  # one Chroma query at a time: searches run in worker threads
            result = self.collection.query(
                query_embeddings=[vector.tolist()], n_results=min(n, len(self.chunks)), include=["distances"]
            )
        ids = result["ids"][0]
        return ids, {cid: 1.0 - dist for cid, dist in zip(ids, result["distances"][0], strict=True)}, vector

    def _keyword_scores(self, query: str) -> np.ndarray | None:
        """BM25 score of every chunk (title, heading, text and topics), or None if nothing can match."""
        tokens = bm25_tokens(query)
        if not tokens or self._bm25 is None:
            return None
        return self._bm25.get_scores(tokens)

    def _heading_scores(self, query: str) -> np.ndarray | None:
        """BM25 score of every chunk's section heading field (its document title and heading only)."""
        tokens = heading_tokens(query)
        if not tokens or self._heading_bm25 is None:
            return None
        distinct = np.asarray(self._heading_bm25.get_batch_scores(tokens, self._place_chunks))
        return distinct[self._place_of_chunk]

    def rank_chunks(self, query: str, mode: str = "hybrid") -> tuple[list[tuple[str, float]], dict[str, float]]:
        """Chunk ids with fused scores, best first, and the dense similarities seen.

        ``mode``: hybrid | dense | keyword.
        """
        n, w = self.weights.candidates, self.weights
        similarity: dict[str, float] = {}
        vector = None
        dense_ids: list[str] = []
        if mode in ("hybrid", "dense"):
            dense_ids, similarity, vector = self._dense_ranking(query, n)
        keyword = self._keyword_scores(query) if mode in ("hybrid", "keyword") else None
        heading = self._heading_scores(query) if mode == "hybrid" and w.heading else None

        if w.fusion == "rrf":
            scores: dict[str, float] = defaultdict(float)
            for weight, ids in (
                (w.dense, dense_ids),
                (w.keyword, [] if keyword is None else _top_ids(self.chunks, keyword, n)),
                (w.heading, [] if heading is None else _top_ids(self.chunks, heading, n)),
            ):
                for rank, chunk_id in enumerate(ids):
                    scores[chunk_id] += weight / (RRF_K + rank)
            return sorted(scores.items(), key=lambda item: -item[1]), similarity

        candidates = dict.fromkeys(dense_ids)
        parts: list[tuple[float, np.ndarray]] = []
        for weight, field in ((w.keyword, keyword), (w.heading, heading)):
            if field is not None and field.max() > 0:
                parts.append((weight, field / field.max()))
                candidates.update(dict.fromkeys(_top_ids(self.chunks, field, n)))
        fused: list[tuple[str, float]] = []
        for chunk_id in candidates:
            i = self._position[chunk_id]
            score = sum(weight * float(field[i]) for weight, field in parts)
            if vector is not None:
                if chunk_id not in similarity:  # found by keywords only: its exact cosine from the stored vector
                    similarity[chunk_id] = float(self._vectors[i] @ vector) if len(self._vectors) else 0.0
                score += w.dense * similarity[chunk_id]
            fused.append((chunk_id, score))
        fused.sort(key=lambda item: -item[1])
        return fused, similarity

    def cancer_type_of(self, doc_id: str) -> str:
        """The document's cancer type id, or "any"."""
        chunks = self._by_doc.get(doc_id)
        return str(chunks[0].metadata.get("cancer_type", "any")) if chunks else "any"

    def rank_documents(
        self,
        query: str,
        profile_tags: set[str] | None = None,
        mode: str = "hybrid",
        cancer_type: str | None = None,
    ) -> tuple[list[tuple[str, float, list[str]]], dict[str, float]]:
        """Documents best first as (doc_id, score, its chunk ids best first), and dense similarities.

        With a known ``cancer_type``, documents about it move up and documents about another cancer move
        down; documents for every cancer ("any") stay where they are. With none known, those move up."""
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
                score += abs(score) * self.weights.profile_boost
            about = self.cancer_type_of(doc_id)
            if about == (cancer_type or "any"):  # no known type: the pages written for every cancer fit best
                score += abs(score) * self.weights.same_cancer_boost
            elif cancer_type and about != "any":
                score -= abs(score) * self.weights.other_cancer_penalty
            ranked.append((doc_id, score, [cid for cid, _ in hits]))
        ranked.sort(key=lambda item: -item[1])
        return ranked, similarity

    def search(
        self,
        query: str,
        k: int = 5,
        profile_tags: set[str] | None = None,
        per_doc: int = 2,
        cancer_type: str | None = None,
    ) -> list[Passage]:
        """The best ``k`` passages, at most ``per_doc`` from any one document."""
        passages: list[Passage] = []
        ranked, similarity = self.rank_documents(query, profile_tags, cancer_type=cancer_type)
        for _doc_id, doc_score, chunk_ids in ranked:
            for rank, chunk_id in enumerate(chunk_ids[:per_doc]):
                chunk = self.chunks[self._position[chunk_id]]
                score = doc_score if rank == 0 else doc_score * 0.5
                passages.append(_passage(chunk, score, similarity.get(chunk_id, 0.0)))
            if len({p.doc_id for p in passages}) >= k:
                break
        passages.sort(key=lambda p: -p.score)
        return passages[: k * per_doc]


def _top_ids(chunks: list[Chunk], scores: np.ndarray, n: int) -> list[str]:
    """Ids of the ``n`` best-scoring chunks with a positive score, best first."""
    top = np.argsort(-scores, kind="stable")[:n]
    return [chunks[i].chunk_id for i in top if scores[i] > 0]


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
        cancer_type=str(meta.get("cancer_type", "any")),
    )
