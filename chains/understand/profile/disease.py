"""The disease facts of a sentence: cancer type, receptors, stage, grade, histology, spread and sites; side
effects and dose changes with their reasons."""

from __future__ import annotations

import re

from chains.cancer_types import cancer_types
from chains.understand.entities import EntityMention
from chains.understand.profile.cues import WORRY
from chains.understand.profile.facts import PatientProfile
from chains.understand.profile.patterns import (
    BREAST_CANCER,
    DOSE_CHANGE,
    DOSE_OBJECT,
    GRADE,
    GRADE_WORDS,
    HISTOLOGY_VALUES,
    LAB_LOW,
    LAB_PARTS,
    REASON_AFTER,
    REASON_BEFORE,
    REASON_END,
    RECEPTOR_HINT,
    RECEPTORS,
    ROMAN,
    SIDE_EFFECT_NAMES,
    SIDE_EFFECT_PATTERNS,
    SITE,
    SITE_AFTER,
    SITE_BEFORE,
    SITE_JOIN,
    SITE_NAMES,
    SO_LINK,
    SPREAD,
    STAGE,
)
from chains.understand.profile.sentence import Mention, Reading, Sentence, add_value


# --- disease facts ---------------------------------------------------------------------------------------
def disease_facts(sentence: Sentence, profile: PatientProfile, reading: Reading) -> None:
    text = sentence.text
    if any(sentence.affirmed(m.start()) for m in BREAST_CANCER.finditer(text)):
        reading.breast = True
    for start, cancer in cancer_types().spans(text):
        if cancer.id != "breast" and sentence.affirmed(start):
            reading.other_cancer = cancer.name

    masked = text
    for pattern, values in RECEPTORS if RECEPTOR_HINT.search(text) else ():
        for match in pattern.finditer(masked):
            if sentence.affirmed(match.start()):
                for value in values:
                    add_value(profile.receptors, value)
            masked = masked[: match.start()] + " " * (match.end() - match.start()) + masked[match.end() :]

    for match in STAGE.finditer(text):
        if sentence.affirmed(match.start()):
            profile.stage = ROMAN[match.group(1).lower()]
    for match in GRADE.finditer(text):
        if sentence.affirmed(match.start()):
            profile.grade = GRADE_WORDS[match.group(1).lower()]
    for value, pattern in SPREAD:
        for match in pattern.finditer(text):
            worried = WORRY.search(text[max(0, match.start() - 40) : match.start()])
            if sentence.affirmed(match.start()) and not worried:
                add_value(profile.spread, value)


def histology_facts(sentence: Sentence, entities: list[EntityMention], profile: PatientProfile) -> None:
    """The tumour type a record or the patient names ("invasive ductal carcinoma", "IDC")."""
    for mention in entities:
        if mention.kind == "condition" and mention.canonical in HISTOLOGY_VALUES and sentence.affirmed(mention.start):
            profile.histology = mention.canonical


def site_facts(sentence: Sentence, profile: PatientProfile) -> None:
    """Sites only where the cancer is: "bone mets", "spread to my liver", "3 nodes positive"."""
    text = sentence.text
    chains: list[list[re.Match[str]]] = []
    for match in SITE.finditer(text):
        if chains and SITE_JOIN.fullmatch(text[chains[-1][-1].end() : match.start()]):
            chains[-1].append(match)
        else:
            chains.append([match])
    spread_said = any(p.search(text) for v, p in SPREAD if v in ("metastatic", "oligometastatic"))
    for chain in chains:
        start, end = chain[0].start(), chain[-1].end()
        if not sentence.affirmed(start):
            continue
        clause = text[sentence.clause_start(start) : sentence.clause_end(end)]
        bare = spread_said and re.fullmatch(r"[\W\s]*" + re.escape(text[start:end]) + r"[\W\s]*", clause)
        if not (SITE_AFTER.match(text, end) or SITE_BEFORE.search(text[max(0, start - 80) : start]) or bare):
            continue
        for match in chain:
            add_value(profile.sites, SITE_NAMES[int(str(match.lastgroup)[1:])])


# --- side effects and dose changes ------------------------------------------------------------------------
def side_effect_facts(
    sentence: Sentence, entities: list[EntityMention], profile: PatientProfile
) -> list[tuple[int, int, str]]:
    """Side effects the patient has (or had); questions, worries and denials add nothing."""
    text = sentence.text
    found: list[tuple[int, int, str]] = []
    for mention in entities:
        if mention.kind == "condition" and mention.canonical in SIDE_EFFECT_NAMES:
            found.append((mention.start, mention.end, SIDE_EFFECT_NAMES[mention.canonical]))
    for match in LAB_LOW.finditer(text):
        for value, part in LAB_PARTS:
            if part.search(match.group()):
                found.append((match.start(), match.end(), value))
    for value, pattern in SIDE_EFFECT_PATTERNS:
        found.extend((m.start(), m.end(), value) for m in pattern.finditer(text))
    effects = []
    for start, end, value in sorted(found):
        if not sentence.affirmed(start) or WORRY.search(text[max(0, start - 40) : start]):
            continue
        effects.append((start, end, value))
        add_value(profile.side_effects, value)
    return effects


def dose_change_facts(
    sentence: Sentence, mentions: list[Mention], effects: list[tuple[int, int, str]], profile: PatientProfile
) -> None:
    """Reduced / paused / stopped / increased, and the side effects the message links to the change."""
    text = sentence.text
    if not mentions and not DOSE_OBJECT.search(text):
        return
    changes = []
    for value, pattern in DOSE_CHANGE:
        for match in pattern.finditer(text):
            if sentence.affirmed(match.start()):
                changes.append((match.start(), match.end(), value))
                add_value(profile.dose_changes, value)
    if not changes:
        return
    reasons: set[str] = set()
    for start, end, _value in changes:
        link = REASON_AFTER.search(text, end)
        if link and not re.search(r"[.;]", text[end : link.start()]):
            stop = REASON_END.search(text, link.end())
            limit = stop.start() if stop else len(text)
            reasons.update(v for s, _e, v in effects if link.start() <= s < limit)
        for s, e, v in effects:
            if e > start or re.search(r"[.;]", text[e:start]):
                continue
            before = text[max(0, s - 40) : s]
            cause = [
                m for m in REASON_BEFORE.finditer(before) if re.fullmatch(r"\W*(?:\w+\W+){0,3}", before[m.end() :])
            ]
            if cause:
                reasons.add(v)
        so_links = [m for m in SO_LINK.finditer(text, 0, start)]
        so_links += [m for m in re.finditer(r"\bso\b", text[:start], re.I) if start - m.end() <= 25]
        for link in so_links:
            previous = [m.end() for m in SO_LINK.finditer(text, 0, link.start())]
            floor = previous[-1] if previous else 0
            reasons.update(v for s, _e, v in effects if floor <= s < link.start())
    for value in (v for _s, _e, v in effects if v in reasons):
        add_value(profile.dose_change_reasons, value)
