"""The text of a PDF, page by page (pypdf): shared by the ingest's PDF reader (``loaders.documents``) and the
uploaded records a patient attaches (``chains.ui.records``), so neither imports the other."""

from __future__ import annotations

import io

from pypdf import PdfReader


def extract_pdf_text(data: bytes) -> list[str]:
    """Text of each page of a PDF (empty strings for image-only pages)."""
    reader = PdfReader(io.BytesIO(data))
    return [(page.extract_text() or "").strip() for page in reader.pages]
