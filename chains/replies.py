"""The replies a turn can end with, built from the prompt files and the deployment's numbers."""

from __future__ import annotations

import json
from functools import cache

from chains.answer_base import AnswerDraft, disclaimer, sources_block
from chains.clarify import normalise_short
from chains.language import LanguageCheck, language_name
from chains.prompts import load_prompt
from chains.settings import Settings
from chains.triage.grading import Triage
from chains.turn import Turn
from chains.types import Reply, ReplyKind

STARTER_QUESTIONS = [
    "How does CAR-T cell therapy work for breast cancer?",
    "What are the side effects of ribociclib?",
    "What lifestyle changes are recommended for breast cancer patients?",
    "How do I find the best clinical trial for breast cancer?",
]


@cache
def _small_talk_texts() -> dict[str, str]:
    texts = {}
    for line in load_prompt("small_talk.md").splitlines():
        key, _, value = line.partition(":")
        texts[key.strip()] = value.strip()
    return texts


@cache
def _not_english_lines() -> dict[str, str]:
    """The same note in the patient's language, where we have it (chains/prompts/not_english_lines.json)."""
    return json.loads(load_prompt("not_english_lines.json"))


def reply(
    settings: Settings,
    turn: Turn,
    kind: ReplyKind,
    text: str,
    remember: str | None,
    options: list[str] | None = None,
    suggestions: list[str] | None = None,
) -> Reply:
    """A reply that ends the turn before an answer; ``remember`` is the patient's message to keep in memory."""
    if remember is not None:
        turn.state.remember_turn(remember, text, None, settings.history_max_tokens)
    return Reply(
        session=turn.state.session_id,
        kind=kind,
        text=text,
        options=options or [],
        suggestions=suggestions or [],
        profile=turn.state.profile.to_dict(),
        timings_ms=turn.timings,
    )


def emergency_text(settings: Settings, triage: Triage) -> str:
    template = load_prompt("crisis.md" if triage.crisis else "emergency.md")
    return template.format(
        care_team_line=settings.care_team_line,
        emergency_number=settings.emergency_number,
        crisis_line=settings.crisis_line,
        reason=triage.category.reason,
    )


def amber_text(settings: Settings, triage: Triage) -> str:
    return load_prompt("amber.md").format(
        what=triage.category.amber or triage.category.name,
        care_team_line=settings.care_team_line,
        emergency_number=settings.emergency_number,
    )


def not_english_text(settings: Settings, language: LanguageCheck) -> str:
    text = load_prompt("not_english.md").format(
        language=language_name(language),
        care_team_line=settings.care_team_line,
        emergency_number=settings.emergency_number,
    )
    own = _not_english_lines().get(language.language or "")
    return text + ("\n\n" + own.format(emergency_number=settings.emergency_number) if own else "")


def small_talk_text(text: str) -> tuple[str, list[str]]:
    """The reply to a greeting, thanks or acknowledgement, and the starter questions after a greeting."""
    short = normalise_short(text)
    if short.startswith(("hi", "hello", "hey", "good")):
        return _small_talk_texts()["greeting"], STARTER_QUESTIONS[:3]
    key = "thanks" if "thank" in short or short in ("thx", "ty") else "ack"
    return _small_talk_texts()[key], []


def assemble(draft: AnswerDraft, notes: list[str], after_lead: list[str] | None = None) -> str:
    """The answer as the patient sees it: notes that must come first, the answer's lead, notes that belong
    right after it (who decides about starting or stopping, reading one's own results), the rest of the body,
    the disclaimer and the sources."""
    parts = [f"**A note first:** {note}" for note in notes]
    if draft.notice:
        parts.append(f"*{draft.notice}*")
    lead, _, rest = draft.text.partition("\n\n")
    parts.append(lead)
    parts.extend(f"**Please note:** {note}" for note in after_lead or [])
    if rest:
        parts.append(rest)
    parts.append(disclaimer())
    if draft.sources:
        parts.append(sources_block(draft.sources))
    return "\n\n".join(parts)
