"""Writing the keyword index (``chains.retrieval.keywords``): what ``loaders.ingest`` and ``bench.scale`` use.

Each document's rows are replaced in one transaction; the FTS tables are contentless, so a row is deleted by handing
FTS5 the tokens it was given (kept in ``chunks``). When the tokeniser changes (``bm25.tokeniser_version``), opening
a writer rebuilds both fields from ``chunks``; a file of an older layout is emptied and refilled by the ingest.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from chains.retrieval.bm25 import body_text, heading_tokens, place_of, tokeniser_version
from chains.retrieval.index import Chunk
from chains.retrieval.keywords import _FTS, KeywordIndex


class KeywordWriter(KeywordIndex):
    """The keyword index of one collection, opened to be written."""

    writes = True

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        with self._lock:
            if self._meta("tokeniser") != tokeniser_version():
                self._rebuild_fields()

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

    def _refresh_stats(self) -> None:
        for field, stats in self._compute_stats().items():
            self._set_meta(field, json.dumps(stats.__dict__))

    def refresh_stats(self) -> None:
        """Store each field's row count, average length and average idf (``idf``'s floor) after a change."""
        with self._lock:
            self._refresh_stats()
            self._forget()
