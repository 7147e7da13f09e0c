"""Patient profile: facts a patient states about themselves, extracted deterministically.

Only first-person statements count ("I'm on letrozole", "ER+ oligomet, 14 months on kisqali");
questions about a drug, negations ("no mets"), planned or refused treatments ("starting chemo next
week") and other people's facts ("my mum had ovarian cancer") add nothing. The profile is merged turn
by turn and can be corrected or cleared.

How a message is read: it is cut into sentences; in each sentence every position has an owner (the
last "I"/"my" or "my sister"/"she" before it), may sit inside a question or inside the scope of a
negation. Treatment mentions next to each other ("Ibrance and Faslodex") form a group that shares one
status (current, past, planned) and one duration, read from the words of its clause.
"""

from __future__ import annotations

import re

from chains.understand.profile.disease import (
    disease_facts,
    dose_change_facts,
    histology_facts,
    side_effect_facts,
    site_facts,
)
from chains.understand.profile.facts import PatientProfile
from chains.understand.profile.patterns import (
    DESIRE,
    GOAL_HINT,
    GOALS,
    GOALS_NEED_DESIRE,
    MALE,
    MENOPAUSE,
    MENOPAUSE_HINT,
)
from chains.understand.profile.sentence import Reading, Sentence, add_value, message_sentences, prepare_text
from chains.understand.profile.treatments import treatment_facts, treatment_mentions
from chains.understand.vocabulary import Vocabulary


def extract_profile(message: str, vocabulary: Vocabulary) -> PatientProfile:
    """Facts the patient states about themselves in one message."""
    profile = PatientProfile()
    reading = Reading()
    for index, text in enumerate(message_sentences(prepare_text(message))):
        sentence = Sentence(text)
        entities = vocabulary.find_entities(text)
        disease_facts(sentence, profile, reading)
        histology_facts(sentence, entities, profile)
        site_facts(sentence, profile)
        effects = side_effect_facts(sentence, entities, profile)
        mentions = treatment_mentions(sentence, entities, reading)
        dose_change_facts(sentence, mentions, effects, profile)
        treatment_facts(sentence, mentions, reading, index * 100_000)
        _personal(sentence, profile)
    _finish(profile, reading)
    return profile


def _finish(profile: PatientProfile, reading: Reading) -> None:
    """Resolve treatment statuses and apply the cross-field rules."""
    if reading.breast:
        profile.cancer_type = "breast cancer"
    elif reading.other_cancer:
        profile.cancer_type = reading.other_cancer
    for name, entries in reading.statuses.items():
        known = [e for e in entries if e[1] in ("current", "past")]
        chosen = [e for e in known if e[2]] or known
        if not chosen:
            continue
        add_value(profile.current_treatments if chosen[-1][1] == "current" else profile.past_treatments, name)
    for name, duration in reading.durations.items():
        if name in profile.current_treatments or name in profile.past_treatments:
            profile.treatment_durations[name] = duration
    if profile.stage == "IV":
        add_value(profile.spread, "metastatic")
    if "oligometastatic" in profile.spread and "metastatic" in profile.spread:
        profile.spread.remove("metastatic")
    if "triple-negative" in profile.receptors:
        profile.receptors = [r for r in profile.receptors if r not in ("ER-", "PR-", "HR-", "HER2-")]
    if {"HER2-low", "HER2-ultralow"} & set(profile.receptors) and "HER2-" in profile.receptors:
        profile.receptors.remove("HER2-")
    if not profile.dose_changes:
        profile.dose_change_reasons = []


# --- menopause, goals, sex ---------------------------------------------------------------------------------
def _personal(sentence: Sentence, profile: PatientProfile) -> None:
    text = sentence.text
    for value, pattern in MENOPAUSE if MENOPAUSE_HINT.search(text) else ():
        if any(sentence.affirmed(m.start()) for m in pattern.finditer(text)):
            profile.menopausal_status = value
    wants = bool(DESIRE.search(text)) and not re.search(r"\bin\s+general\b", text, re.I)
    for value, pattern in GOALS if GOAL_HINT.search(text) else ():
        for match in pattern.finditer(text):
            if not sentence.about_me(match.start()) or sentence.negated(match.start()):
                continue
            if value in GOALS_NEED_DESIRE and not wants:
                continue
            add_value(profile.goals, value)
    male = MALE.search(text)
    if male and sentence.affirmed(male.start()):
        profile.sex = "male"
