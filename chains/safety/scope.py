"""Scope and advice limits: off-topic requests, prompt injection, and questions OncoGuide answers only in general.

- Off topic: a clearly unrelated topic or task (travel, code, recipes, sport ...) with no health term.
- Injection: attempts to override the rules, change role, or extract the prompt. It is out of scope unless a
  legitimate health question remains once the injection wording is removed; prompt extraction and requests
  for prescriptions or illicit drugs are always out of scope.
- Advice limits: individual dosing, start/stop/change questions and requests to interpret the patient's own
  results get general information plus a plain statement of who decides.

Rules live in ``scope_rules.yaml``, each with an id and examples.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from chains.cancer_types import cancer_types
from chains.text.normalise import normalise
from chains.text.rules import load_rules

RULES = load_rules(Path(__file__).parent / "scope_rules.yaml")
HEALTH_TERMS = RULES["health_terms"]
ONCOLOGY_TERMS = RULES["oncology_terms"]
EVERYDAY_SENSES = RULES["everyday_senses"]
ADVICE_LIMIT_NOTES: dict[str, str] = RULES.tables["advice_limit_notes"]


@dataclass(frozen=True)
class ScopeResult:
    out_of_scope: bool
    injection: bool
    off_topic_words_only: bool  # turned away only for off-topic words ("golf"), not injection or illicit requests
    advice_limits: tuple[str, ...]  # "dosing", "directive", "lab_interpretation"


def assess_scope(message: str) -> ScopeResult:
    """Off-topic requests, injection attempts and the advice limits that apply to a message."""
    text = normalise(message)
    extraction = bool(RULES["prompt_extraction"].search(text))
    injection = extraction or bool(RULES["injection"].search(text))
    illicit = bool(RULES["illicit"].search(text))
    remainder = RULES["prompt_extraction"].sub(" ", RULES["injection"].sub(" ", text)) if injection else text
    health = bool(HEALTH_TERMS.search(remainder) or cancer_types().mentioned(remainder))
    off_topic = not health and bool(RULES["off_topic"].search(remainder) or RULES["generic_task"].search(remainder))
    if injection:
        legitimate = (
            health and bool(RULES["legit_question"].search(remainder)) and not RULES["off_topic"].search(remainder)
        )
        out_of_scope = extraction or illicit or off_topic or not legitimate
    else:
        out_of_scope = off_topic or illicit
    limits = [name for name in ("dosing", "directive", "lab_interpretation") if RULES[name].search(text)]
    return ScopeResult(
        out_of_scope=out_of_scope,
        injection=injection,
        off_topic_words_only=out_of_scope and not (injection or illicit),
        advice_limits=tuple(limits),
    )
