"""The facts' own patterns: treatment and side-effect names, receptors, grade, histology, stage, spread, sites,
dose changes and their reasons, blood counts, side effects, menopause, goals; and the values each field takes,
shared with the optional LLM extractor. The words and patterns are data, in ``profile_rules.yaml`` (rule ids
in the comments below); this module names them for the extractor."""

from __future__ import annotations

import re
from pathlib import Path

from chains.text.rules import load_rules

_BOOK = load_rules(Path(__file__).with_name("profile_rules.yaml"))
_TABLES = _BOOK.tables


def _valued(prefix: str) -> list[tuple[str, re.Pattern[str]]]:
    """The rules of one family (``spread.``, ``goal.``…) as (value, pattern), in the book's order."""
    return [(rule.meta["value"], rule.pattern) for rule in _BOOK.with_prefix(prefix).values()]


# Knowledge-base entity names → the profile's canonical values.
TREATMENT_NAMES: dict[str, str] = dict(_TABLES["treatment_names"])
SIDE_EFFECT_NAMES: dict[str, str] = dict(_TABLES["side_effect_names"])
NOT_TREATMENTS: set[str] = set(_TABLES["not_treatments"])

# --- disease ------------------------------------------------------------------------------------------
RECEPTORS = [(rule.pattern, list(rule.meta["values"])) for rule in _BOOK.with_prefix("receptor.").values()]
BREAST_CANCER = _BOOK["breast_cancer"]
# A tumour's grade as a pathology report or a patient writes it: "grade 2", "Grade II", "Nottingham grade 3".
GRADE = _BOOK["grade"]
GRADE_WORDS: dict[str, str] = dict(_TABLES["grade_words"])
HISTOLOGY_VALUES = tuple(
    line.strip()
    for line in Path(__file__).with_name("histology.txt").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
)
STAGE = _BOOK["stage"]
ROMAN: dict[str, str] = dict(_TABLES["roman"])
SPREAD = _valued("spread.")
SITE = _BOOK["site"]  # named groups s0, s1, … in the order of SITE_NAMES
SITE_NAMES: list[str] = list(_TABLES["sites"])
SITE_JOIN = _BOOK["site_join"]
SITE_AFTER = _BOOK["site_after"]
SITE_BEFORE = _BOOK["site_before"]

# --- dose changes, side effects, other facts ------------------------------------------------------------
DOSE_CHANGE = _valued("dose.")
DOSE_OBJECT = _BOOK["dose_object"]
REASON_AFTER = _BOOK["reason_after"]
REASON_BEFORE = _BOOK["reason_before"]
REASON_END = _BOOK["reason_end"]
SO_LINK = _BOOK["so_link"]
LAB_LOW = _BOOK["lab_low"]
LAB_PARTS = _valued("lab.")
SIDE_EFFECT_PATTERNS = _valued("side_effect.")
MENOPAUSE = _valued("menopause.")
DESIRE = _BOOK["desire"]
GOALS = _valued("goal.")
# Cheap pre-checks: most sentences mention no receptor, menopause or goal at all.
RECEPTOR_HINT = _BOOK["receptor_hint"]
MENOPAUSE_HINT = _BOOK["menopause_hint"]
GOAL_HINT = _BOOK["goal_hint"]
GOALS_NEED_DESIRE: set[str] = set(_TABLES["goals_need_desire"])
MALE = _BOOK["male"]


# --- the schema, shared by the deterministic extractor and the optional LLM extractor -----------------------
RECEPTOR_VALUES = (
    "ER+",
    "ER-",
    "PR+",
    "PR-",
    "HR+",
    "HR-",
    "HER2+",
    "HER2-",
    "HER2-low",
    "HER2-ultralow",
    "triple-negative",
)
STAGE_VALUES = ("0", "I", "II", "III", "IV")
GRADE_VALUES = ("1", "2", "3")
SPREAD_VALUES = tuple(value for value, _ in SPREAD)
SITE_VALUES = tuple(SITE_NAMES)
DOSE_CHANGE_VALUES = tuple(value for value, _ in DOSE_CHANGE)
SIDE_EFFECT_VALUES = tuple(
    dict.fromkeys(
        [
            *SIDE_EFFECT_NAMES.values(),
            *(value for value, _ in LAB_PARTS),
            *(value for value, _ in SIDE_EFFECT_PATTERNS),
        ]
    )
)
MENOPAUSE_VALUES = tuple(value for value, _ in MENOPAUSE)
GOAL_VALUES = tuple(value for value, _ in GOALS)
DURATION_PATTERN = r"^[1-9]\d{0,2} (?:day|week|month|year)s?$"
