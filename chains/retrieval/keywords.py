"""The keyword side of the knowledge base: an SQLite FTS5 index written by ``loaders.ingest`` and read per search.

One file per collection next to the Chroma directory (``keyword_index_path``) holds

- ``chunks``: every chunk's id, document, title, heading, position, cancer type, text and metadata (JSON), so a
  passage's text is fetched by id when an answer needs it instead of every process holding the library, and the
  tokens each field indexes (``body_tokens``, ``heading_tokens``) and the document's ``applies_to`` tags, so scoring
  a candidate exactly reads one short row instead of re-tokenising its text and parsing its metadata;
- ``docs``: each document's fingerprint and source path (what ingest compares);
- ``body``: an FTS5 field over each chunk's title, heading, text and topics (``bm25_tokens``);
- ``heading``: an FTS5 field over each chunk's "title heading" alone, tokens cut to a 5-letter prefix
  (``heading_tokens``), with per-chunk statistics like the in-memory field it replaces;
- ``body_vocab``: FTS5's vocabulary view of ``body``, for a word's document frequency (``idf``).

FTS5 is fed the text already tokenised here (lower case, ``[a-z0-9]+``, stop words from
``chains/retrieval/vocab/retrieval_stopwords.txt`` dropped; ``chains.retrieval.bm25``)), so both FTS fields see exactly the tokens the query does. The FTS
tables are contentless: a row is deleted by handing FTS5 the same tokens again, recomputed from ``chunks``; written by
``chains.retrieval.keyword_writer``. Ranking is FTS5's ``bm25()``
(k1 = 1.2, b = 0.75; a word in more than half the rows counts ~0), negated so larger is better.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from chains.retrieval.index import Chunk
from chains.retrieval.keyword_ranking import WORD_CACHE, Candidate, FieldStats, KeywordRanking
from chains.retrieval.recent import RecentlyUsed

SCHEMA = "3"  # the tables' layout; a file with another is emptied and refilled by the next ingest
CHUNK_CACHE = 4096  # chunks kept in memory by id (text and metadata), most recently used
SCORE_CACHE = 4096  # candidates kept in memory by id for scoring (document, token counts: ~8 KB each)


def keyword_index_path(chroma_dir: Path, collection_name: str) -> Path:
    """Where the keyword index of a collection lives: inside the Chroma directory (Chroma ignores it), so whatever
    copies, links or backs up the index takes both. With a Chroma server the folder holds only this file."""
    return Path(chroma_dir) / f"{collection_name}.keywords.sqlite3"


_SCHEMA = """
create table if not exists meta(key text primary key, value text);
create table if not exists docs(doc_id text primary key, fingerprint text not null, source_path text not null);
create table if not exists chunks(
    id integer primary key, chunk_id text not null unique, doc_id text not null, title text not null,
    heading text not null, section_no integer not null, part_no integer not null, cancer_type text not null,
    text text not null, metadata text not null, length integer not null, heading_length integer not null,
    body_tokens text not null, heading_tokens text not null, applies_to text not null);
create index if not exists chunks_by_doc on chunks(doc_id, section_no, part_no);
"""
_FTS = """
create virtual table if not exists body using fts5(tokens, content='', tokenize='ascii');
create virtual table if not exists heading using fts5(tokens, content='', tokenize='ascii');
create virtual table if not exists body_vocab using fts5vocab(body, 'row');
create virtual table if not exists heading_vocab using fts5vocab(heading, 'row');
"""
_CHUNK_COLUMNS = "chunk_id, doc_id, title, heading, text, metadata"


class KeywordIndex(KeywordRanking):
    """The keyword index of one collection; thread-safe (one connection, one caller at a time)."""

    writes = False  # a reader never changes the file (``KeywordWriter`` does)

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self.db.execute("pragma journal_mode=wal")
        self.db.execute("pragma synchronous=normal")
        self._lock = threading.RLock()
        self._chunks: RecentlyUsed[str, Chunk] = RecentlyUsed(CHUNK_CACHE)
        self._candidates: RecentlyUsed[str, Candidate] = RecentlyUsed(SCORE_CACHE)
        self._df: RecentlyUsed[tuple[str, str], int] = RecentlyUsed(WORD_CACHE)
        self._stats: dict[str, FieldStats] = {}
        self._version = -1  # SQLite's data_version when the caches were filled; another writer changes it
        self._generation = 0  # how many times the caches were dropped: a reader's own caches follow it
        with self._lock:
            stored = self._stored_schema()
            if stored not in (None, SCHEMA):
                if not self.writes:
                    raise RuntimeError(
                        f"the keyword index {self.path} has layout {stored}, this code reads {SCHEMA}: "
                        "run `python -m loaders.ingest` to rewrite it"
                    )
                for (table,) in self.db.execute("select name from sqlite_master where type = 'table'").fetchall():
                    self.db.execute(f"drop table if exists {table}")  # an older layout: ingest refills it
            self.db.executescript(_SCHEMA + _FTS)
            if stored != SCHEMA:
                self._set_meta("schema", SCHEMA)

    def _stored_schema(self) -> str | None:
        if self.db.execute("select 1 from sqlite_master where name = 'meta'").fetchone() is None:
            return None
        return self._meta("schema") or "1"

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("select value from meta where key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute("insert or replace into meta(key, value) values (?, ?)", (key, value))

    def fingerprints(self) -> dict[str, tuple[str, str]]:
        """doc_id -> (fingerprint, source_path) of every document in the index."""
        with self._lock:
            return {d: (f, s) for d, f, s in self.db.execute("select doc_id, fingerprint, source_path from docs")}

    def _compute_stats(self) -> dict[str, FieldStats]:
        """Each field's row count, average length and average idf (``idf``'s floor), from the tables."""
        stats = {}
        for field, column, vocab in (("body", "length", "body_vocab"), ("heading", "heading_length", "heading_vocab")):
            n, length = self.db.execute(f"select count(*), coalesce(sum({column}), 0) from chunks").fetchone()
            total, words = 0.0, 0
            for (df,) in self.db.execute(f"select doc from {vocab}"):
                total += math.log(n - df + 0.5) - math.log(df + 0.5)
                words += 1
            stats[field] = FieldStats(n, length / n if n else 0.0, total / words if words else 0.0)
        return stats

    def _forget(self) -> None:
        self._generation += 1
        self._chunks.clear()
        self._candidates.clear()
        self._df.clear()
        self._stats.clear()

    # --- reading (chains.retrieval) -------------------------------------------------------------------
    def __len__(self) -> int:
        return self._field("body").rows

    def _fresh(self) -> None:
        """Drop the caches when another connection (an ingest) has written since they were filled."""
        (version,) = self.db.execute("pragma data_version").fetchone()
        if version != self._version:
            self._forget()
            self._version = version

    def generation(self) -> int:
        """Changes whenever the index was written since the last call (here or by another process): results a
        caller computed from it under an older generation are stale."""
        with self._lock:
            self._fresh()
            return self._generation

    def document_ids(self) -> list[str]:
        with self._lock:
            return [d for (d,) in self.db.execute("select distinct doc_id from chunks order by doc_id")]

    def document_chunks(self, doc_id: str) -> list[Chunk]:
        with self._lock:
            rows = self.db.execute(
                f"select {_CHUNK_COLUMNS} from chunks where doc_id = ? order by section_no, part_no", (doc_id,)
            ).fetchall()
        return [_chunk(row) for row in rows]

    def first_chunk(self, doc_id: str) -> Chunk | None:
        with self._lock:
            row = self.db.execute(
                f"select {_CHUNK_COLUMNS} from chunks where doc_id = ? order by section_no, part_no limit 1", (doc_id,)
            ).fetchone()
        return _chunk(row) if row else None

    def cancer_type_of(self, doc_id: str) -> str:
        with self._lock:
            row = self.db.execute("select cancer_type from chunks where doc_id = ? limit 1", (doc_id,)).fetchone()
        return str(row[0]) if row else "any"

    def chunks(self, chunk_ids: Iterable[str]) -> dict[str, Chunk]:
        """The chunks by id (those that exist), from the cache or one query."""
        return self._cached(self._chunks, chunk_ids, _CHUNK_COLUMNS, _chunk)

    def candidates(self, chunk_ids: Iterable[str]) -> dict[str, Candidate]:
        """What ranking needs of each chunk (those that exist): its document and its fields' token counts."""
        return self._cached(self._candidates, chunk_ids, _CANDIDATE_COLUMNS, _candidate)

    def _cached(self, cache: RecentlyUsed, chunk_ids: Iterable[str], columns: str, make) -> dict:
        """Rows by chunk id from a bounded most-recently-used cache, the missing ones read in one query."""
        wanted = list(dict.fromkeys(chunk_ids))
        with self._lock:
            self._fresh()
            missing = cache.missing(wanted)
            for start in range(0, len(missing), 500):
                part = missing[start : start + 500]
                marks = ",".join("?" * len(part))
                for row in self.db.execute(f"select {columns} from chunks where chunk_id in ({marks})", part):
                    cache.add(row[0], make(row))
            return cache.take(wanted)

    def close(self) -> None:
        with self._lock:
            self.db.close()


_CANDIDATE_COLUMNS = "chunk_id, doc_id, cancer_type, applies_to, body_tokens, length, heading_tokens, heading_length"


def _candidate(row: Sequence[Any]) -> Candidate:
    _, doc_id, cancer_type, applies_to, body, length, heading, heading_length = row
    return Candidate(
        doc_id, cancer_type, applies_to, Counter(body.split()), length, Counter(heading.split()), heading_length
    )


def _chunk(row: Sequence[Any]) -> Chunk:
    chunk_id, doc_id, title, heading, text, metadata = row
    return Chunk(chunk_id, doc_id, title, heading, text, json.loads(metadata))


@lru_cache(maxsize=8)
def shared_keywords(path: str) -> KeywordIndex:
    """One keyword-index connection per file per process."""
    return KeywordIndex(Path(path))
