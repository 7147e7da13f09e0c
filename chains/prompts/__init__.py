"""Prompt and fixed-text files, each read once per process."""

from __future__ import annotations

from functools import cache
from pathlib import Path

PROMPT_DIR = Path(__file__).parent


@cache
def load_prompt(name: str) -> str:
    """The text of ``chains/prompts/<name>``, stripped of a trailing newline."""
    return (PROMPT_DIR / name).read_text(encoding="utf-8").rstrip("\n")
