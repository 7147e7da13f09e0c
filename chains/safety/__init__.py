"""Safety stage, by job: urgency (red flags), scope and advice limits, and checks on generated output.

Rules are data (``*_rules.yaml`` beside each module, every rule with an id and examples); reading context
(negation, hypotheticals, past, someone else) is shared with the other stages in ``chains.text.context``.
"""

from chains.safety.output_checks import check_generated_answer, contains_directive, display_safe, unsafe_fragment
from chains.safety.scope import (
    ADVICE_LIMIT_NOTES,
    EVERYDAY_SENSES,
    HEALTH_TERMS,
    ONCOLOGY_TERMS,
    ScopeResult,
    assess_scope,
)
from chains.safety.urgency import EMERGENCY_REASONS, RED_FLAG_PATTERNS, RedFlag, current_temperature_c, detect_red_flag
from chains.text.normalise import normalise

__all__ = [
    "ADVICE_LIMIT_NOTES",
    "EMERGENCY_REASONS",
    "EVERYDAY_SENSES",
    "HEALTH_TERMS",
    "ONCOLOGY_TERMS",
    "RED_FLAG_PATTERNS",
    "RedFlag",
    "ScopeResult",
    "assess_scope",
    "check_generated_answer",
    "contains_directive",
    "current_temperature_c",
    "detect_red_flag",
    "display_safe",
    "normalise",
    "unsafe_fragment",
]
