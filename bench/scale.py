"""Retrieval at library sizes the project does not have yet: ``python -m bench.scale --chunks N``.

Builds an index of ``N`` chunks in a temporary directory: **synthetic copies of the real chunks** (those of the
data directory's index, built by ``loaders.ingest``). Copy ``k`` of a chunk belongs to document ``<doc>~<k>``, its
title and text carry the tag ``copy<k>``, and its vector is the real one plus Gaussian noise (sigma 0.02 per
component, cosine to the original about 0.93) renormalised; copy 0 is the real chunk. They are written straight to
Chroma (``collection.add`` with the vectors, in batches; nothing is embedded) and to the keyword index
(``chains.retrieval.keywords``), as ``loaders.ingest`` would write them. The sentence collection is not built (search does not
read it).

Then a **separate process** opens ``KnowledgeBase`` on that index as the app does and runs the questions of
tests/data/retrieval_cases.jsonl (200 by default) through ``KnowledgeBase.search``, after one warm-up query that
loads the embedding model and the HNSW index. It reports retrieval p50/p95 (embedding the question included), the
CPU time per query (the wall time depends on what else the machine runs; the load average is printed) and its peak
RSS (VmHWM). The last line is ``scale: chunks=N p50_ms=… p95_ms=… rss_mb=…``.

    .venv/bin/python -m bench.scale --chunks 10000
    .venv/bin/python -m bench.scale --chunks 100000 --keep /tmp/scale-100k     # keep the index, reuse it next run
    .venv/bin/python -m bench.scale --chunks 100000 --chroma-url http://127.0.0.1:8000   # Chroma as a server

With ``--chroma-url`` the vectors go to that Chroma server (``chromadb.HttpClient``) and the app process queries it
there; the keyword index stays a local file, as in an app server.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "data" / "retrieval_cases.jsonl"
COLLECTION = "scale_bench"
NOISE = 0.02
BATCH = 2000
# The app's HNSW configuration (chains.index.HNSW: ef_search 200, the same at query time), saved every 100,000
# additions instead of every 100: each save rewrites the HNSW files, which at a million vectors would be quadratic.
# A build of a multiple of 100,000 chunks leaves nothing to re-insert when the measuring process opens it.
BUILD_SYNC = 100_000


def chroma_client(chroma_dir: Path, url: str | None):
    """An embedded client on ``chroma_dir``, or a client of the Chroma server at ``url`` (as the app opens them)."""
    from chains.retrieval.chroma_client import chroma_client as open_chroma

    return open_chroma(chroma_dir, url or "")


def real_chunks():
    """The data directory's chunks (keyword index) and their vectors (Chroma), in the same order."""
    from chains.retrieval.index import COLLECTION_NAME, open_client, open_collection
    from chains.retrieval.keywords import KeywordIndex, keyword_index_path
    from chains.settings import get_settings

    settings = get_settings()
    keywords = KeywordIndex(keyword_index_path(settings.chroma_dir, COLLECTION_NAME))
    chunks = [c for doc_id in keywords.document_ids() for c in keywords.document_chunks(doc_id)]
    if not chunks:
        raise SystemExit("the data directory has no index: run `python -m loaders.ingest` first")
    collection = open_collection(open_client(settings.chroma_dir), COLLECTION_NAME)
    vectors: dict[str, np.ndarray] = {}
    for start in range(0, len(chunks), 500):
        part = [c.chunk_id for c in chunks[start : start + 500]]
        records = collection.get(ids=part, include=["embeddings"])
        vectors.update(zip(records["ids"], np.asarray(records["embeddings"], dtype=np.float32), strict=True))
    return chunks, np.stack([vectors[c.chunk_id] for c in chunks])


def build(n: int, chroma_dir: Path, url: str | None) -> float:
    """Write ``n`` synthetic chunks to Chroma and the keyword index; returns the seconds it took."""
    from chains.retrieval.index import HNSW, Chunk, open_collection
    from chains.retrieval.keyword_writer import KeywordWriter
    from chains.retrieval.keywords import keyword_index_path

    started = time.perf_counter()
    chunks, vectors = real_chunks()
    client = chroma_client(chroma_dir, url)
    with contextlib.suppress(Exception):  # not there yet
        client.delete_collection(COLLECTION)
    collection = open_collection(client, COLLECTION, {**HNSW, "batch_size": BATCH, "sync_threshold": BUILD_SYNC})
    keywords = KeywordWriter(keyword_index_path(chroma_dir, COLLECTION))
    rng = np.random.default_rng(17)
    written = 0
    copy = 0
    while written < n:
        batch: list[Chunk] = []
        batch_vectors: list[np.ndarray] = []
        docs: dict[str, list[Chunk]] = {}
        for chunk, vector in zip(chunks, vectors, strict=True):
            if written + len(batch) >= n:
                break
            if copy:
                tag = f"copy{copy}"
                doc_id = f"{chunk.doc_id}~{copy}"
                title = f"{chunk.title} {tag}"
                meta = {**chunk.metadata, "doc_id": doc_id, "title": title, "fingerprint": tag}
                chunk = Chunk(
                    chunk.chunk_id.replace("::", f"~{copy}::", 1),
                    doc_id,
                    title,
                    chunk.heading,
                    f"{chunk.text} {tag}",
                    meta,
                )
                vector = vector + rng.normal(0.0, NOISE, vector.shape).astype(np.float32)
                vector /= np.linalg.norm(vector)
            batch.append(chunk)
            batch_vectors.append(vector)
            docs.setdefault(chunk.doc_id, []).append(chunk)
        for start in range(0, len(batch), BATCH):
            part = batch[start : start + BATCH]
            collection.add(
                ids=[c.chunk_id for c in part],
                embeddings=[v.tolist() for v in batch_vectors[start : start + BATCH]],
                documents=[c.embed_text for c in part],
                metadatas=[{**c.metadata, "text": c.text} for c in part],
            )
        keywords.add_bulk(
            (doc_id, str(part[0].metadata.get("fingerprint", "")), "", part) for doc_id, part in docs.items()
        )
        written += len(batch)
        copy += 1
        print(f"  {written:,} chunks written ({time.perf_counter() - started:.0f}s)", file=sys.stderr)
    keywords.refresh_stats()
    keywords.close()
    return time.perf_counter() - started


def serve(chroma_dir: Path, url: str | None, queries: int) -> dict[str, float]:
    """In the measuring process: open the knowledge base as the app does, time ``search`` over the questions."""
    from chains.retrieval.knowledge_base import KnowledgeBase

    questions = [json.loads(line)["question"] for line in CASES.read_text(encoding="utf-8").splitlines() if line]
    questions = (questions * (queries // len(questions) + 1))[:queries]
    opened = time.perf_counter()
    kb = KnowledgeBase.open(chroma_dir, COLLECTION, **({"client": chroma_client(chroma_dir, url)} if url else {}))
    kb.search("warm-up: what is chemotherapy")  # the embedding model and the HNSW index load here
    first = time.perf_counter() - opened
    timings, cpu = [], []
    load = os.getloadavg()[0]
    for question in questions:
        started, started_cpu = time.perf_counter(), time.process_time()
        kb.search(question)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    timings.sort()
    cpu.sort()
    return {
        "chunks": len(kb),
        "p50_ms": statistics.median(timings),
        "p95_ms": timings[int(0.95 * (len(timings) - 1))],
        "cpu_p50_ms": statistics.median(cpu),
        "cpu_p95_ms": cpu[int(0.95 * (len(cpu) - 1))],
        "load": (load + os.getloadavg()[0]) / 2,
        "first_s": first,
        "rss_mb": peak_rss_mb(),
    }


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Retrieval latency and memory at N synthetic chunks.")
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--chroma-url", help="a Chroma server (http://host:port) instead of the embedded client")
    parser.add_argument("--keep", type=Path, help="build the index here and keep it; reused when it has N chunks")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)  # the measuring process, on this directory
    args = parser.parse_args(argv)
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    if args.serve:
        print(json.dumps(serve(args.serve, args.chroma_url, args.queries)))
        return 0

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="oncoguide-scale-"))
    chroma_dir = workdir / "chroma"
    try:
        from chains.retrieval.keywords import KeywordIndex, keyword_index_path

        existing = keyword_index_path(chroma_dir, COLLECTION)
        have = len(KeywordIndex(existing)) if existing.exists() else 0
        if have == args.chunks:  # with --chroma-url, the server is expected to serve this directory's Chroma
            print(f"reusing the index of {have:,} chunks in {workdir}", file=sys.stderr)
        else:
            print(f"building {args.chunks:,} synthetic chunks in {workdir} ...", file=sys.stderr)
            seconds = build(args.chunks, chroma_dir, args.chroma_url)
            print(
                f"built {args.chunks:,} chunks in {seconds:.0f}s ({args.chunks / seconds:,.0f} chunks/s): synthetic "
                f"copies of the real chunks, vectors perturbed (sigma {NOISE}) and renormalised, nothing embedded"
            )
        command = [sys.executable, "-m", "bench.scale", "--serve", str(chroma_dir), "--queries", str(args.queries)]
        if args.chroma_url:
            command += ["--chroma-url", args.chroma_url]
        out = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout
        result = json.loads(out.strip().splitlines()[-1])
        size = sum(f.stat().st_size for f in workdir.rglob("*") if f.is_file()) / 2**20
        print(
            f"{args.queries} questions of {CASES.name} through KnowledgeBase.search in a separate process "
            f"({'Chroma server ' + args.chroma_url if args.chroma_url else 'embedded Chroma'}); "
            f"open + first query {result['first_s']:.1f}s; index on disk {size:,.0f} MB"
        )
        print(
            f"CPU time of the searching process per query: p50 {result['cpu_p50_ms']:.1f} ms, p95 "
            f"{result['cpu_p95_ms']:.1f} ms (wall time below; machine load average {result['load']:.1f} "
            f"on {os.cpu_count()} cores while measuring)"
        )
        print(
            f"scale: chunks={result['chunks']} p50_ms={result['p50_ms']:.1f} p95_ms={result['p95_ms']:.1f} "
            f"rss_mb={result['rss_mb']:.0f}"
        )
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
