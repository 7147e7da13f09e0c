"""Hybrid retrieval over the knowledge base: dense (Chroma) + keyword (BM25) + a section-heading field,
fused by score, then diversified across documents, with small boosts for documents that apply to the
patient's profile.

Fusion (``RetrievalWeights.fusion == "score"``, the default) adds, for every candidate chunk,
``dense * cosine + keyword * bm25 / max_bm25 + heading * heading_bm25 / max_heading_bm25``. Candidates are the
dense top-``candidates`` from Chroma plus the keyword and heading top-``candidates``; a candidate that only
the keyword side found gets its exact cosine from its vector, fetched from Chroma by id. The heading field
is a second BM25 field holding each chunk's "title + heading" alone (tokens cut to a 5-letter prefix, so
"diagnose" meets "Diagnosis"): in a long section the heading is a few words among hundreds, and this field
lets a question about "side effects" or "stages" prefer the section that is *about* that. A document scores
as its best chunk (``second_chunk_bonus`` adds a share of its second best; default 0, because it favoured
long documents over the one short section that answers). ``fusion="rrf"`` keeps the earlier reciprocal-rank
fusion for comparison.

``KnowledgeBase`` holds no corpus: per query it asks Chroma for the dense top-``candidates`` (HNSW) and the
keyword index (``chains.retrieval.keywords``, SQLite FTS5 written by ``loaders.ingest``) for the body and heading top
``candidates``; each candidate's score in the other fields comes from FTS5 too, the exact cosine of a candidate
only the keywords found from its vector in Chroma (``get`` by id), and a passage's text and metadata by id from
the keyword index's ``chunks`` table (a bounded cache). BM25 is FTS5's ``bm25()`` (k1 1.2, b 0.75).
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from chains.retrieval.bm25 import bm25_tokens, heading_tokens
from chains.retrieval.chroma_client import shared_chroma_client
from chains.retrieval.embeddings import embed_text
from chains.retrieval.index import COLLECTION_NAME, Chunk, open_collection, open_unit_collection
from chains.retrieval.keyword_ranking import CANDIDATE_POOL
from chains.retrieval.keywords import KeywordIndex, keyword_index_path, shared_keywords
from chains.retrieval.recent import RecentlyUsed
from chains.text.sentences import units_with_lead_in
from chains.types import Passage

RRF_K = 60
UNIT_CACHE_CHUNKS = 2048  # chunks whose sentence vectors stay in memory (about 3 MB)
ChunkRanking = tuple[list[tuple[str, float]], dict[str, float]]  # chunk ids with fused scores, and dense cosines
RANKING_CACHE = 64  # recent queries whose chunk ranking is kept: a turn's later stages ask again for the same one
RELEVANT_SIMILARITY = 0.30  # cosine at or above which a passage is about the question
WEAK_SIMILARITY = 0.12  # below this nothing is, whatever words are shared
RARE_IDF = 2.0  # a question word this rare in the library, found in the best passage, is a strong keyword match


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
    # a document about the patient's known cancer type: 0.3 from the grid 0.15/0.3/0.5 on cancer sets 1, 3 and 4
    # (2026-12-07; 0.3 raised hit@5 and the top document's type on all three, 0.5 lost hit@5 on set 3)
    same_cancer_boost: float = 0.30
    general_page_boost: float = 0.15  # with no cancer type known, a document written for every cancer
    other_cancer_penalty: float = 0.30  # a document about a different cancer type ("any" documents are neither)
    candidates: int = 40
    fusion: str = "score"


class KnowledgeBase:
    """One collection, searchable by meaning (Chroma) and by keywords (``chains.retrieval.keywords``), holding no corpus."""

    def __init__(
        self,
        collection,
        weights: RetrievalWeights | None = None,
        units=None,
        keywords: KeywordIndex | None = None,
    ) -> None:
        if keywords is None:
            raise ValueError("KnowledgeBase needs the collection's keyword index: use KnowledgeBase.open")
        self.collection = collection
        self.keywords = keywords
        self.units = units  # the sentence collection (``chains.index.open_unit_collection``), when there is one
        self._unit_cache: RecentlyUsed[str, list[tuple[str, np.ndarray]]] = RecentlyUsed(UNIT_CACHE_CHUNKS)
        self._chunk_vectors: RecentlyUsed[str, np.ndarray] = RecentlyUsed(UNIT_CACHE_CHUNKS)
        self._rankings: RecentlyUsed[tuple[str, str, RetrievalWeights], ChunkRanking] = RecentlyUsed(RANKING_CACHE)
        self._cached_generation = -1  # the keyword index's generation the caches above were filled under
        self._query_lock = threading.Lock()
        self.weights = weights or RetrievalWeights()
        if self.weights.fusion not in ("score", "rrf"):
            raise ValueError(f"unknown fusion '{self.weights.fusion}' (score | rrf)")

    @classmethod
    def open(cls, chroma_dir: Path, collection_name: str = COLLECTION_NAME, client=None) -> KnowledgeBase:
        """The knowledge base written by ``loaders.ingest`` into ``chroma_dir`` (or into ``client``, a Chroma
        client such as an HttpClient) and the keyword index next to ``chroma_dir``."""
        client = client or shared_chroma_client(chroma_dir)
        collection = open_collection(client, collection_name)
        keywords = shared_keywords(str(keyword_index_path(chroma_dir, collection_name)))
        if not len(keywords) and collection.count():
            raise RuntimeError(
                f"the keyword index {keywords.path} is empty but Chroma holds {collection.count()} chunks: "
                "run `python -m loaders.ingest` to write it"
            )
        return cls(collection, units=open_unit_collection(client, collection_name), keywords=keywords)

    def __len__(self) -> int:
        return len(self.keywords)

    def document_ids(self) -> list[str]:
        return self.keywords.document_ids()

    def document_chunks(self, doc_id: str) -> list[Chunk]:
        return self.keywords.document_chunks(doc_id)

    def unit_vectors(self, chunk_ids: list[str]) -> dict[str, list[tuple[str, np.ndarray]]]:
        """Each chunk's sentences and bullets with their vectors, in order (``chains.retrieval.index.unit_records``),
        fetched by id (``<chunk_id>#<n>``, counted from the chunk's text) from the unit collection; the most
        recently used chunks are kept in a bounded cache. By id, not by a metadata filter: half the time."""
        if self.units is None:
            return {}
        with self._query_lock:  # Chroma and the cache, one caller at a time: answers and searches run in threads
            self._drop_stale_caches()
            wanted = self._unit_cache.missing(chunk_ids)
            if wanted:
                chunks = self.keywords.chunks(wanted)
                unit_ids = [
                    f"{cid}#{n}"
                    for cid in wanted
                    if cid in chunks
                    for n in range(len(units_with_lead_in(chunks[cid].text)))
                ]
                records = self.units.get(ids=unit_ids, include=["documents", "embeddings"])
                found: dict[str, list[tuple[int, str, np.ndarray]]] = defaultdict(list)
                for unit_id, text, vector in zip(
                    records["ids"], records["documents"], records["embeddings"], strict=True
                ):
                    cid, _, n = unit_id.rpartition("#")
                    found[cid].append((int(n), text, np.asarray(vector, dtype=np.float32)))
                for cid in wanted:
                    self._unit_cache.add(cid, [(text, vector) for _, text, vector in sorted(found.get(cid, []))])
            return self._unit_cache.take(chunk_ids)

    def idf(self, token: str) -> float:
        """How rare a word is in the library (BM25's inverse document frequency; 0 for unknown words)."""
        return self.keywords.idf(token)

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
        chunk = self.keywords.first_chunk(first.doc_id)
        topics = " ".join(json.loads(chunk.metadata.get("topics", "[]"))) if chunk else ""
        return bool(rare & set(bm25_tokens(f"{first.title} {first.heading} {first.text} {topics}")))

    # --- ranking --------------------------------------------------------------------------------
    def _dense_ranking(self, query: str, n: int) -> tuple[list[str], dict[str, float], np.ndarray | None]:
        """Chunk ids by cosine similarity, those similarities, and the query vector."""
        size = len(self)
        if not size:
            return [], {}, None
        vector = embed_text(query)
        with self._query_lock:  # one Chroma query at a time: searches run in worker threads
            result = self.collection.query(
                query_embeddings=[vector.tolist()], n_results=min(n, size), include=["distances"]
            )
        ids = result["ids"][0]
        return ids, {cid: 1.0 - dist for cid, dist in zip(ids, result["distances"][0], strict=True)}, vector

    def _drop_stale_caches(self) -> None:
        """Empty the caches when the index was written since they were filled (an ingest here or elsewhere keeps
        chunk ids, ``<doc_id>::<section>.<part>``, for changed text). Called with ``_query_lock`` held."""
        generation = self.keywords.generation()
        if generation != self._cached_generation:
            self._unit_cache.clear()
            self._chunk_vectors.clear()
            self._rankings.clear()
            self._cached_generation = generation

    def _cosines(self, chunk_ids: list[str], vector: np.ndarray) -> dict[str, float]:
        """Exact cosine of chunks the dense search did not return, from their stored vectors (the most recently
        used kept in a bounded cache, as the sentence vectors are)."""
        if not chunk_ids:
            return {}
        with self._query_lock:
            self._drop_stale_caches()
            wanted = self._chunk_vectors.missing(chunk_ids)
            if wanted:
                records = self.collection.get(ids=wanted, include=["embeddings"])
                for cid, stored in zip(records["ids"], records["embeddings"], strict=True):
                    self._chunk_vectors.add(cid, np.asarray(stored, dtype=np.float32))
            found = {cid: float(stored @ vector) for cid, stored in self._chunk_vectors.take(chunk_ids).items()}
        return {cid: found.get(cid, 0.0) for cid in chunk_ids}

    def rank_chunks(self, query: str, mode: str = "hybrid") -> tuple[list[tuple[str, float]], dict[str, float]]:
        """Chunk ids with fused scores, best first, and the dense similarities seen (fresh lists the caller may
        change).

        ``mode``: hybrid | dense | keyword. The last ``RANKING_CACHE`` rankings are kept while the index is
        unchanged: the retrieval stage and the which-cancer stage rank the same standalone question.
        """
        key = (query, mode, self.weights)
        with self._query_lock:
            self._drop_stale_caches()
            kept = self._rankings.get(key)
            if kept is not None:
                return list(kept[0]), dict(kept[1])
            generation = self._cached_generation
        ranking, similarity = self._rank_chunks(query, mode)
        with self._query_lock:
            if generation != self._cached_generation:  # the index changed while this ranking was made
                return ranking, similarity
            self._rankings.put(key, (list(ranking), dict(similarity)))
        return ranking, similarity

    def _rank_chunks(self, query: str, mode: str) -> tuple[list[tuple[str, float]], dict[str, float]]:
        n, w = self.weights.candidates, self.weights
        similarity: dict[str, float] = {}
        vector = None
        dense_ids: list[str] = []
        if mode in ("hybrid", "dense"):
            dense_ids, similarity, vector = self._dense_ranking(query, n)
        body_tokens = bm25_tokens(query) if mode in ("hybrid", "keyword") else []
        place_tokens = heading_tokens(query) if mode == "hybrid" and w.heading else []
        keyword_pool = self.keywords.body_candidates(body_tokens, n * CANDIDATE_POOL)
        heading_ids = self.keywords.heading_candidates(place_tokens, n)
        ids = list(dict.fromkeys([*dense_ids, *keyword_pool, *heading_ids]))
        fields: list[tuple[float, dict[str, float], list[str]]] = []
        for weight, tokens, found, score_of in (
            (w.keyword, body_tokens, keyword_pool, self.keywords.body_scores),
            (w.heading, place_tokens, heading_ids, self.keywords.heading_scores),
        ):
            scores = score_of(tokens, ids) if found else {}
            best = max(scores.values(), default=0.0)
            if best > 0:  # normalised by the field's best score (a candidate: FTS5 found the best ones)
                ranked = sorted((cid for cid in found if scores.get(cid, 0.0) > 0), key=lambda c: -scores[c])[:n]
                fields.append((weight, {cid: s / best for cid, s in scores.items()}, ranked))

        if w.fusion == "rrf":
            rrf: dict[str, float] = defaultdict(float)
            for weight, ranked_ids in ((w.dense, dense_ids), *((weight, ranked) for weight, _, ranked in fields)):
                for rank, chunk_id in enumerate(ranked_ids):
                    rrf[chunk_id] += weight / (RRF_K + rank)
            return sorted(rrf.items(), key=lambda item: -item[1]), similarity

        parts = [(weight, normalised) for weight, normalised, _ in fields]
        ids = list(dict.fromkeys([*dense_ids, *(cid for _, _, ranked in fields for cid in ranked)]))
        if vector is not None:
            similarity.update(self._cosines([cid for cid in ids if cid not in similarity], vector))
        fused: list[tuple[str, float]] = []
        for chunk_id in ids:
            score = sum(weight * field.get(chunk_id, 0.0) for weight, field in parts)
            if vector is not None:
                score += w.dense * similarity[chunk_id]
            fused.append((chunk_id, score))
        fused.sort(key=lambda item: -item[1])
        return fused, similarity

    def cancer_type_of(self, doc_id: str) -> str:
        """The document's cancer type id, or "any"."""
        return self.keywords.cancer_type_of(doc_id)

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
        found = self.keywords.candidates(cid for cid, _ in ranking)
        for chunk_id, score in ranking:
            if chunk_id in found:  # a chunk Chroma still has but the keyword index no longer: being re-ingested
                per_doc[found[chunk_id].doc_id].append((chunk_id, score))
        ranked = []
        tags = (profile_tags or set()) - {"all"}
        for doc_id, hits in per_doc.items():
            score = hits[0][1] + (self.weights.second_chunk_bonus * hits[1][1] if len(hits) > 1 else 0.0)
            best = found[hits[0][0]]  # document-wide fields, the same on each of its chunks
            if tags and set(json.loads(best.applies_to)) & tags:
                score += abs(score) * self.weights.profile_boost
            about = best.cancer_type
            if cancer_type and about == cancer_type:
                score += abs(score) * self.weights.same_cancer_boost
            elif not cancer_type and about == "any":  # no known type: the pages written for every cancer fit best
                score += abs(score) * self.weights.general_page_boost
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
            chunks = self.keywords.chunks(chunk_ids[:per_doc])
            for rank, chunk_id in enumerate(chunk_ids[:per_doc]):
                score = doc_score if rank == 0 else doc_score * 0.5
                passages.append(_passage(chunks[chunk_id], score, similarity.get(chunk_id, 0.0)))
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
        cancer_type=str(meta.get("cancer_type", "any")),
    )
