"""The keyword side of the knowledge base: an SQLite FTS5 index written by ``loaders.ingest`` and queried per search.

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
``chains/vocab/retrieval_stopwords.txt`` dropped), so both FTS fields see exactly the tokens the query does. The FTS
tables are contentless: a row is deleted by handing FTS5 the same tokens again, recomputed from ``chunks``; if the
tokeniser changes (``TOKENISER``), ``open`` rebuilds both fields from ``chunks``. Ranking is FTS5's ``bm25()``
(k1 = 1.2, b = 0.75; a word in more than half the rows counts ~0), negated so larger is better.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import sqlite3
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from chains.retrieval.index import Chunk

_TOKEN = re.compile(r"[a-z0-9]+")
STOPWORDS_FILE = Path(__file__).resolve().parent / "vocab" / "retrieval_stopwords.txt"
HEADING_PREFIX = 5  # heading-field tokens are cut to this many letters (truncation stemming)
SCHEMA = "3"  # the tables' layout; a file with another is emptied and refilled by the next ingest
CHUNK_CACHE = 4096  # chunks kept in memory by id (text and metadata), most recently used
SCORE_CACHE = 4096  # candidates kept in memory by id for scoring (document, token counts: ~8 KB each)
WORD_CACHE = 16384  # words whose document frequency is kept in memory
K1, B = 1.5, 0.75  # BM25Okapi's parameters, as rank_bm25 had them
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


def keyword_index_path(chroma_dir: Path, collection_name: str) -> Path:
    """Where the keyword index of a collection lives: inside the Chroma directory (Chroma ignores it), so whatever
    copies, links or backs up the index takes both. With a Chroma server the folder holds only this file."""
    return Path(chroma_dir) / f"{collection_name}.keywords.sqlite3"


def body_text(chunk: Chunk) -> str:
    """What the body field indexes: title, heading, text and the document's topics."""
    topics = " ".join(json.loads(chunk.metadata.get("topics", "[]")))
    return " ".join(bm25_tokens(f"{chunk.embed_text} {topics}"))


def place_of(chunk: Chunk) -> str:
    return f"{chunk.title} {chunk.heading}"


def _fts_query(tokens: Sequence[str]) -> str:
    return " OR ".join(f'"{t}"' for t in tokens)


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


class KeywordIndex:
    """The keyword index of one collection; thread-safe (one connection, one caller at a time)."""

    def __init__(self, path: Path, readonly: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self.db.execute("pragma journal_mode=wal")
        self.db.execute("pragma synchronous=normal")
        self._lock = threading.RLock()
        self._chunks: OrderedDict[str, Chunk] = OrderedDict()
        self._candidates: OrderedDict[str, Candidate] = OrderedDict()
        self._df: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._stats: dict[str, FieldStats] = {}
        self._version = -1  # SQLite's data_version when the caches were filled; another writer changes it
        with self._lock:
            if self._stored_schema() not in (None, SCHEMA):  # an older layout: start again (ingest refills it)
                for (table,) in self.db.execute("select name from sqlite_master where type = 'table'").fetchall():
                    self.db.execute(f"drop table if exists {table}")
            self.db.executescript(_SCHEMA + _FTS)
            self._set_meta("schema", SCHEMA)
            if not readonly and self._meta("tokeniser") != tokeniser_version():
                self._rebuild_fields()

    # --- writing (loaders.ingest) -------------------------------------------------------------------
    def _stored_schema(self) -> str | None:
        if self.db.execute("select 1 from sqlite_master where name = 'meta'").fetchone() is None:
            return None
        return self._meta("schema") or "1"

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("select value from meta where key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute("insert or replace into meta(key, value) values (?, ?)", (key, value))

    def _rebuild_fields(self) -> None:
        """Both FTS fields again from the ``chunks`` table (a changed tokeniser, or a new file)."""
        self.db.execute("begin")
        for table in ("body_vocab", "heading_vocab", "body", "heading"):
            self.db.execute(f"drop table if exists {table}")
        for statement in _FTS.strip().splitlines():
            self.db.execute(statement)
        for rowid, title, heading, text, metadata in self.db.execute(
            "select id, title, heading, text, metadata from chunks"
        ).fetchall():
            chunk = Chunk("", "", title, heading, text, json.loads(metadata))
            body, place = body_text(chunk), " ".join(heading_tokens(place_of(chunk)))
            self.db.execute("insert into body(rowid, tokens) values (?, ?)", (rowid, body))
            self.db.execute("insert into heading(rowid, tokens) values (?, ?)", (rowid, place))
            self.db.execute(
                "update chunks set length = ?, heading_length = ?, body_tokens = ?, heading_tokens = ? where id = ?",
                (len(body.split()), len(place.split()), body, place, rowid),
            )
        self._set_meta("tokeniser", tokeniser_version())
        self._refresh_stats()
        self.db.execute("commit")

    def fingerprints(self) -> dict[str, tuple[str, str]]:
        """doc_id -> (fingerprint, source_path) of every document in the index."""
        with self._lock:
            return {d: (f, s) for d, f, s in self.db.execute("select doc_id, fingerprint, source_path from docs")}

    def _delete_document(self, doc_id: str) -> None:
        rows = self.db.execute("select id, body_tokens, heading_tokens from chunks where doc_id = ?", (doc_id,))
        for rowid, body, place in rows.fetchall():
            self.db.execute("insert into body(body, rowid, tokens) values ('delete', ?, ?)", (rowid, body))
            self.db.execute("insert into heading(heading, rowid, tokens) values ('delete', ?, ?)", (rowid, place))
        self.db.execute("delete from chunks where doc_id = ?", (doc_id,))
        self.db.execute("delete from docs where doc_id = ?", (doc_id,))

    def _add_chunks(self, chunks: Iterable[Chunk]) -> None:
        for c in chunks:
            meta = {k: v for k, v in c.metadata.items() if k != "text"}
            tokens = body_text(c)
            place = " ".join(heading_tokens(place_of(c)))
            rowid = self.db.execute(
                "insert into chunks(chunk_id, doc_id, title, heading, section_no, part_no, cancer_type, text, "
                "metadata, length, heading_length, body_tokens, heading_tokens, applies_to) "
                "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    c.chunk_id,
                    c.doc_id,
                    c.title,
                    c.heading,
                    int(meta.get("section_no", 0)),
                    int(meta.get("part_no", 0)),
                    str(meta.get("cancer_type", "any")),
                    c.text,
                    json.dumps(meta),
                    len(tokens.split()),
                    len(place.split()),
                    tokens,
                    place,
                    str(meta.get("applies_to", "[]")),
                ),
            ).lastrowid
            self.db.execute("insert into body(rowid, tokens) values (?, ?)", (rowid, tokens))
            self.db.execute("insert into heading(rowid, tokens) values (?, ?)", (rowid, place))

    def replace_document(self, doc_id: str, fingerprint: str, source_path: str, chunks: Sequence[Chunk]) -> None:
        """The document's rows replaced by ``chunks`` in one transaction."""
        with self._lock:
            self.db.execute("begin")
            try:
                self._delete_document(doc_id)
                self._add_chunks(chunks)
                self.db.execute("insert into docs values (?, ?, ?)", (doc_id, fingerprint, source_path))
                self.db.execute("commit")
            except BaseException:
                self.db.execute("rollback")
                raise
            self._forget()

    def delete_document(self, doc_id: str) -> None:
        with self._lock:
            self.db.execute("begin")
            try:
                self._delete_document(doc_id)
                self.db.execute("commit")
            except BaseException:
                self.db.execute("rollback")
                raise
            self._forget()

    def add_bulk(self, documents: Iterable[tuple[str, str, str, Sequence[Chunk]]]) -> None:
        """Many new documents (doc_id, fingerprint, source_path, chunks) in one transaction (bench.scale)."""
        with self._lock:
            self.db.execute("begin")
            for doc_id, fingerprint, source_path, chunks in documents:
                self._add_chunks(chunks)
                self.db.execute("insert into docs values (?, ?, ?)", (doc_id, fingerprint, source_path))
            self.db.execute("commit")
            self._forget()

    def refresh_stats(self) -> None:
        """Store each field's row count, average length and average idf (``idf``'s floor) after a change."""
        with self._lock:
            self._refresh_stats()
            self._forget()

    def _refresh_stats(self) -> None:
        for field, column, vocab in (("body", "length", "body_vocab"), ("heading", "heading_length", "heading_vocab")):
            n, length = self.db.execute(f"select count(*), coalesce(sum({column}), 0) from chunks").fetchone()
            total, words = 0.0, 0
            for (df,) in self.db.execute(f"select doc from {vocab}"):
                total += math.log(n - df + 0.5) - math.log(df + 0.5)
                words += 1
            stats = FieldStats(n, length / n if n else 0.0, total / words if words else 0.0)
            self._set_meta(field, json.dumps(stats.__dict__))

    def _forget(self) -> None:
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

    def _field(self, field: str) -> FieldStats:
        with self._lock:
            self._fresh()
            if field not in self._stats:
                stored = self._meta(field)
                if stored is None:
                    self._refresh_stats()
                    stored = self._meta(field)
                self._stats[field] = FieldStats(**json.loads(stored or "{}"))
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
                self._df[key] = df
                while len(self._df) > WORD_CACHE:
                    self._df.popitem(last=False)
            else:
                self._df.move_to_end(key)
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
        return self._cached(self._chunks, chunk_ids, _CHUNK_COLUMNS, _chunk, CHUNK_CACHE)

    def candidates(self, chunk_ids: Iterable[str]) -> dict[str, Candidate]:
        """What ranking needs of each chunk (those that exist): its document and its fields' token counts."""
        return self._cached(self._candidates, chunk_ids, _CANDIDATE_COLUMNS, _candidate, SCORE_CACHE)

    def _cached(self, cache: OrderedDict, chunk_ids: Iterable[str], columns: str, make, size: int) -> dict:
        """Rows by chunk id from a bounded most-recently-used cache, the missing ones read in one query."""
        wanted = list(dict.fromkeys(chunk_ids))
        with self._lock:
            self._fresh()
            missing = [cid for cid in wanted if cid not in cache]
            for start in range(0, len(missing), 500):
                part = missing[start : start + 500]
                marks = ",".join("?" * len(part))
                for row in self.db.execute(f"select {columns} from chunks where chunk_id in ({marks})", part):
                    cache[row[0]] = make(row)
            found = {}
            for cid in wanted:
                if cid in cache:
                    cache.move_to_end(cid)
                    found[cid] = cache[cid]
            while len(cache) > size:
                cache.popitem(last=False)
            return found

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
            score = _okapi(tokens, idf, Counter(words), len(words), stats.average_length)
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
            scores[cid] = _okapi(tokens, idf, counts, length, stats.average_length)
        return scores

    def close(self) -> None:
        with self._lock:
            self.db.close()


def _okapi(tokens: Sequence[str], idf: dict[str, float], counts: Counter[str], length: int, average: float) -> float:
    """BM25Okapi of one row, as ``rank_bm25.BM25Okapi.get_scores`` computes it (repeated query words count again)."""
    norm = K1 * (1 - B + B * length / average) if average else K1
    return sum(idf[t] * counts[t] * (K1 + 1) / (counts[t] + norm) for t in tokens if counts.get(t))


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
