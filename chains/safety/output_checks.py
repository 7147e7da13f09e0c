"""Output checks on every generated answer: no HTML, citations only to retrieved sources, no dosing or
start/stop directives, no system-prompt text. Rules live in ``output_rules.yaml``."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from chains.prompts import PROMPT_DIR
from chains.text.rules import load_rules

RULES = load_rules(Path(__file__).parent / "output_rules.yaml")
_HTML = RULES["html"]
_DIRECTIVE_OUT = RULES["directive_out"]
_CITATION = RULES["citation"]
_SHINGLE = 12  # words in a row shared with the system prompt that count as disclosure


@cache
def _prompt_shingles() -> frozenset[tuple[str, ...]]:
    """Every run of ``_SHINGLE`` words in the system prompt; none may appear in an answer."""
    words = re.findall(r"\w+", (PROMPT_DIR / "answer_system.md").read_text(encoding="utf-8").lower())
    return frozenset(tuple(words[i : i + _SHINGLE]) for i in range(len(words) - _SHINGLE + 1))


def _discloses_prompt(text: str) -> bool:
    words = re.findall(r"\w+", text.lower())
    shingles = _prompt_shingles()
    return any(tuple(words[i : i + _SHINGLE]) in shingles for i in range(len(words) - _SHINGLE + 1))


def contains_directive(text: str) -> bool:
    """An instruction to the patient to start, stop, skip or change a medicine, or to take a given dose."""
    return bool(_DIRECTIVE_OUT.search(text))


def check_generated_answer(text: str, allowed_citations: set[int]) -> list[str]:
    """Problems that stop a generated answer from being shown (empty list: it may be shown)."""
    problems = []
    if not text.strip():
        problems.append("empty answer")
    if _HTML.search(text):
        problems.append("HTML or script in the answer")
    cited = {int(n) for n in _CITATION.findall(text)}
    if not cited:
        problems.append("no citations")
    if cited - allowed_citations:
        problems.append(f"citations to sources that were not retrieved: {sorted(cited - allowed_citations)}")
    if contains_directive(text):
        problems.append("a dosing or start/stop directive")
    if _discloses_prompt(text):
        problems.append("system prompt text disclosed")
    return problems


def display_safe(text: str) -> str:
    """The patient's own words, made safe to quote back inside Markdown: no tags, no script links."""
    return re.sub(r"javascript\s*:", "javascript :", text.replace("<", "‹").replace(">", "›"), flags=re.IGNORECASE)


def unsafe_fragment(text: str) -> str | None:
    """Why a piece of generated text must not be shown even for a moment (None: it may be shown)."""
    if _HTML.search(text):
        return "HTML or script"
    if contains_directive(text):
        return "a dosing or start/stop directive"
    return None
