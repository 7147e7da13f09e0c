"""Parse one file into ``SourceDocument`` objects; each format has one small reader.

Markdown files carry YAML front matter (see docs/CONTENT_GUIDE.md). A file that cannot be read
raises ``DocumentError`` naming the file and the reason, so ingest can report it and go on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

from chains.cancer_types import ANY, cancer_types
from chains.retrieval.index import Section, SourceDocument
from chains.text.pdf import extract_pdf_text

REQUIRED_KEYS = ("id", "title", "topics", "applies_to", "sources", "reviewed", "evidence")
EVIDENCE_LEVELS = (
    "standard of care",
    "guideline-supported option",
    "investigational",
    "not supported",
    "general information",
)
SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt", ".pdf", ".html", ".htm", ".jsonl")
_HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*#*\s*$")


class DocumentError(ValueError):
    """A file that cannot become a document; the message says which file and why."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "document"


def split_markdown_sections(body: str, default_heading: str) -> tuple[str | None, list[Section]]:
    """Split Markdown at ``##``/``###`` headings; returns the ``#`` title (if any) and sections."""
    title: str | None = None
    sections: list[Section] = []
    heading, lines = default_heading, []

    def flush() -> None:
        text = "\n".join(lines).strip()
        if text:
            sections.append(Section(heading, text))

    for line in body.splitlines():
        match = _HEADING.match(line)
        if match and len(match.group(1)) == 1 and title is None:
            title = match.group(2).strip()
            continue
        if match:
            flush()
            heading, lines = match.group(2).strip(), []
        else:
            lines.append(line)
    flush()
    return title, sections


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v).strip() for v in value if str(v).strip()]


def read_markdown(path: Path) -> Iterator[SourceDocument]:
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig")
    if not text.startswith("---"):
        title, sections = split_markdown_sections(text, "Overview")
        if not sections:
            raise DocumentError(path, "no text")
        yield SourceDocument(_slug(path.stem), title or path.stem, sections, str(path), _hash(raw))
        return
    parts = text.split("---", 2)
    if len(parts) < 3:
        raise DocumentError(path, "front matter is not closed with '---'")
    try:
        meta = yaml.safe_load(parts[1]) or {}
    except yaml.YAMLError as exc:
        raise DocumentError(path, f"front matter is not valid YAML ({exc.__class__.__name__})") from exc
    if not isinstance(meta, dict):
        raise DocumentError(path, "front matter is not a mapping")
    missing = [key for key in REQUIRED_KEYS if not meta.get(key)]
    if missing:
        raise DocumentError(path, f"front matter lacks {', '.join(missing)}")
    if str(meta["evidence"]) not in EVIDENCE_LEVELS:
        raise DocumentError(path, f"evidence '{meta['evidence']}' is not one of {EVIDENCE_LEVELS}")
    reviewed = meta["reviewed"]
    if isinstance(reviewed, str):
        try:
            reviewed = dt.date.fromisoformat(reviewed)
        except ValueError as exc:
            raise DocumentError(path, f"reviewed '{reviewed}' is not a date (YYYY-MM-DD)") from exc
    sources = meta["sources"]
    if not isinstance(sources, list) or not all(isinstance(s, dict) and s.get("name") for s in sources):
        raise DocumentError(path, "sources must be a list of {name, url}")
    title, sections = split_markdown_sections(parts[2], "Overview")
    if not sections:
        raise DocumentError(path, "no sections after the front matter")
    clean_sources = [{"name": str(s["name"]), "url": str(s.get("url", ""))} for s in sources]
    cancer_type = str(meta.get("cancer_type") or ANY)
    if cancer_type != ANY and cancer_types().get(cancer_type) is None:
        raise DocumentError(path, f"cancer_type '{cancer_type}' is not in chains/cancer_types.yaml (or 'any')")
    yield SourceDocument(
        doc_id=str(meta["id"]),
        title=str(meta["title"]) or title or path.stem,
        sections=sections,
        source_path=str(path),
        raw_bytes_hash=_hash(raw),
        topics=_as_list(meta["topics"]),
        applies_to=_as_list(meta["applies_to"]),
        evidence=str(meta["evidence"]),
        reviewed=reviewed.isoformat(),
        cancer_type=cancer_type,
        sources=clean_sources,
        url=next((s["url"] for s in clean_sources if s["url"]), ""),
    )


def _paragraph_sections(text: str, heading: str) -> list[Section]:
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return [Section(heading, "\n\n".join(paragraphs))] if paragraphs else []


def read_text(path: Path) -> Iterator[SourceDocument]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(path, "not UTF-8 text") from exc
    if "\x00" in text:
        raise DocumentError(path, "binary content in a text file")
    sections = _paragraph_sections(text, "Overview")
    if not sections:
        raise DocumentError(path, "no text")
    title = text.strip().splitlines()[0][:120]
    yield SourceDocument(_slug(path.stem), title, sections, str(path), _hash(raw))


def read_pdf(path: Path) -> Iterator[SourceDocument]:
    raw = path.read_bytes()
    try:
        pages = extract_pdf_text(raw)
    except Exception as exc:  # pypdf raises many types for damaged files
        raise DocumentError(path, f"unreadable PDF ({exc.__class__.__name__})") from exc
    sections = [Section(f"Page {i}", t) for i, t in enumerate(pages, 1) if t]
    if not sections:
        raise DocumentError(path, "no extractable text (image-only PDF?)")
    yield SourceDocument(_slug(path.stem), path.stem.replace("_", " "), sections, str(path), _hash(raw))


def read_html(path: Path) -> Iterator[SourceDocument]:
    from bs4 import BeautifulSoup

    raw = path.read_bytes()
    soup = BeautifulSoup(raw, "html.parser")
    for tag in soup(["script", "style", "nav", "footer", "header"]):
        tag.decompose()
    title_tag = soup.find("h1") or soup.find("title")
    title = title_tag.get_text(" ", strip=True) if title_tag else path.stem
    sections: list[Section] = []
    heading, buffer = "Overview", []
    for element in soup.find_all(["h2", "h3", "p", "li"]):
        if element.name in ("h2", "h3"):
            if buffer:
                sections.append(Section(heading, "\n".join(buffer)))
            heading, buffer = element.get_text(" ", strip=True), []
        else:
            text = element.get_text(" ", strip=True)
            if text:
                buffer.append(f"- {text}" if element.name == "li" else text)
    if buffer:
        sections.append(Section(heading, "\n".join(buffer)))
    if not sections:
        raise DocumentError(path, "no text in HTML")
    yield SourceDocument(_slug(path.stem), title, sections, str(path), _hash(raw))


def read_jsonl(path: Path) -> Iterator[SourceDocument]:
    """One document per line: ``{"id", "title", "text"|"answer", "section"?, "url"?, ...}``."""
    with path.open("rb") as handle:
        for line_no, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DocumentError(path, f"line {line_no} is not JSON") from exc
            text = record.get("text") or record.get("answer")
            if not isinstance(record, dict) or not record.get("id") or not text:
                raise DocumentError(path, f"line {line_no} needs 'id' and 'text'")
            heading = str(record.get("section") or "Overview")
            yield SourceDocument(
                doc_id=str(record["id"]),
                title=str(record.get("title") or record["id"]),
                sections=_paragraph_sections(str(text), heading),
                source_path=str(path),
                raw_bytes_hash=_hash(line),
                topics=_as_list(record.get("topics")),
                applies_to=_as_list(record.get("applies_to")) or ["all"],
                evidence=str(record.get("evidence") or "general information"),
                reviewed=str(record.get("reviewed") or ""),
                sources=[{"name": str(record.get("source") or path.name), "url": str(record.get("url", ""))}],
                url=str(record.get("url", "")),
            )


READERS: dict[str, Callable[[Path], Iterator[SourceDocument]]] = {
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".txt": read_text,
    ".pdf": read_pdf,
    ".html": read_html,
    ".htm": read_html,
    ".jsonl": read_jsonl,
}


def load_file(path: Path) -> list[SourceDocument]:
    """All documents in one file, or ``DocumentError`` naming the file and the reason."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise DocumentError(path, f"unsupported file type '{path.suffix}'")
    try:
        return list(reader(path))
    except DocumentError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        raise DocumentError(path, f"cannot read ({exc.__class__.__name__}: {exc})") from exc


def discover(paths: list[Path]) -> list[Path]:
    """Supported files under the given files or folders, sorted; README files are not content."""
    found: list[Path] = []
    for root in paths:
        candidates = [root] if root.is_file() else sorted(root.rglob("*"))
        for path in candidates:
            if path.is_file() and path.suffix.lower() in SUPPORTED_SUFFIXES:
                if path.name.lower().startswith("readme"):
                    continue
                found.append(path)
    return found
