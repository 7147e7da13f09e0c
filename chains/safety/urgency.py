"""Red flags: symptoms the patient reports as happening now that need urgent care, in messy wording.

The exact rules of the triage stage (the learned detector in ``chains.triage`` sits beside them). Patterns
are rules in ``urgency_rules.yaml``, each with an id and examples; whether a match is a current report is
read by ``chains.text.context``. How it works (all rules are general; nothing is keyed to particular messages):

1. The message is normalised (``chains.text.normalise``): contractions, common misspellings, one-edit typos
   in long symptom words.
2. Each ``red.*`` rule proposes candidate matches; some categories need more than one word to agree (a clot
   needs a limb plus two of swollen / red-hot / painful / bulging veins).
3. A candidate only counts when, in its own clause and sentence, it is reported as happening now: not
   negated, hypothetical, educational, past, resolved or someone else's past.
4. Conversation history supplies context: treatment or low counts for a fever, a temperature being watched
   for a bare number ("38.2 now"), earlier despair for an ambiguous plan ("thinking about how i'd do it"),
   and a red flag in the previous turn that the patient says is still going or getting worse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from chains.text import context
from chains.text.context import Doc
from chains.text.normalise import normalise
from chains.text.rules import load_rules

RULES = load_rules(Path(__file__).parent / "urgency_rules.yaml")
RED_FLAG_PATTERNS: dict[str, re.Pattern[str]] = {
    rule.meta["category"]: rule.pattern for rule in RULES.with_prefix("red.").values()
}
_CLOT_FEATURES = {rule.meta["feature"]: rule.pattern for rule in RULES.with_prefix("clot_feature.").values()}
_LINE_IN_LIMB = RULES["line_in_limb"]
_SELF_HARM_PLAN = RULES["self_harm_plan"]
_DESPAIR = RULES["despair"]
_SELF_HARM_MENTION = RULES["self_harm_mention"]
_TEMPERATURE = RULES["temperature"]
_TEMPERATURE_WORDS = RULES["temperature_words"]
_MEASURE = RULES["measure"]
_THRESHOLD_BEFORE = RULES["threshold_before"]
ACTIVE_TREATMENT = RULES["active_treatment"]
_TREATMENT_ENDED = RULES["treatment_ended"]
_LOW_COUNTS = RULES["low_counts"]
_THRESHOLD_VALUES = frozenset(float(v) for v in RULES.tables["threshold_values"])
EMERGENCY_REASONS: dict[str, str] = RULES.tables["emergency_reasons"]
AMBER_COUNTS: dict[str, re.Pattern[str]] = {
    rule.meta["category"]: rule.pattern for rule in RULES.with_prefix("amber_count.").values()
}
_DEFINITIONAL = RULES.rules["definitional"].pattern
_HISTORY_TURNS = 6  # how many earlier patient messages give context
_MAX_CANDIDATES = 40  # matches examined per pattern: bounds the work on very long or repetitive messages


@dataclass(frozen=True)
class RedFlag:
    category: str
    evidence: str  # the words that triggered it (normalised)


def _current(doc: Doc, match: re.Match[str], category: str) -> bool:
    """Whether a candidate is reported as happening now (not negated, hypothetical, educational or over)."""
    start = match.start()
    if context.negated(doc, start):
        return False
    if category == "self_harm":
        return _self_harm_current(doc, match)
    if context.hypothetical(doc, start) or context.educational(doc, start) or context.past_or_resolved(doc, start):
        return False
    if context.someone_elses_past(doc, match):
        return False
    return not (category == "clot" and not _clot_confirmed(doc, match))


def _self_harm_current(doc: Doc, match: re.Match[str]) -> bool:
    """Self-harm errs towards support: questions and "if" frames still count; only mentions, definitions,
    negations and a past event the patient says is behind them do not."""
    sentence_start, sentence_end = doc.sentence(match.start())
    sentence = doc.text[sentence_start:sentence_end]
    window = doc.text[max(0, match.start() - 25) : match.end() + 30]
    if _SELF_HARM_MENTION.search(window):
        return False
    definitional = context.QUESTION_START.match(sentence) and _DEFINITIONAL.search(sentence)
    if (definitional or context.in_quotes(sentence, match.start() - sentence_start)) and not context.reports_now(
        sentence
    ):
        return False
    return not (context.PAST.search(doc.text) and context.RESOLVED.search(doc.text))


def _clot_confirmed(doc: Doc, limb: re.Match[str]) -> bool:
    sentence_start, sentence_end = doc.sentence(limb.start())
    lo, hi = max(sentence_start, limb.start() - 60), min(sentence_end, limb.end() + 80)
    found = set()
    for name, pattern in _CLOT_FEATURES.items():
        for feature in pattern.finditer(doc.text, lo, hi):
            if not context.negated(doc, feature.start()):
                found.add(name)
                break
    if "swollen" in found and _LINE_IN_LIMB.search(doc.text, lo, hi):
        found.add("line")
    return len(found) >= 2


# --- fever ------------------------------------------------------------------------------------------
def _fever_applies(text: str) -> bool:
    """Fever is a red flag during cancer treatment or with low counts.

    Decision on an unqualified current fever (no treatment or counts mentioned): it IS routed as an
    emergency. OncoGuide's users have, or care for someone with, cancer; many are on treatment without
    saying so in the message, and a neutropenic infection can kill within hours, while a false alarm costs
    one phone call to the 24-hour line. Only an explicit statement that treatment ended months or years
    ago, with no low counts, makes a fever an educational question instead.
    """
    if _LOW_COUNTS.search(text) or not _TREATMENT_ENDED.search(text):
        return True  # low counts; or on treatment; or not stated (the decision above)
    # Treatment ended: only a treatment mentioned elsewhere (e.g. "now on kisqali") keeps it an emergency.
    return bool(ACTIVE_TREATMENT.search(_TREATMENT_ENDED.sub(" ", text)))


def _temperatures(doc: Doc, history_text: str) -> list[tuple[re.Match[str], float]]:
    """Temperatures stated in the message, in °C, with the number's match."""
    text, found = doc.text, []
    for count, match in enumerate(_TEMPERATURE.finditer(text)):
        if count >= _MAX_CANDIDATES:
            break
        raw, degree, unit = match.group(1), match.group(2), (match.group(3) or "")[:1].lower()
        value = float(raw.replace(",", "."))
        sentence_start, sentence_end = doc.sentence(match.start())
        sentence = text[sentence_start:sentence_end]
        if any(_MEASURE.match(word) for word in re.findall(r"[\w-]+", text[sentence_start : match.start()])[-4:]):
            continue
        # Without a unit or a temperature word in the sentence only a decimal counts ("38.2 now"): when the
        # patient has been talking about temperature, or when it is a plausible fever and nothing else is measured.
        if not (unit or degree or _TEMPERATURE_WORDS.search(sentence)):
            talked_about = _TEMPERATURE_WORDS.search(text) or _TEMPERATURE_WORDS.search(history_text)
            plausible = 37.5 <= value <= 42.5 and not any(_MEASURE.match(w) for w in re.findall(r"[\w-]+", sentence))
            if not (re.search(r"[.,]", raw) and (talked_about or plausible)):
                continue
        celsius = (
            value if unit == "c" or (not unit and 34 <= value <= 43.5)
            else (value - 32) * 5 / 9 if unit == "f" or (not unit and 93 <= value <= 110)
            else None
        )  # fmt: skip
        if celsius is not None and 34 <= celsius <= 43.5:
            found.append((match, celsius))
    return found


def _reported_now(doc: Doc, start: int) -> bool:
    return not (context.negated(doc, start) or context.hypothetical(doc, start) or context.past_or_resolved(doc, start))


def _fever_reading(
    doc: Doc, temperatures: list[tuple[re.Match[str], float]], threshold_c: float
) -> re.Match[str] | None:
    """A current temperature at or above the fever threshold (38.0 °C / 100.4 °F by default)."""
    for match, celsius in temperatures:
        start = match.start()
        if celsius < threshold_c or not _reported_now(doc, start):
            continue
        value = float(match.group(1).replace(",", "."))
        threshold = _THRESHOLD_BEFORE.search(doc.text[doc.clause(start)[0] : start]) or value in _THRESHOLD_VALUES
        if threshold and context.educational(doc, start):
            continue
        return match
    return None


def _normal_reading_nearby(
    doc: Doc, match: re.Match[str], temperatures: list[tuple[re.Match[str], float]], threshold_c: float
) -> bool:
    """A fever word whose own sentence gives a reading below the threshold ("with a temp of 37.2") is not a fever."""
    sentence = doc.sentence(match.start())
    readings = [celsius for m, celsius in temperatures if doc.sentence(m.start()) == sentence]
    return bool(readings) and max(readings) < threshold_c


# --- the detector ------------------------------------------------------------------------------------
def _first_current(doc: Doc, history_text: str, threshold_c: float = 38.0) -> RedFlag | None:
    """The red flag reported now in ``doc`` (normalised history text gives context), or None."""
    text_with_history = f"{history_text} {doc.text}"
    fever_applies = _fever_applies(text_with_history)
    found: list[tuple[int, int, str, str]] = []  # (priority, position, category, evidence)
    temperatures = _temperatures(doc, history_text) if fever_applies else []
    for category, pattern in RED_FLAG_PATTERNS.items():
        if category == "fever" and not fever_applies:
            continue
        for count, match in enumerate(pattern.finditer(doc.text)):
            if count >= _MAX_CANDIDATES:
                break
            if category == "fever" and _normal_reading_nearby(doc, match, temperatures, threshold_c):
                continue
            if _current(doc, match, category):
                if category == "clot":  # the limb alone says little: show the whole clause
                    lo, hi = doc.sentence(match.start())
                    evidence = doc.text[lo:hi]
                else:
                    evidence = match.group(0)
                found.append((0 if category == "self_harm" else 1, match.start(), category, evidence.strip()))
                break
    reading = _fever_reading(doc, temperatures, threshold_c)
    if reading:  # a number says more than the word "fever"
        found = [f for f in found if f[2] != "fever"] + [(1, reading.start(), "fever", reading.group(0).strip())]
    if not any(category == "self_harm" for _, _, category, _ in found):
        plan = _SELF_HARM_PLAN.search(doc.text)
        if plan and not context.negated(doc, plan.start()) and _DESPAIR.search(text_with_history):
            found.append((0, plan.start(), "self_harm", plan.group(0)))
    if not found:
        return None
    _, _, category, evidence = min(found)
    return RedFlag(category, evidence)


def detect_red_flag(
    message: str, history: list[str] | tuple[str, ...] = (), fever_threshold_c: float = 38.0
) -> RedFlag | None:
    """The red flag the patient reports as happening now, or None (self-harm first, then the earliest).

    ``history`` holds the patient's earlier messages, oldest first; the last few give context.
    """
    recent = [normalise(turn) for turn in history[-_HISTORY_TURNS:]]
    doc = Doc(normalise(message))
    flag = _first_current(doc, " ".join(recent), fever_threshold_c)
    if flag or not recent:
        return flag
    # "it's getting worse" / "still there" about a red flag the patient reported in the previous turn.
    if context.still_going(doc):
        return _first_current(Doc(recent[-1]), " ".join(recent[:-1]), fever_threshold_c)
    return None


def current_temperature_c(message: str, history: list[str] | tuple[str, ...] = ()) -> float | None:
    """The highest temperature the patient reports now (°C), when anticancer treatment gives it meaning.

    Readings that are negated, hypothetical, past or resolved do not count. Used for the amber band
    below the fever threshold (37.5 °C on treatment, as in the UKONS toolkit)."""
    recent = " ".join(normalise(turn) for turn in history[-_HISTORY_TURNS:])
    doc = Doc(normalise(message))
    if not _fever_applies(f"{recent} {doc.text}"):
        return None
    readings = [celsius for match, celsius in _temperatures(doc, recent) if _reported_now(doc, match.start())]
    return max(readings, default=None)


def amber_counts(message: str) -> set[str]:
    """Categories whose amber count band the message reports as happening now ("sick 4 times today")."""
    doc = Doc(normalise(message))
    return {
        category
        for category, pattern in AMBER_COUNTS.items()
        if any(_reported_now(doc, match.start()) for match in pattern.finditer(doc.text))
    }
