"""Ingest throughput against the embedding model's raw speed, and a re-ingest of the unchanged library.

    .venv/bin/python -m bench.ingest_speed

1. **Raw speed**: every text ``loaders.ingest`` embeds for the library (each chunk's embedded text and each sentence
   or bullet of the sentence index) encoded by ``MiniLMEncoder.encode`` in one call (which batches them shortest
   first, the encoder's best case), nothing else.
2. **Ingest**: ``loaders.ingest`` of the same library into an empty temporary data directory (reading and chunking
   the documents, embedding, Chroma, the keyword index).
3. **Re-ingest** of the unchanged library into that directory (fingerprints compared, nothing embedded).

Issue 17 asks ingest to run at 80% or more of the raw speed, and a re-ingest of an unchanged library in 2 s or less.
The last line is ``ingest: texts=N raw_s=… ingest_s=… share=… reingest_s=…``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="oncoguide-ingest-"))
    os.environ["ONCOGUIDE_DATA_DIR"] = str(workdir)
    try:
        from chains.retrieval.embeddings import get_encoder
        from chains.retrieval.index import chunk_document, unit_records
        from chains.settings import get_settings
        from loaders.documents import discover, load_file
        from loaders.ingest import ingest

        settings = get_settings()
        documents = [doc for path in discover([settings.kb_dir]) for doc in load_file(path)]
        chunks = [chunk for doc in documents for chunk in chunk_document(doc)]
        texts = [c.embed_text for c in chunks] + unit_records(chunks)[2]
        encoder = get_encoder()
        encoder.encode(texts[:64])  # the model loads here, not in the timing
        started = time.perf_counter()
        encoder.encode(texts)
        raw = time.perf_counter() - started
        print(f"raw encoder: {len(texts):,} texts ({len(chunks):,} chunks and their sentences) in {raw:.1f}s")

        started = time.perf_counter()
        report = ingest([settings.kb_dir], chroma_dir=settings.chroma_dir, progress=False)
        full = time.perf_counter() - started
        print(f"ingest into an empty directory: {report.summary()} — {full:.1f}s")
        started = time.perf_counter()
        again = ingest([settings.kb_dir], chroma_dir=settings.chroma_dir, progress=False)
        reingest = time.perf_counter() - started
        print(f"re-ingest, library unchanged: {again.summary()} — {reingest:.2f}s")
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(
            f"ingest: texts={len(texts)} raw_s={raw:.1f} ingest_s={full:.1f} share={raw / full:.2f} "
            f"reingest_s={reingest:.2f}"
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
