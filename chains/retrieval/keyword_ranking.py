"""Ranking over the keyword index (``chains.retrieval.keywords``): word statistics, FTS5 candidates, exact scores.

FTS5's ``bm25()`` only *finds* candidates, over the question's words that occur in a bounded number of rows; each
candidate (and each dense candidate) is then scored exactly as ``rank_bm25``'s BM25Okapi scored the whole library
(``chains.retrieval.bm25.okapi``), from the tokens stored with it and the field's statistics.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from chains.retrieval.bm25 import okapi
from chains.retrieval.recent import RecentlyUsed

WORD_CACHE = 16384  # words whose document frequency is kept in memory
IDF_EPSILON = 0.25  # a word in more than half the rows gets this share of the average idf (BM25Okapi's floor)
CANDIDATE_ROWS = 2000  # FTS5 ranks candidates by the query words in at most this many rows ...
CANDIDATE_SHARE = 0.005  # ... or this share of the rows, whichever is larger: 2,000 up to 400,000 rows
# (2 % had FTS5 rank up to 20,000 rows a word at a million chunks: search p95 71 ms there, 42 ms at 0.5 %)
CANDIDATE_POOL = 3  # FTS5 (k1 1.2, idf ~0 for words in half the rows) finds this many times the candidates wanted;
# each is scored exactly and the best kept, so the candidates are BM25Okapi's


@dataclass(frozen=True)
class FieldStats:
    """What BM25 needs about a field besides the counts: its rows, their average length, the average idf."""

    rows: int = 0
    average_length: float = 0.0
    average_idf: float = 0.0


@dataclass(frozen=True)
class Candidate:
    """What ranking needs of a chunk: its document, the document's cancer type and tags, its fields' token counts."""

    doc_id: str
    cancer_type: str
    applies_to: str  # the document's ``applies_to`` tags, JSON
    body: Counter[str]
    body_length: int
    heading: Counter[str]
    heading_length: int


def _fts_query(tokens: Sequence[str]) -> str:
    return " OR ".join(f'"{t}"' for t in tokens)


class KeywordRanking:
    """The ranking half of ``KeywordIndex`` (which supplies the connection, the caches and the stored rows)."""

    db: sqlite3.Connection
    _lock: threading.RLock
    _df: RecentlyUsed[tuple[str, str], int]  # sized WORD_CACHE by KeywordIndex
    _stats: dict[str, FieldStats]

    def _field(self, field: str) -> FieldStats:
        with self._lock:
            self._fresh()
            if field not in self._stats:
                stored = self._meta(field)  # written by the ingest; a file without it is counted, not changed
                self._stats[field] = FieldStats(**json.loads(stored)) if stored else self._compute_stats()[field]
            return self._stats[field]

    def _document_frequency(self, field: str, token: str) -> int:
        """In how many chunks the word occurs in the field; cached."""
        with self._lock:
            self._fresh()
            key = (field, token)
            df = self._df.get(key)
            if df is None:
                row = self.db.execute(f"select doc from {field}_vocab where term = ?", (token,)).fetchone()
                df = int(row[0]) if row else 0
                self._df.put(key, df)
            return df

    def _idf(self, field: str, token: str) -> float:
        df = self._document_frequency(field, token)
        if not df:
            return 0.0
        stats = self._field(field)
        value = math.log(stats.rows - df + 0.5) - math.log(df + 0.5)
        return IDF_EPSILON * stats.average_idf if value < 0 else value

    def idf(self, token: str) -> float:
        """BM25Okapi's inverse document frequency of a word over the chunks (0 for an unknown word)."""
        return self._idf("body", token)

    def _candidate_query(self, field: str, tokens: Sequence[str]) -> str | None:
        """The FTS5 query that finds a field's candidates: the query words in at most ``CANDIDATE_SHARE`` of
        its rows (at least ``CANDIDATE_ROWS``), so FTS5 ranks a bounded number of rows; the commoner words
        still count in the exact scores of every candidate."""
        stats = self._field(field)
        cap = max(CANDIDATE_ROWS, int(CANDIDATE_SHARE * stats.rows))
        rare = [t for t in dict.fromkeys(tokens) if 0 < self._document_frequency(field, t) <= cap]
        return _fts_query(rare) if rare else None

    def body_candidates(self, tokens: Sequence[str], n: int) -> list[str]:
        """Up to ``n`` chunk ids FTS5 ranks best (``bm25()``) for the query words in the body field (a pool:
        ``chains.retrieval`` scores them exactly and keeps the best)."""
        query = self._candidate_query("body", tokens)
        if query is None:
            return []
        with self._lock:
            rows = self.db.execute(
                "select c.chunk_id from (select rowid, bm25(body) as score from body where body match ? "
                "order by score limit ?) s join chunks c on c.id = s.rowid order by s.score, c.id",
                (query, n),
            ).fetchall()
        return [cid for (cid,) in rows]

    def heading_candidates(self, tokens: Sequence[str], n: int) -> list[str]:
        """Up to ``n`` chunk ids whose heading field (title and heading) scores best for the query words: FTS5
        finds ``CANDIDATE_POOL`` times as many, each is scored exactly (BM25Okapi), the best kept (ties in
        document order, as before)."""
        query = self._candidate_query("heading", tokens)
        if query is None:
            return []
        with self._lock:
            found = self.db.execute(
                "select c.chunk_id, c.heading_tokens, c.doc_id, c.section_no, c.part_no from (select rowid, "
                "bm25(heading) as score from heading where heading match ? order by score limit ?) s "
                "join chunks c on c.id = s.rowid",
                (query, n * CANDIDATE_POOL),
            ).fetchall()
        stats = self._field("heading")
        idf = {t: self._idf("heading", t) for t in set(tokens)}
        scored = []
        for cid, place, *position in found:
            words = place.split()
            score = okapi(tokens, idf, Counter(words), len(words), stats.average_length)
            if score > 0:
                scored.append((-score, *position, cid))
        return [row[-1] for row in sorted(scored)[:n]]

    def body_scores(self, tokens: Sequence[str], chunk_ids: Iterable[str]) -> dict[str, float]:
        """BM25Okapi (k1 1.5, b 0.75) of each chunk's body for the query words, exactly as ``rank_bm25`` scored
        the whole library: counts from the chunk's tokens, word statistics from the index."""
        return self._scores("body", tokens, chunk_ids)

    def heading_scores(self, tokens: Sequence[str], chunk_ids: Iterable[str]) -> dict[str, float]:
        """BM25Okapi of each chunk's heading field (its title and heading, ``heading_tokens``)."""
        return self._scores("heading", tokens, chunk_ids)

    def _scores(self, field: str, tokens: Sequence[str], chunk_ids: Iterable[str]) -> dict[str, float]:
        found = self.candidates(chunk_ids)
        if not tokens:
            return dict.fromkeys(found, 0.0)
        stats = self._field(field)
        idf = {t: self._idf(field, t) for t in set(tokens)}
        scores = {}
        for cid, candidate in found.items():
            if field == "body":
                counts, length = candidate.body, candidate.body_length
            else:
                counts, length = candidate.heading, candidate.heading_length
            scores[cid] = okapi(tokens, idf, counts, length, stats.average_length)
        return scores
