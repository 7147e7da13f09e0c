"""Which Chroma the index lives in: a Chroma server when ``CHROMA_URL`` is set, else the embedded one.

Ingest (``loaders.ingest``) and serving (``chains.retrieval.knowledge_base``) both open their client here, so a
deployment switches both with one setting. The server is ``chroma run --path DIR --host H --port P``
(the ``chroma`` command ships with the ``chromadb`` package); with several app processes it is the one
index they all read, built once by ``python -m loaders.ingest`` run with the same ``CHROMA_URL``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from chains.retrieval.index import open_client
from chains.settings import get_settings


def server_address(url: str) -> tuple[str, int, bool]:
    """Host, port and whether TLS is used, from a URL such as ``http://chroma.internal:8001``."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"CHROMA_URL must look like http://host:port, not {url!r}")
    ssl = parts.scheme == "https"
    return parts.hostname, parts.port or (443 if ssl else 8000), ssl


def open_server_client(url: str):
    """A client of the Chroma server at ``url`` (no telemetry)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    host, port, ssl = server_address(url)
    return chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=ChromaSettings(anonymized_telemetry=False))


def chroma_client(chroma_dir: Path | None = None, url: str | None = None):
    """A new client: the server at ``url`` (default: the ``CHROMA_URL`` setting), else the embedded
    Chroma in ``chroma_dir`` (default: the data directory's)."""
    settings = get_settings()
    url = url if url is not None else settings.chroma_url
    if url:
        return open_server_client(url)
    return open_client(chroma_dir or settings.chroma_dir)


@lru_cache(maxsize=4)
def _shared(chroma_dir: str, url: str | None):
    return chroma_client(Path(chroma_dir), url or "")


def shared_chroma_client(chroma_dir: Path | str | None = None):
    """One client per process for serving (per data directory, or per server URL when one is set)."""
    settings = get_settings()
    return _shared(str(chroma_dir or settings.chroma_dir), settings.chroma_url)


def forget_clients() -> None:
    """Drop the cached clients (a failed start-up build may have cached a half-built one)."""
    from chains.retrieval.index import shared_client

    _shared.cache_clear()
    shared_client.cache_clear()
