"""Treatments a sentence names, grouped ("Ibrance and Faslodex"), each group with one status (current, past,
planned) and one duration read from the words of its clause."""

from __future__ import annotations

import itertools
import re

from chains.understand.entities import EntityMention
from chains.understand.profile.cues import (
    ADJ_PAST,
    ADJ_PLANNED,
    ANYMORE,
    CONTINUATION,
    DUR_AFTER,
    DUR_BEFORE,
    DUR_CLAUSE,
    ELLIPTIC_PAST,
    FUTURE_TIME,
    GROUP_JOIN,
    HOPE,
    PAUSE_WORD,
    PRONOUN,
    QUESTION_TREATMENT_OK,
    RIGHT_PAST,
    RIGHT_PLANNED,
    START_WORD,
    STARTING,
    STATUS_CUE,
    TOPICAL,
    WEAK_PAST,
)
from chains.understand.profile.patterns import NOT_TREATMENTS, TREATMENT_NAMES
from chains.understand.profile.sentence import Group, Mention, Reading, Sentence, duration_text, prepare_text
from chains.understand.vocabulary import Vocabulary


# --- treatments ---------------------------------------------------------------------------------------
def treatment_mentions(sentence: Sentence, entities: list[EntityMention], reading: Reading) -> list[Mention]:
    """Treatments named in the sentence, plus "it" after "on/stopped/held" resolved to the last one named."""
    found = []
    for mention in entities:
        if mention.kind == "drug" and mention.canonical not in NOT_TREATMENTS:
            found.append(Mention(mention.canonical, mention.start, mention.end))
        elif mention.kind == "treatment" and mention.canonical in TREATMENT_NAMES:
            found.append(Mention(TREATMENT_NAMES[mention.canonical], mention.start, mention.end))
    found.extend(Mention(None, m.start(1), m.end(1)) for m in PRONOUN.finditer(sentence.text))
    mentions = []
    for mention in sorted(found, key=lambda m: m.start):
        if mention.name is None:
            mention.name = reading.last_treatment
            if mention.name is None:
                continue
        reading.last_treatment = mention.name
        mentions.append(mention)
    return mentions


def treatment_facts(sentence: Sentence, mentions: list[Mention], reading: Reading, offset: int) -> None:
    """Current / past / planned for each group of treatments, and its duration."""
    text = sentence.text
    groups: list[Group] = []
    for mention in mentions:
        joiner = text[groups[-1].end : mention.start] if groups else ""
        own_verb = joiner.strip() == "," and _right_cue(text[mention.end : sentence.clause_end(mention.end)])
        if groups and GROUP_JOIN.fullmatch(joiner) and not own_verb:
            groups[-1].members.append(mention)
        else:
            groups.append(Group([mention]))
    previous: Group | None = None
    for group in groups:
        left = text[sentence.clause_start(group.start, previous.end if previous else 0) : group.start]
        right = text[group.end : sentence.clause_end(group.end)]
        group.status, group.explicit = _status(sentence, group, left, right, previous)
        for member in group.members:
            status = group.status
            if status == "default":
                status = "past" if member.name == "surgery" else "current"
            reading.statuses.setdefault(str(member.name), []).append((offset + member.start, status, group.explicit))
        if group.status in ("current", "past", "default"):
            _group_duration(group, left, text, reading)
        previous = group
    _clause_followups(sentence, groups, reading, offset)


def _status(sentence: Sentence, group: Group, left: str, right: str, previous: Group | None) -> tuple[str, bool]:
    text = sentence.text
    if not sentence.about_me(group.start) or TOPICAL.search(left):
        return "skip", False
    if ANYMORE.search(text[group.end :]):
        return "past", True
    if sentence.negated(group.start):
        return "negated", True
    if group.start >= sentence.question_at and not QUESTION_TREATMENT_OK.search(left):
        return "skip", False
    hoped = HOPE.search(text[max(0, group.start - 60) : group.start])
    if (ADJ_PAST.search(left) or ADJ_PLANNED.search(left)) and hoped:
        return "planned", True
    if ADJ_PAST.search(left):
        return "past", True
    if ADJ_PLANNED.search(left) and not any(m.lastgroup == "past" for m in STATUS_CUE.finditer(text)):
        return "planned", True
    cues = list(STATUS_CUE.finditer(left))
    if cues:
        kind = str(cues[-1].lastgroup)
        if kind == "current_ord" or (
            kind == "past" and re.search(r"\bso\s+far\b", text[group.end : group.end + 25], re.I)
        ):
            return "current", True
        starting = STARTING.fullmatch(cues[-1].group())
        if kind == "current" and (FUTURE_TIME.search(right) or (starting and FUTURE_TIME.search(left))):
            return "planned", True
        return kind, True
    if _right_cue(right):
        return _right_cue(right), True
    if previous and previous.explicit and previous.status in ("current", "past") and CONTINUATION.match(left):
        return previous.status, True
    if WEAK_PAST.search(text):
        return "past", False
    return "default", False


def _right_cue(right: str) -> str:
    """A status said after the treatment: "radiation starts Monday", "chemo done"."""
    if RIGHT_PLANNED.search(right) or FUTURE_TIME.search(right):
        return "planned"
    return "past" if RIGHT_PAST.search(right) else ""


def _group_duration(group: Group, left: str, text: str, reading: Reading) -> None:
    after = None if PAUSE_WORD.search(left) else DUR_AFTER.match(text[group.end :])
    if after and (not after.group("ago") or START_WORD.search(left)):
        duration = duration_text(after.group(1), after.group(2))
        for member in group.members:
            reading.durations[str(member.name)] = duration
        return
    before = DUR_BEFORE.search(left)
    if before:
        reading.durations[str(group.members[0].name)] = duration_text(before.group(1), before.group(2))


def _clause_followups(sentence: Sentence, groups: list[Group], reading: Reading, offset: int) -> None:
    """Clauses without a treatment that continue the previous one: ", finished last month", ", 9 months in"."""
    text = sentence.text
    cuts = sorted({0, *sentence.boundaries, len(text)})
    for start, end in itertools.pairwise(cuts):
        if any(start <= g.start < end for g in groups) or not sentence.affirmed(start):
            continue
        before = [g for g in groups if g.end <= start and g.status in ("current", "past", "default")]
        if not before:
            continue
        segment = text[start:end]
        if ELLIPTIC_PAST.match(segment):
            for member in before[-1].members:
                reading.statuses.setdefault(str(member.name), []).append((offset + start, "past", True))
        duration = DUR_CLAUSE.match(segment)
        if duration and all(str(m.name) not in reading.durations for m in before[-1].members):
            for member in before[-1].members:
                reading.durations[str(member.name)] = duration_text(duration.group(1), duration.group(2))


def named_treatments(text: str, vocabulary: Vocabulary) -> set[str]:
    """Canonical treatment names the text itself names (drugs and treatment types)."""
    names = set()
    for mention in vocabulary.find_entities(prepare_text(text)):
        if mention.kind == "drug" and mention.canonical not in NOT_TREATMENTS:
            names.add(mention.canonical)
        elif mention.kind == "treatment" and mention.canonical in TREATMENT_NAMES:
            names.add(TREATMENT_NAMES[mention.canonical])
    return names
