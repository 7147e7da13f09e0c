"""Incremental ingest: ``python -m loaders.ingest [PATHS...]``.

Unchanged documents (same fingerprint) are skipped, changed ones re-embedded, deleted ones removed.
A file that cannot be read is reported with its reason and the rest still load. Documents whose
``reviewed`` date is older than the review window are listed as due for review at every run. A finished
run stamps the collections with ``INDEX_VERSION``: the server opens only an index stamped with its own.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from chains.retrieval.chroma_client import chroma_client
from chains.retrieval.embeddings import get_encoder
from chains.retrieval.index import (
    COLLECTION_NAME,
    INDEX_VERSION,
    UNITS_SUFFIX,
    SourceDocument,
    chunk_document,
    open_collection,
    open_unit_collection,
    unit_records,
)
from chains.retrieval.keyword_writer import KeywordWriter
from chains.retrieval.keywords import keyword_index_path
from chains.settings import get_settings
from loaders.documents import DocumentError, discover, load_file

log = logging.getLogger("oncoguide.ingest")
EMBED_GROUP = 32  # documents embedded in one encoder call (then written one by one, as before)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    due_for_review: list[str] = field(default_factory=list)
    chunks_embedded: int = 0
    keywords_rewritten: int = 0  # documents whose keyword rows were rewritten without re-embedding
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        rate = self.chunks_embedded / self.seconds if self.seconds else 0.0
        return (
            f"added {len(self.added)}, updated {len(self.updated)}, unchanged {len(self.unchanged)}, "
            f"removed {len(self.removed)}, errors {len(self.errors)}; "
            f"{self.chunks_embedded} chunks embedded in {self.seconds:.1f}s ({rate:.1f} chunks/s)"
            + (f"; keyword index rewritten for {self.keywords_rewritten}" if self.keywords_rewritten else "")
        )


def _existing_fingerprints(collection, page: int = 5000) -> dict[str, tuple[str, str]]:
    """doc_id -> (fingerprint, source_path) for every document in the collection, read a page at a time (one
    ``get`` of every record fails past ~30,000 chunks with "too many SQL variables")."""
    found: dict[str, tuple[str, str]] = {}
    offset = 0
    while True:
        records = collection.get(include=["metadatas"], limit=page, offset=offset)
        for meta in records["metadatas"] or []:
            found[meta["doc_id"]] = (meta.get("fingerprint", ""), meta.get("source_path", ""))
        if len(records["ids"]) < page:
            return found
        offset += page


def _is_under(path: str, roots: list[Path]) -> bool:
    resolved = Path(path).resolve()
    return any(resolved == r or r in resolved.parents for r in roots)


def _review_due(doc: SourceDocument, today: dt.date, max_age_days: int) -> bool:
    try:
        reviewed = dt.date.fromisoformat(doc.reviewed)
    except ValueError:
        return False
    return (today - reviewed).days > max_age_days


def ingest(
    paths: list[Path],
    chroma_dir: Path | None = None,
    collection_name: str = COLLECTION_NAME,
    progress: bool = False,
    today: dt.date | None = None,
) -> IngestReport:
    """Bring the collection and its keyword index (``chains.retrieval.keywords``) in line with the documents under ``paths``.

    Each document is written to Chroma first and to the keyword index second; the keyword index records the
    fingerprint it was written for, so a run interrupted between the two (or a keyword index that does not exist
    yet) is repaired by the next run from the documents, without embedding them again."""
    settings = get_settings()
    started = time.perf_counter()
    report = IngestReport()
    chroma_dir = chroma_dir or settings.chroma_dir
    client = chroma_client(chroma_dir)
    collection = open_collection(client, collection_name)
    if collection.count() and (collection.metadata or {}).get("index_version") != INDEX_VERSION:
        # Built by another version: every document is embedded again anyway (its fingerprint includes the
        # version), and a new collection also takes today's HNSW configuration (chains.index.HNSW).
        for name in (collection_name, f"{collection_name}{UNITS_SUFFIX}"):
            with contextlib.suppress(Exception):  # the sentence collection may not exist yet
                client.delete_collection(name)
        collection = open_collection(client, collection_name)
    units = open_unit_collection(client, collection_name)
    keywords = KeywordWriter(keyword_index_path(chroma_dir, collection_name))
    existing = _existing_fingerprints(collection)
    keyword_existing = keywords.fingerprints()
    roots = [p.resolve() for p in paths]
    today = today or dt.date.today()

    documents: dict[str, SourceDocument] = {}
    for path in discover(paths):
        try:
            for doc in load_file(path):
                if doc.doc_id in documents:
                    raise DocumentError(
                        path, f"duplicate id '{doc.doc_id}' (also in {documents[doc.doc_id].source_path})"
                    )
                documents[doc.doc_id] = doc
        except DocumentError as exc:
            report.errors.append(str(exc))
            log.warning("skipped %s", exc)
    for missing in [p for p in paths if not p.exists()]:
        report.errors.append(f"{missing}: no such file or folder")

    to_embed = []
    for doc in documents.values():
        if _review_due(doc, today, settings.review_max_age_days):
            report.due_for_review.append(f"{doc.doc_id} (reviewed {doc.reviewed})")
        previous = existing.get(doc.doc_id)
        if previous and previous[0] == doc.fingerprint:
            report.unchanged.append(doc.doc_id)
            if keyword_existing.get(doc.doc_id, ("",))[0] != doc.fingerprint:
                keywords.replace_document(doc.doc_id, doc.fingerprint, doc.source_path, chunk_document(doc))
                report.keywords_rewritten += 1
            continue
        (report.updated if previous else report.added).append(doc.doc_id)
        to_embed.append(doc)

    errored_paths = {e.split(": ", 1)[0] for e in report.errors}
    for doc_id, (_, source_path) in existing.items():
        if doc_id not in documents and _is_under(source_path, roots) and source_path not in errored_paths:
            collection.delete(where={"doc_id": doc_id})
            units.delete(where={"doc_id": doc_id})
            keywords.delete_document(doc_id)
            report.removed.append(doc_id)
    for doc_id, (_, source_path) in keyword_existing.items():  # left behind by an interrupted removal
        if doc_id not in documents and doc_id not in existing and _is_under(source_path, roots):
            keywords.delete_document(doc_id)

    bar = None
    if progress and to_embed:
        from tqdm import tqdm

        bar = tqdm(total=len(to_embed), unit="doc", desc="Embedding", file=sys.stderr)
    for start in range(0, len(to_embed), EMBED_GROUP):
        group = to_embed[start : start + EMBED_GROUP]
        chunked = [(doc, chunk_document(doc)) for doc in group]
        records = [(chunks, unit_records(chunks)) for _, chunks in chunked]
        # One encoder call for the whole group (chunks and sentences), so its batches are long and evenly padded.
        texts = [t for chunks, units_of in records for t in [c.embed_text for c in chunks] + units_of[2]]
        vectors = iter(get_encoder().encode(texts))
        for (doc, chunks), (_, (unit_ids, unit_texts, _, unit_metas)) in zip(chunked, records, strict=True):
            chunk_vectors = [next(vectors) for _ in chunks]
            unit_vectors = [next(vectors) for _ in unit_ids]
            collection.delete(where={"doc_id": doc.doc_id})
            units.delete(where={"doc_id": doc.doc_id})
            collection.add(
                ids=[c.chunk_id for c in chunks],
                documents=[c.embed_text for c in chunks],
                embeddings=chunk_vectors,
                metadatas=[{**c.metadata, "text": c.text} for c in chunks],
            )
            if unit_ids:
                units.add(ids=unit_ids, documents=unit_texts, embeddings=unit_vectors, metadatas=unit_metas)
            keywords.replace_document(doc.doc_id, doc.fingerprint, doc.source_path, chunks)
            report.chunks_embedded += len(chunks)
            if bar:
                bar.update(1)
    if bar:
        bar.close()
    for finished in (collection, units):
        _stamp_version(finished)
    if report.changed or report.keywords_rewritten:
        keywords.refresh_stats()
    keywords.close()
    report.seconds = time.perf_counter() - started
    return report


def _stamp_version(collection) -> None:
    """Record that every document in ``collection`` is now indexed as ``INDEX_VERSION`` says (an empty
    collection left from another version keeps its old stamp until now)."""
    metadata = dict(collection.metadata or {})
    if metadata.get("index_version") != INDEX_VERSION:
        collection.modify(metadata={**metadata, "index_version": INDEX_VERSION})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Load documents into the OncoGuide knowledge base.")
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the KB folder)")
    parser.add_argument("--collection", default=COLLECTION_NAME)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # with CHROMA_URL: one line per request otherwise
    paths = args.paths or [get_settings().kb_dir]
    report = ingest(paths, collection_name=args.collection, progress=True)
    for error in report.errors:
        print(f"ERROR  {error}", file=sys.stderr)
    for due in report.due_for_review:
        print(f"REVIEW {due} is more than {get_settings().review_max_age_days} days old", file=sys.stderr)
    print(report.summary(), file=sys.stderr)
    return 0


def ensure_index(settings=None) -> IngestReport:
    """Build or refresh the knowledge-base index before serving (fast when nothing changed)."""
    settings = settings or get_settings()
    report = ingest([settings.kb_dir], chroma_dir=settings.chroma_dir)
    if report.changed or report.errors:
        log.info("knowledge base: %s", report.summary())
    for error in report.errors:
        log.warning("knowledge base file skipped: %s", error)
    return report


if __name__ == "__main__":
    raise SystemExit(main())
