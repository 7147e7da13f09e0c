"""The S3 object store for a thread's elements (``ONCOGUIDE_FILE_STORE=s3``): Chainlit's S3 client, mended.

Imported only when the deployment chooses S3, since ``boto3`` is not part of the default install. Chainlit's
``S3StorageClient`` is used as it is for writing and for presigned reads, except that here

- the links are signed with Signature Version 4 in the bucket's region (``AWS_DEFAULT_REGION``, required):
  without a region boto3 signs for us-east-1 in the old Version 2, which buckets elsewhere refuse;
- the URL stored with an element is empty, as the local store's: Chainlit's is always
  ``https://<bucket>.s3.amazonaws.com/<key>``, wrong for any other endpoint and unreadable without a
  signature; every read asks for a fresh presigned link instead;
- closing does not fail at shutdown (Chainlit awaits boto3's ``close()``, which is not a coroutine);
- a client that cannot be made stops the app at start, instead of a warning and no store.

The endpoint (``AWS_ENDPOINT_URL``, for an S3-compatible server) and the credentials come from the usual
AWS environment, read by boto3.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config
from chainlit.data.storage_clients.s3 import S3StorageClient


class S3FileStore(S3StorageClient):
    """Element content in one bucket, read back through presigned links (SigV4, the bucket's region)."""

    def __init__(self, bucket: str, region: str | None = None) -> None:  # no super(): it hides a failed client
        region = region or boto3.session.Session().region_name
        if not region:
            raise ValueError("ONCOGUIDE_FILE_STORE=s3 needs the bucket's region: set AWS_DEFAULT_REGION")
        self.bucket = bucket
        self.client = boto3.client("s3", region_name=region, config=Config(signature_version="s3v4"))

    def sync_upload_file(
        self,
        object_key: str,
        data: bytes | str,
        mime: str = "application/octet-stream",
        overwrite: bool = True,
        content_disposition: str | None = None,
    ) -> dict[str, Any]:
        uploaded = super().sync_upload_file(object_key, data, mime, overwrite, content_disposition)
        # The stored URL is only a fallback: the data layer asks get_read_url for a fresh link on every read.
        return {**uploaded, "url": ""} if uploaded else uploaded

    async def close(self) -> None:
        self.client.close()
