"""Where a conversation's elements (source cards, files) are kept, so a resumed thread shows them again.

Chainlit's SQLAlchemy data layer stores an element's row in the database and its content through a
storage client; without one it stores nothing ("No blob_storage_client is configured!") and a resumed
thread loses its source cards. ``ONCOGUIDE_FILE_STORE`` chooses the client:

- ``local`` (default): files under ``<data_dir>/files``, served back by this app at ``/oncoguide/files/…``
  through links signed with the deployment's secret that expire (as an object store's presigned links do),
  so only the patient whose thread it is, who is given the link with the thread, can read them;
- ``s3``: the bucket ``ONCOGUIDE_FILE_STORE_BUCKET`` through Chainlit's own S3 client, mended in
  ``chains/ui/s3_store.py`` (``boto3``, installed by the deployment that uses it; region, credentials and
  any S3-compatible endpoint from the usual AWS_* environment: ``AWS_DEFAULT_REGION``, ``AWS_ENDPOINT_URL``);
- ``none``: elements are not kept.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from chainlit.data.storage_clients.base import BaseStorageClient, storage_expiry_time

from chains.settings import Settings

log = logging.getLogger("oncoguide.files")
ROUTE = "/oncoguide/files"


def _signing_key() -> bytes:
    """A key for file links, derived from the secret Chainlit signs sign-in tokens with."""
    secret = os.environ.get("CHAINLIT_AUTH_SECRET", "")
    if not secret:
        raise RuntimeError("CHAINLIT_AUTH_SECRET is not set: file links cannot be signed")
    return hmac.new(secret.encode(), b"oncoguide-file-links", hashlib.sha256).digest()


def sign(object_key: str, expires: int) -> str:
    return hmac.new(_signing_key(), f"{object_key}\n{expires}".encode(), hashlib.sha256).hexdigest()


def link_is_valid(object_key: str, expires: int, signature: str, now: float | None = None) -> bool:
    if expires < (time.time() if now is None else now):
        return False
    return hmac.compare_digest(sign(object_key, expires), signature)


class LocalFileStore(BaseStorageClient):
    """Element content as files under one directory; read back through signed, expiring links."""

    def __init__(self, root: Path, public_url: str = "") -> None:
        self.root = root
        self.public_url = public_url.rstrip("/")

    def path_for(self, object_key: str) -> Path:
        """The file of ``object_key``; each part percent-encoded, so no key can reach outside the root."""
        parts = [p for p in object_key.split("/") if p]
        if not parts or any(p in (".", "..") for p in parts):
            raise ValueError(f"not a valid object key: {object_key!r}")
        return self.root.joinpath(*(quote(p, safe="") for p in parts))

    async def upload_file(
        self,
        object_key: str,
        data: bytes | str,
        mime: str = "application/octet-stream",
        overwrite: bool = True,
        content_disposition: str | None = None,
    ) -> dict[str, Any]:
        path = self.path_for(object_key)
        if path.exists() and not overwrite:
            return {"object_key": object_key, "url": await self.get_read_url(object_key)}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        path.with_name(path.name + ".meta.json").write_text(json.dumps({"mime": mime}))
        # The stored URL is only a fallback: the data layer asks get_read_url for a fresh link on every read.
        return {"object_key": object_key, "url": ""}

    async def delete_file(self, object_key: str) -> bool:
        path = self.path_for(object_key)
        existed = path.exists()
        path.unlink(missing_ok=True)
        path.with_name(path.name + ".meta.json").unlink(missing_ok=True)
        return existed

    async def get_read_url(self, object_key: str) -> str:
        expires = int(time.time()) + storage_expiry_time
        key = "/".join(quote(p, safe="") for p in object_key.split("/") if p)
        return f"{self.public_url}{ROUTE}/{key}?expires={expires}&signature={sign(object_key, expires)}"

    def read(self, object_key: str) -> tuple[bytes, str] | None:
        path = self.path_for(object_key)
        if not path.is_file():
            return None
        meta_path = path.with_name(path.name + ".meta.json")
        mime = json.loads(meta_path.read_text()).get("mime") if meta_path.exists() else None
        return path.read_bytes(), mime or "application/octet-stream"

    async def close(self) -> None:
        return None


def storage_client(settings: Settings) -> BaseStorageClient | None:
    """The storage client the deployment chose (see the module docstring)."""
    if settings.file_store == "none":
        return None
    if settings.file_store == "s3":
        if not settings.file_store_bucket:
            raise ValueError("ONCOGUIDE_FILE_STORE=s3 needs ONCOGUIDE_FILE_STORE_BUCKET")
        try:
            from chains.ui.s3_store import S3FileStore
        except ImportError as exc:  # boto3 is not part of the default install
            raise RuntimeError("ONCOGUIDE_FILE_STORE=s3 needs boto3: pip install boto3") from exc
        return S3FileStore(bucket=settings.file_store_bucket)
    from chainlit.config import config

    public_url = os.environ.get("CHAINLIT_URL", "").rstrip("/") + config.run.root_path
    store = LocalFileStore(settings.data_dir / "files", public_url)
    serve_local_files(store)
    return store


def serve_local_files(store: LocalFileStore) -> None:
    """Add the route that serves ``store``'s files to Chainlit's app, ahead of its catch-all page route."""
    import chainlit.server as chainlit_server
    from fastapi import HTTPException, Response
    from fastapi.routing import APIRoute

    app = chainlit_server.app
    path = f"{chainlit_server.config.run.root_path}{ROUTE}/{{object_key:path}}"
    if any(getattr(r, "path", None) == path for r in app.router.routes):
        return

    async def read_file(object_key: str, expires: int, signature: str) -> Response:
        key = unquote(object_key)
        try:
            valid = link_is_valid(key, expires, signature)
            found = store.read(key) if valid else None
        except ValueError:
            valid, found = False, None
        if not valid:
            raise HTTPException(status_code=403, detail="This link is not valid or has expired")
        if found is None:
            raise HTTPException(status_code=404, detail="File not found")
        data, mime = found
        headers = {
            "Cache-Control": "private, max-age=300",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
        }
        return Response(content=data, media_type=mime, headers=headers)

    route = APIRoute(path, read_file, methods=["GET"])
    # Before Chainlit's router (whose last route serves the page for any path); depending on the FastAPI
    # version its routes are copied into the app's (find the catch-all) or kept as one included router.
    first = next(
        (
            i
            for i, r in enumerate(app.router.routes)
            if not hasattr(r, "path") or str(getattr(r, "path", "")).endswith("{full_path:path}")
        ),
        len(app.router.routes),
    )
    app.router.routes.insert(first, route)
