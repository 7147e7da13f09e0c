"""The knowledge-base index, defined once for ingest and serving: name, embedding model, chunking.

Both ``loaders.ingest`` (which writes) and ``chains.retrieval.knowledge_base`` (which reads) import from here, so
they cannot drift apart. The keyword side of the index (SQLite FTS5: file name, tokenising) is defined the same
way in ``chains.retrieval.keywords``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from chains.retrieval.embeddings import MODEL_NAME, OncoGuideEmbeddingFunction
from chains.retrieval.tokens import ENCODING_NAME, count_tokens

COLLECTION_NAME = "oncoguide_kb"
UNITS_SUFFIX = "_units"  # the companion collection: one vector per sentence or bullet of every chunk
CHUNK_MAX_TOKENS = 320
CHUNK_OVERLAP_TOKENS = 40
# Changing chunking or the model changes every document's fingerprint, so all are re-embedded.
INDEX_VERSION = f"v6|{MODEL_NAME}|{ENCODING_NAME}|{CHUNK_MAX_TOKENS}|{CHUNK_OVERLAP_TOKENS}"
# The HNSW index of each collection. Chroma keeps the vectors added since its last save in a log and inserts them
# again, on several threads, each time a process opens the collection; with its defaults (save every 1,000) two
# loads of the same index gave different dense top-40s for 13-35 of 269 questions. Saving every 100 (the size of
# the exact in-memory buffer) made every load of an index identical, and ef_search 200 (default 100) raised the
# top-40's recall against exact search from 0.994 to 0.999 (docs/BENCHMARKS.md, "Same answer after a restart").
# Saving rewrites the HNSW files, so a library far larger than today's may want a larger ``sync_threshold``.
HNSW = {"space": "cosine", "ef_search": 200, "batch_size": 100, "sync_threshold": 100}
UNIT_HNSW = {"space": "cosine"}  # the sentence collection is read by chunk id only, never searched by vector


@dataclass(frozen=True)
class Section:
    heading: str
    text: str


@dataclass
class SourceDocument:
    """One loaded document, whatever its file format."""

    doc_id: str
    title: str
    sections: list[Section]
    source_path: str
    raw_bytes_hash: str
    topics: list[str] = field(default_factory=list)
    applies_to: list[str] = field(default_factory=lambda: ["all"])
    evidence: str = "general information"
    reviewed: str = ""
    cancer_type: str = "any"  # a chains/cancer_types.yaml id, or "any" for a document about every cancer
    sources: list[dict[str, str]] = field(default_factory=list)
    url: str = ""

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(f"{INDEX_VERSION}|{self.raw_bytes_hash}".encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    doc_id: str
    title: str
    heading: str
    text: str
    metadata: dict[str, Any]

    @property
    def embed_text(self) -> str:
        """What the embedding model and BM25 see: the section's place in its document, then its text."""
        return f"{self.title}. {self.heading}.\n{self.text}"


def _split_long(text: str) -> list[str]:
    if count_tokens(text) <= CHUNK_MAX_TOKENS:
        return [text]
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter.from_tiktoken_encoder(
        encoding_name=ENCODING_NAME,
        chunk_size=CHUNK_MAX_TOKENS,
        chunk_overlap=CHUNK_OVERLAP_TOKENS,
        separators=["\n\n", "\n- ", "\n", ". ", " "],
    )
    return [part.strip() for part in splitter.split_text(text) if part.strip()]


def chunk_document(doc: SourceDocument) -> list[Chunk]:
    """Section-aware chunks: each keeps its document title and heading; long sections are split."""
    base = {
        "doc_id": doc.doc_id,
        "title": doc.title,
        "topics": json.dumps(doc.topics),
        "applies_to": json.dumps(doc.applies_to),
        "evidence": doc.evidence,
        "reviewed": doc.reviewed,
        "cancer_type": doc.cancer_type,
        "sources": json.dumps(doc.sources),
        "url": doc.url,
        "source_path": doc.source_path,
        "fingerprint": doc.fingerprint,
    }
    chunks: list[Chunk] = []
    for section_no, section in enumerate(doc.sections):
        for part_no, part in enumerate(_split_long(section.text)):
            meta = {**base, "heading": section.heading, "section_no": section_no, "part_no": part_no}
            chunk_id = f"{doc.doc_id}::{section_no}.{part_no}"
            chunks.append(Chunk(chunk_id, doc.doc_id, doc.title, section.heading, part, meta))
    return chunks


def open_client(chroma_dir: Path):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(
        path=str(chroma_dir), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    )


def open_collection(client, name: str = COLLECTION_NAME, hnsw: dict[str, Any] | None = None):
    """The collection ``name``, created with ``hnsw`` (default ``HNSW``) when it does not exist yet."""
    return client.get_or_create_collection(
        name=name,
        embedding_function=OncoGuideEmbeddingFunction(),
        metadata={"index_version": INDEX_VERSION},
        configuration={"hnsw": hnsw or HNSW},
    )


def open_unit_collection(client, name: str = COLLECTION_NAME):
    """The companion of the chunk collection ``name`` holding each chunk's sentences and bullets with their
    vectors, so an answer can pick the sentences that answer the question by meaning (ids ``<chunk_id>#<n>``,
    in the order of ``chains.text.sentences.units_with_lead_in``)."""
    return open_collection(client, f"{name}{UNITS_SUFFIX}", UNIT_HNSW)


def unit_records(chunks: list[Chunk]) -> tuple[list[str], list[str], list[str], list[dict[str, Any]]]:
    """Ids, texts, the text each is embedded as, and metadata of every sentence and bullet of the chunks. Each is
    embedded with its document's title, and a list item with its list's introduction ("Tamoxifen: Tamoxifen has
    some common side effects: Hot flashes…"), so it matches the question its page and list answer."""
    from chains.text.sentences import units_with_lead_in

    ids: list[str] = []
    texts: list[str] = []
    embedded: list[str] = []
    metas: list[dict[str, Any]] = []
    for chunk in chunks:
        for n, (text, lead_in) in enumerate(units_with_lead_in(chunk.text)):
            ids.append(f"{chunk.chunk_id}#{n}")
            texts.append(text)
            said = f"{lead_in.rstrip(':.')}: {text}" if lead_in else text
            embedded.append(f"{chunk.title}: {said}")  # the page it is on: "Aromatase inhibitors: …: Hot flashes"
            metas.append({"doc_id": chunk.doc_id, "chunk_id": chunk.chunk_id, "n": n})
    return ids, texts, embedded, metas


@lru_cache(maxsize=4)
def shared_client(chroma_dir: str):
    """One embedded Chroma client per data directory per process."""
    return open_client(Path(chroma_dir))
