"""Prompt and fixed-text files, each read once per process."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml

PROMPT_DIR = Path(__file__).parent


@cache
def load_prompt(name: str) -> str:
    """The text of ``chains/prompts/<name>``, stripped of a trailing newline."""
    return (PROMPT_DIR / name).read_text(encoding="utf-8").rstrip("\n")


@cache
def question_kind(name: str) -> re.Pattern[str]:
    """The cue of one kind of question in ``question_kinds.yaml`` ("definition", "general_topic")."""
    return re.compile(yaml.safe_load(load_prompt("question_kinds.yaml"))[name], re.IGNORECASE)
