"""The full page loads nothing from other hosts: no public CDN fonts or KaTeX, which fail offline and
tell third parties that a patient opened a cancer chat.

Chainlit 2.12's page template (``chainlit/frontend/dist/index.html``) links Google Fonts (with
preconnects) and KaTeX's stylesheet from jsDelivr, and its settings cannot remove them: ``public/theme.json``
replaces only the font link. OncoGuide renders no LaTeX (``[features] latex = false``) and uses the
system font stack, so every ``<link>`` to another host is dropped from the page as it is served. The
widget reads ``public/theme.json`` instead, whose non-empty ``custom_fonts`` keeps it from adding Google
Fonts (see docs/WIDGET.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import chainlit.server as chainlit_server

# A <link> whose href is absolute (http:, https: or protocol-relative), i.e. on another host.
EXTERNAL_LINK = re.compile(r"\s*<link\b[^>]*?\bhref=\"(?:https?:)?//[^\"]*\"[^>]*>", re.IGNORECASE)


def without_external_links(html: str) -> str:
    return EXTERNAL_LINK.sub("", html)


def serve_own_assets_only() -> None:
    """Wrap Chainlit's page template so the page it serves links only the app's own files (idempotent)."""
    original: Callable[[str], str] = chainlit_server.get_html_template
    if getattr(original, "oncoguide_own_assets_only", False):
        return

    def get_html_template(root_path: str) -> str:
        return without_external_links(original(root_path))

    get_html_template.oncoguide_own_assets_only = True  # type: ignore[attr-defined]
    chainlit_server.get_html_template = get_html_template
