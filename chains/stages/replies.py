"""The replies a turn can end with, built from the prompt files and the deployment's numbers."""

from __future__ import annotations

import json
import re
from functools import cache

import yaml

from chains.answer.base import AnswerDraft, disclaimer, sources_block
from chains.cancer_types import ANY, CancerType, cancer_types
from chains.prompts import load_prompt
from chains.settings import Settings
from chains.stages.turn import Turn
from chains.text.normalise import short_form
from chains.triage.grading import Triage
from chains.types import Reply, ReplyKind
from chains.understand.language import LanguageCheck, language_name

STARTER_QUESTIONS = [
    "What are the treatment options for prostate cancer?",
    "What are the side effects of immunotherapy?",
    "How does CAR-T cell therapy work?",
    "How do I find a clinical trial?",
]

_OPENS_LIST = re.compile(r":\s*(?:\[\d+\]\s*)*$")  # "Scans may include: [1]"


@cache
def _cancer_notes() -> dict[str, str]:
    return yaml.safe_load(load_prompt("cancer_notes.yaml"))


def which_cancer_question(seen: list[CancerType]) -> tuple[str, list[str]]:
    """The question asked when an answer depends on the cancer type and none is known, with its buttons:
    the types the retrieved pages are about first, then the commonest, then "Another cancer"."""
    notes = _cancer_notes()
    labels = list(dict.fromkeys([t.label for t in seen] + [t.label for t in cancer_types().in_library()]))[:6]
    return notes["which_cancer"], [*labels, notes["another_cancer"]]


def cancer_note(asked: CancerType | None, cited_types: list[str]) -> str | None:
    """The line that says which cancer an answer is about, or that the library lacks the one asked about."""
    notes = _cancer_notes()
    if asked is not None and not asked.in_library:
        key = "not_in_library" if cited_types else "not_in_library_only"
        return notes[key].format(name=asked.name, learn_more=asked.learn_more)
    specific = [cancer_types().get(t) for t in dict.fromkeys(cited_types) if t != ANY]
    found = [t for t in specific if t is not None]
    if not found or (asked is None and cited_types[0] == ANY):  # led by pages written for every cancer
        return notes["general"].format(name=asked.name) if asked is not None else None
    if asked is not None and asked not in found:
        return notes["other_type"].format(asked=asked.name, found=found[0].name)
    return notes["about"].format(name=(asked or found[0]).name)


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
    short = short_form(text)
    if short.startswith(("hi", "hello", "hey", "good")):
        return _small_talk_texts()["greeting"], STARTER_QUESTIONS[:3]
    key = "thanks" if "thank" in short or short in ("thx", "ty") else "ack"
    return _small_talk_texts()[key], []


def assemble(
    draft: AnswerDraft, notes: list[str], after_lead: list[str] | None = None, about: str | None = None
) -> str:
    """The answer as the patient sees it: which cancer it is about, notes that must come first, the answer's
    lead (with the list it opens, if it ends in a colon), notes that belong right after it (who decides
    about starting or stopping, reading one's own results), the rest of the body, the disclaimer and the sources."""
    parts = [about] if about else []
    parts.extend(f"**A note first:** {note}" for note in notes)
    if draft.notice:
        parts.append(f"*{draft.notice}*")
    lead, _, rest = draft.text.partition("\n\n")
    if _OPENS_LIST.search(lead) and rest:  # a lead that opens a list keeps its list before any note
        first, _, rest = rest.partition("\n\n")
        lead = f"{lead}\n\n{first}"
    parts.append(lead)
    parts.extend(f"**Please note:** {note}" for note in after_lead or [])
    if rest:
        parts.append(rest)
    parts.append(disclaimer())
    if draft.sources:
        parts.append(sources_block(draft.sources))
    return "\n\n".join(parts)
