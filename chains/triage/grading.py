"""Grade one message red / amber / green, or unsure (ask one quick question first).

The decision, in order (UKONS 24-hour triage logic; sources in docs/SAFETY.md):
1. The exact rules (``chains.safety.detect_red_flag``: temperatures, crisis wording, named red flags)
   make it red. If the learned classifier is almost sure nothing urgent is meant (a rule fooled by a
   hypothetical it did not see), the rule's finding is asked about instead of assumed; crisis wording
   and temperature readings are never downgraded.
2. The learned classifier's probability of red: at or above ``RED_AT`` → red (or a question first, when its
   category model finds no symptom at all or the message tells of something read or heard about); at or above
   ``ASK_AT`` → unsure, with the category's question and buttons (unless its category model finds no symptom at all).
3. Amber: the classifier's red + amber probability at or above ``AMBER_AT`` for a category that has an
   amber grade (chest pain or thoughts of self-harm never do), or a temperature on
   treatment between ``AMBER_TEMPERATURE_C`` and the fever threshold. Two different amber findings make it
   red: the temperature and another category, or two parts of the message (split where the patient moves
   to another symptom) that the classifier grades amber in two different categories.
4. Otherwise green.

Thresholds were chosen by leave-one-author-out cross-validation on the training data only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

import yaml

from chains.retrieval.embeddings import embed_text
from chains.safety import current_temperature_c, detect_red_flag
from chains.safety.urgency import ACTIVE_TREATMENT, amber_counts
from chains.text import context
from chains.text.context import split_features
from chains.text.normalise import normalise
from chains.triage.classifier import Prediction, TriageClassifier, default_classifier, window_text

Urgency = Literal["red", "amber", "green", "unsure"]
RED_AT = 0.5
ASK_AT = 0.20
AMBER_AT = 0.5
FEATURE_AMBER_AT = 0.5  # one part of a message graded amber by words alone (two such parts make a red)
FEATURE_CATEGORY_AT = 0.5
RULE_DOUBT_BELOW = 0.10  # a rule's red with the classifier this sure of "not red" is asked about
AMBER_TEMPERATURE_C = 37.5
NEVER_DOUBTED = {"self_harm", "fever"}  # crisis wording and temperature readings are exact
CATALOGUE_PATH = Path(__file__).with_name("categories.yaml")


@dataclass(frozen=True)
class TriageQuestion:
    text: str
    options: tuple[str, ...]
    urgencies: tuple[Urgency, ...]

    def urgency_for(self, answer: str) -> Urgency | None:
        """The urgency a clicked option (or its exact text typed) stands for."""
        wanted = answer.strip().lower()
        for option, urgency in zip(self.options, self.urgencies, strict=True):
            if wanted == option.lower():
                return urgency
        return None


@dataclass(frozen=True)
class Category:
    id: str
    name: str
    reason: str
    amber: str | None
    question: TriageQuestion


@dataclass(frozen=True)
class Triage:
    """The triage decision for one message."""

    urgency: Urgency
    category: Category
    source: str  # "rule", "classifier", "temperature", "two ambers", "none"
    red_probability: float = 0.0
    evidence: str = ""
    details: dict[str, float] = field(default_factory=dict)

    @property
    def crisis(self) -> bool:
        return self.category.id == "self_harm"


@cache
def _catalogue_data(path: Path = CATALOGUE_PATH) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_catalogue(path: Path = CATALOGUE_PATH) -> tuple[dict[str, Category], dict[str, str]]:
    """Categories by id, and today's rule categories mapped to them."""
    data = _catalogue_data(path)
    categories = {}
    for category_id, entry in data["categories"].items():
        question = entry["question"]
        categories[category_id] = Category(
            id=category_id,
            name=entry["name"],
            reason=" ".join(entry["reason"].split()),
            amber=entry.get("amber"),
            question=TriageQuestion(
                text=question["text"],
                options=tuple(o["label"] for o in question["options"]),
                urgencies=tuple(o["urgency"] for o in question["options"]),
            ),
        )
    return categories, dict(data["rule_categories"])


def load_feature_groups(path: Path = CATALOGUE_PATH) -> dict[str, str]:
    """Categories that name one finding in two ways (a rash after a drip is skin or allergy): one amber, not two."""
    return {member: group[0] for group in _catalogue_data(path).get("same_finding", []) for member in group}


class Triager:
    """Rules and the learned classifier together; built once per process."""

    def __init__(self, classifier: TriageClassifier | None = None, fever_threshold_c: float = 38.0) -> None:
        self.classifier = classifier or default_classifier()
        self.fever_threshold_c = fever_threshold_c
        self.categories, self.rule_categories = load_catalogue()
        self.feature_groups = load_feature_groups()
        self.background_words = frozenset(_catalogue_data()["background_words"])

    def not_urgent(self) -> Triage:
        """Green, for a message that reports nothing (a clicked cancer type)."""
        return Triage("green", self.category("none"), "none")

    def category(self, category_id: str) -> Category:
        return self.categories.get(category_id) or self.categories["none"]

    def predict(self, message: str, history: list[str] | tuple[str, ...] = ()) -> Prediction:
        """The classifier's view of the message alone and, after earlier messages, of the recent window;
        the more urgent of the two (context can only add urgency)."""
        alone = self.classifier.predict(message, embed_text(message))
        if not history:
            return alone
        window = window_text(message, history)
        joined = self.classifier.predict(window, embed_text(window))
        return joined if joined.red > alone.red else alone

    def _background(self, part: str) -> bool:
        """Only the treatment the patient is on ("on chemo", "keytruda:"), not a finding."""
        rest = ACTIVE_TREATMENT.sub(" ", normalise(part))
        return not [word for word in re.findall(r"[a-z0-9']+", rest) if word not in self.background_words]

    def amber_features(self, message: str) -> set[str]:
        """The amber-graded categories found in separate parts of the message ("sick 3 times and 4 loose stools")."""
        parts = [part for part in split_features(message) if not self._background(part)]
        if len(parts) < 2:
            return set()
        found = set()
        for part in parts:
            prediction = self.classifier.predict_part(part)
            category = self.category(prediction.category)
            confident = prediction.category_probability >= FEATURE_CATEGORY_AT
            if confident and prediction.red + prediction.amber >= FEATURE_AMBER_AT and category.amber:
                found.add(self.feature_groups.get(category.id, category.id))
        found |= {self.feature_groups.get(c, c) for c in amber_counts(message)}  # exact count bands
        return found

    def assess(self, message: str, history: list[str] | tuple[str, ...] = ()) -> Triage:
        prediction = self.predict(message, history)
        details = {"red": prediction.red, "amber": prediction.amber, "green": prediction.green}
        flag = detect_red_flag(message, history, self.fever_threshold_c)
        if flag is not None:
            category = self.category(self.rule_categories.get(flag.category, flag.category))
            # Crisis wording and temperatures are exact, unless the message tells them as a story (past, someone
            # else's, a what-if, a joke): then the classifier may doubt them too, and OncoGuide asks.
            exact = flag.category in NEVER_DOUBTED and not context.told_as_story(normalise(message))
            doubted = prediction.red < RULE_DOUBT_BELOW and not exact
            return Triage("unsure" if doubted else "red", category, "rule", prediction.red, flag.evidence, details)
        predicted = self.category(prediction.category)
        if prediction.red >= RED_AT:
            if predicted.id != "none" and not context.not_a_new_symptom(normalise(message)):
                return Triage("red", predicted, "classifier", prediction.red, details=details)
            # urgent-sounding but no symptom the category model knows, or a symptom read or heard about, or lived with
            # for months ("read online about heart rhythm problems and now im scared…"): ask, don't assume
            return Triage("unsure", predicted, "classifier", prediction.red, details=details)
        temperature = current_temperature_c(message, history)
        warm = temperature is not None and AMBER_TEMPERATURE_C <= temperature < self.fever_threshold_c
        classifier_amber = prediction.red + prediction.amber >= AMBER_AT
        if warm and classifier_amber and predicted.id != "fever_infection":
            return Triage("red", predicted, "two ambers", prediction.red, f"{temperature:.1f} °C", details)
        if classifier_amber and predicted.amber:
            features = self.amber_features(message)
            if len(features) >= 2:
                return Triage("red", predicted, "two ambers", prediction.red, ", ".join(sorted(features)), details)
        if prediction.red >= ASK_AT and predicted.id != "none":  # no symptom named: nothing to ask about
            return Triage("unsure", predicted, "classifier", prediction.red, details=details)
        if warm:
            return Triage("amber", self.category("fever_infection"), "temperature", prediction.red, details=details)
        if classifier_amber and predicted.amber:  # only categories the toolkit grades amber
            return Triage("amber", predicted, "classifier", prediction.red, details=details)
        return Triage("green", predicted, "none", prediction.red, details=details)

    def answer_to_question(self, pending: dict, answer: str, history: list[str] | tuple[str, ...]) -> Triage:
        """Grade the patient's answer to a triage question asked about ``pending['message']``.

        A clicked option decides directly. Typed words are graded together with the held-back message;
        if that is still unsure, it is treated as amber (contact the team today): we ask once, never twice.
        """
        category = self.category(pending.get("category", "none"))
        chosen = category.question.urgency_for(answer)
        if chosen is not None:
            return Triage(chosen, category, "answer")
        combined = self.assess(f"{pending['message']} {answer}", history)
        if combined.urgency == "unsure":
            return Triage("amber", combined.category, "answer", combined.red_probability)
        return combined
