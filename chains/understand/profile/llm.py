"""Optional structured profile extraction by the LLM, validated against the profile schema.

Runs only with an OpenAI-compatible endpoint configured (and ``ONCOGUIDE_LLM_PROFILE`` on). The
deterministic extractor always runs. The model can add facts it missed, but never remove or override
one. A model fact is kept only if two things hold:
- it passes the schema: canonical values only, and ``extra="forbid"``;
- the patient's own words carry it: a treatment must be named in the message, a receptor value needs a
  receptor word, a stage needs a stage word, and so on.
A fact the model invents is therefore dropped, and a wrong shape, a timeout or an error costs nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from pathlib import Path
from typing import Literal

from langchain_core.messages import HumanMessage
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chains.prompts import load_prompt
from chains.settings import Settings
from chains.text.rules import load_rules
from chains.understand.profile.cues import ME_WORD
from chains.understand.profile.facts import PatientProfile
from chains.understand.profile.patterns import (
    DOSE_CHANGE_VALUES,
    DURATION_PATTERN,
    GOAL_HINT,
    GOAL_VALUES,
    GRADE_VALUES,
    HISTOLOGY_VALUES,
    MENOPAUSE_HINT,
    MENOPAUSE_VALUES,
    RECEPTOR_HINT,
    RECEPTOR_VALUES,
    SIDE_EFFECT_VALUES,
    SITE,
    SITE_VALUES,
    SPREAD_VALUES,
    STAGE_VALUES,
)
from chains.understand.profile.treatments import named_treatments
from chains.understand.vocabulary import Vocabulary

_RULES = load_rules(Path(__file__).with_name("profile_rules.yaml"))  # the carrier words of a few fields

log = logging.getLogger("oncoguide.profile_llm")

Receptor = Literal[RECEPTOR_VALUES]  # type: ignore[valid-type]
Stage = Literal[STAGE_VALUES]  # type: ignore[valid-type]
Spread = Literal[SPREAD_VALUES]  # type: ignore[valid-type]
Site = Literal[SITE_VALUES]  # type: ignore[valid-type]
DoseChange = Literal[DOSE_CHANGE_VALUES]  # type: ignore[valid-type]
SideEffect = Literal[SIDE_EFFECT_VALUES]  # type: ignore[valid-type]
Menopause = Literal[MENOPAUSE_VALUES]  # type: ignore[valid-type]
Goal = Literal[GOAL_VALUES]  # type: ignore[valid-type]
Histology = Literal[HISTOLOGY_VALUES]  # type: ignore[valid-type]
Grade = Literal[GRADE_VALUES]  # type: ignore[valid-type]


class ProfileFacts(BaseModel):
    """The profile schema as the model must return it."""

    model_config = ConfigDict(extra="forbid")

    cancer_type: str | None = Field(None, pattern=r"^[a-z][a-z ]{2,40} cancer$")
    receptors: list[Receptor] = []
    stage: Stage | None = None
    histology: Histology | None = None
    grade: Grade | None = None
    spread: list[Spread] = []
    sites: list[Site] = []
    current_treatments: list[str] = []
    past_treatments: list[str] = []
    treatment_durations: dict[str, str] = {}
    dose_changes: list[DoseChange] = []
    dose_change_reasons: list[SideEffect] = []
    side_effects: list[SideEffect] = []
    menopausal_status: Menopause | None = None
    goals: list[Goal] = []
    sex: Literal["male"] | None = None


# Words in the message that must carry a model fact of each kind: the deterministic extractor's own pre-checks
# where it has them (receptors, menopause, goals, sites), and a few more for the fields it reads in one pass.
_CARRIERS = {
    "receptors": RECEPTOR_HINT,
    "menopausal_status": MENOPAUSE_HINT,
    "goals": GOAL_HINT,
    "sites": SITE,
    "stage": _RULES.rules["carrier.stage"].pattern,
    "grade": _RULES.rules["carrier.grade"].pattern,
    "spread": _RULES.rules["carrier.spread"].pattern,
    "dose_changes": _RULES.rules["carrier.dose_changes"].pattern,
    "sex": _RULES.rules["carrier.sex"].pattern,
}


class LLMProfileExtractor:
    """Asks the model for the profile schema as JSON and keeps only validated, grounded facts."""

    def __init__(self, settings: Settings, vocabulary: Vocabulary, chat_model=None) -> None:
        from chains.llm_client import build_chat_model

        self.settings = settings
        self.vocabulary = vocabulary
        self.chat_model = chat_model or build_chat_model(settings)

    def prompt(self, message: str) -> str:
        return load_prompt("profile_extract.md").format(
            receptors=_quoted(RECEPTOR_VALUES),
            stages=_quoted(STAGE_VALUES),
            histologies=_quoted(HISTOLOGY_VALUES),
            grades=_quoted(GRADE_VALUES),
            spread=_quoted(SPREAD_VALUES),
            sites=_quoted(SITE_VALUES),
            dose_changes=_quoted(DOSE_CHANGE_VALUES),
            side_effects=_quoted(SIDE_EFFECT_VALUES),
            menopause=_quoted(MENOPAUSE_VALUES),
            goals=_quoted(GOAL_VALUES),
            message=message,
        )

    async def extract(self, message: str) -> PatientProfile:
        """Grounded facts from the model; an empty profile when it fails, times out or answers off-schema."""
        if not ME_WORD.search(message):
            return PatientProfile()  # no statement about the patient to read
        try:
            async with asyncio.timeout(min(self.settings.llm_timeout_s, 15.0)):
                result = await self.chat_model.ainvoke([HumanMessage(self.prompt(message))])
        except Exception as exc:
            log.warning("LLM profile extraction failed (%s); keeping the deterministic facts", exc.__class__.__name__)
            return PatientProfile()
        facts = parse_facts(str(result.content))
        return ground(facts, message, self.vocabulary) if facts else PatientProfile()


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f'"{v}"' for v in values)


def parse_facts(reply: str) -> ProfileFacts | None:
    """The model's JSON object validated against the schema, or None."""
    text = reply.strip()
    fenced = re.search(r"\{.*\}", text, re.S)
    if not fenced:
        return None
    try:
        return ProfileFacts.model_validate(json.loads(fenced.group(0)))
    except (json.JSONDecodeError, ValidationError) as exc:
        log.info("LLM profile reply rejected: %s", str(exc).splitlines()[0])
        return None


def ground(facts: ProfileFacts, message: str, vocabulary: Vocabulary) -> PatientProfile:
    """Only the facts the message's own words carry."""
    named = named_treatments(message, vocabulary)
    profile = PatientProfile()
    cancer = facts.cancer_type
    if cancer and cancer.removesuffix(" cancer").split()[-1] in message.lower():
        profile.cancer_type = cancer
    for name in ("receptors", "spread", "sites", "dose_changes", "goals"):
        if _CARRIERS[name].search(message):
            setattr(profile, name, list(dict.fromkeys(getattr(facts, name))))
    if facts.stage and _CARRIERS["stage"].search(message):
        profile.stage = facts.stage
    if facts.grade and _CARRIERS["grade"].search(message):
        profile.grade = facts.grade
    if facts.histology and facts.histology in {m.canonical for m in vocabulary.find_entities(message)}:
        profile.histology = facts.histology
    if facts.menopausal_status and _CARRIERS["menopausal_status"].search(message):
        profile.menopausal_status = facts.menopausal_status
    if facts.sex and _CARRIERS["sex"].search(message):
        profile.sex = facts.sex
    profile.current_treatments = [t for t in dict.fromkeys(facts.current_treatments) if t in named]
    profile.past_treatments = [
        t for t in dict.fromkeys(facts.past_treatments) if t in named and t not in profile.current_treatments
    ]
    kept = set(profile.current_treatments) | set(profile.past_treatments)
    profile.treatment_durations = {
        name: duration
        for name, duration in facts.treatment_durations.items()
        if name in kept and re.match(DURATION_PATTERN, duration) and duration.split()[0] in message
    }
    profile.side_effects = list(dict.fromkeys(facts.side_effects))
    if profile.dose_changes:
        profile.dose_change_reasons = [r for r in dict.fromkeys(facts.dose_change_reasons) if r in profile.side_effects]
    return profile
