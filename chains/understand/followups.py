"""A follow-up made into a standalone question: which earlier treatment or topic "it", "that one" or
an elliptical "and the side effects?" points at, chosen from what the conversation has in focus. Its patterns
and word lists are data, in ``followups.yaml``."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from chains.prompts import question_kind
from chains.text.rules import load_rules
from chains.understand.clarify.words import PEOPLE_POINTERS, PERSONAL_THEY
from chains.understand.memory import ConversationState, Rewrite
from chains.understand.profile.cues import PERSON_NAMED
from chains.understand.referents import DUMMY_IT, STRONG_KINDS, TREATMENT_PROPERTY, needs_referent, substitute_referent
from chains.understand.vocabulary import Vocabulary

_BOOK = load_rules(Path(__file__).with_name("followups.yaml"))  # the rules below, by id, and the word lists

# "it" (or "that one") pointing back at a treatment while the message also names another one.
_OBJECT_IT = _BOOK["object_it"]
_COMBINATION = _BOOK["combination"]
_FOLLOW_UP_SHAPE = _BOOK["follow_up_shape"]
_TEMPORAL_POINTER = _BOOK["temporal_pointer"]
_BROAD_TREATMENT = _BOOK["broad_treatment"]
_DEFINITE_POINTER = _BOOK["definite_pointer"]
_ORDINAL_POINTER = _BOOK["ordinal_pointer"]
_THIRD_PERSON_START = _BOOK["third_person_start"]
_PROCEDURE_KINDS = ("treatment", "test")


def _with_previous(text: str, previous: str) -> str:
    """``text`` with the previous question carried beside it, for retrieval and the answer to keep the thread."""
    return f"{text} (following up on: {previous})"


def _carried(message: str, previous: str) -> Rewrite:
    """The message as written, carrying the previous question: what it points at is the thread, not one thing."""
    return Rewrite(_with_previous(message.rstrip(), previous), None, False)


def _is_follow_up(message: str, vocabulary: Vocabulary) -> bool:
    if needs_referent(message, vocabulary) or _FOLLOW_UP_SHAPE.match(message):
        return True
    words = re.findall(r"[a-z']+", message.lower())
    return len(words) <= 6 and not vocabulary.find_entities(message)


def _pick_referent(
    message: str, focus: list[str], vocabulary: Vocabulary, asked: list[str] = (), current: list[str] = ()
) -> str | None:
    """The most recent thing in focus that the previous message asked about, else the most recent thing in
    focus; a named treatment when the question is about a treatment's properties, the patient's current one
    first. ("whats ovarian suppression? … on top of tamoxifen" then "is that one safe?": ovarian suppression,
    not tamoxifen; "put on letrozole after my lumpectomy and rads" then "do the side effects get better":
    letrozole.)"""
    if not focus and not asked:
        return None
    ordered = [f for f in focus if f not in asked] + [f for f in focus if f in asked]  # asked-about last
    ordered += [a for a in asked if a not in focus and a not in vocabulary.alias_to_entity]  # "a liquid biopsy"

    def of_kind(kinds: tuple[str, ...]) -> list[str]:
        return [c for c in ordered if (e := vocabulary.alias_to_entity.get(c)) and e.kind in kinds]

    if _MEDICINE_WORDS.search(message):  # "the tablets", "the pill": a medicine, not surgery or radiotherapy
        medicines = of_kind(("drug",))
        if medicines:
            return medicines[-1]
    if _ON_IT.search(message):  # "how long do you stay on it": a medicine or treatment, never a test
        treatments = of_kind(("drug", "treatment"))
        if treatments:
            return treatments[-1]
    if TREATMENT_PROPERTY.search(message):
        strong = of_kind(STRONG_KINDS)
        taking = [c for c in strong if c in current]
        if taking or strong:
            return (taking or strong)[-1]
    return ordered[-1] if ordered else None


# A medicine or treatment slot: what one is on, takes or stays on.
_ON_IT = _BOOK["on_it"]
# "how long do the side effects last and do they get better": "they" are the side effects (of what was in focus).
_OWN_PLURAL_ANTECEDENT = _BOOK["own_plural_antecedent"]
_MEDICINE_WORDS = _BOOK["medicine_words"]
_WHOLE_PLAN = _BOOK["whole_plan"]
_ELLIPTICAL_OPENER = _BOOK["elliptical_opener"]
_PROPERTY_WORDS = frozenset(_BOOK.tables["words"]["property_words"])
_STATEMENT_POINTER = _BOOK["statement_pointer"]
_SITUATION = question_kind("situation")
_POINTER = re.compile(r"\b(?:it|its|it's|that|this|they|them|their|theirs|those|these)\b", re.I)


def _points_at_people_or_a_statement(message: str) -> bool:
    """The message's first pointer is a person ("prepare them", "they started him on…": the care team) or what
    the last message said as a whole ("does that mean…"): nothing to put in its place."""
    if _STATEMENT_POINTER.search(message) or PERSONAL_THEY.search(message):
        return True
    pointer = _POINTER.search(DUMMY_IT.sub(lambda m: " " * len(m.group(0)), message))
    if pointer is None:
        return False
    word = pointer.group(0).lower()
    person = PERSON_NAMED.search(message)  # "can my partner stay … or do they have to wait outside"
    return word in PEOPLE_POINTERS or (word == "they" and person is not None and person.end() <= pointer.start())


def _points_at_a_situation(message: str, state: ConversationState) -> bool:
    """The last message was about how the patient feels or about money, and this one names no medicine: "is it
    normal for it to last this long?" after "still anxious every day" means the worry, "who do i call about this"
    after a bill means the bill, not a treatment in focus."""
    last = state.recent_user_messages[-1] if state.recent_user_messages else ""
    return bool(_SITUATION.search(last)) and not _MEDICINE_WORDS.search(message)


def _names_own_topic(message: str) -> bool:
    """ "what about gardening": an elliptical question naming its own topic, not a property of the last one."""
    opener = _ELLIPTICAL_OPENER.match(message)
    if not opener:
        return False
    words = re.findall(r"[a-z]+", message[opener.end() :].lower())
    return any(w not in _PROPERTY_WORDS and len(w) > 3 for w in words)


def _asked_about(recent_messages: list[str], vocabulary: Vocabulary) -> list[str]:
    """The entities the asking clauses of the previous message named (not its background)."""
    from chains.understand.asks import the_ask

    if not recent_messages:
        return []
    ask = the_ask(recent_messages[-1])
    named = [m.canonical for m in vocabulary.find_entities(ask)]
    if named:
        return named
    defined = _DEFINITION_ASK.search(ask)  # "whats a liquid biopsy?": what was asked about, named or not
    return [defined.group(1).strip()] if defined else []


_DEFINITION_ASK = _BOOK["definition_ask"]
_STAGE_BEFORE = _BOOK["stage_before"]


def _disease_in_conversation(recent_messages: list[str]) -> str | None:
    """The cancer the conversation named, as written with its stage ("stage 4 lung cancer"), most recent first."""
    from chains.cancer_types import cancer_types

    for text in reversed(recent_messages):
        spans = cancer_types().spans(text)
        if spans:
            start, cancer = spans[-1]
            stage = _STAGE_BEFORE.search(text[:start])
            return f"{stage.group(0).strip().lower()} {cancer.name}" if stage else cancer.name
    return None


def _time_pointed(
    message: str, focus: list[str], vocabulary: Vocabulary, asked: list[str], previous: str | None
) -> Rewrite | None:
    """ "after it", "recovery from that": the procedure or treatment talked about before (the last one the previous
    message asked about, else the most recent in focus; a specific one before a broad kind such as chemotherapy), even
    when the message names another ("will he need chemo after it" after a lobectomy). None when nothing of that kind
    is in focus (then the previous question is carried, when there is one)."""
    pointer = _TEMPORAL_POINTER.search(message)
    if pointer is None:
        return None
    clause_start = max((m.end() for m in re.finditer(r"[,.;?!]", message[: pointer.start()])), default=0)
    if _DISEASE_PROPERTY.search(message, clause_start, pointer.start()):
        return None  # "if it comes back after that": about the disease ("…for stage 1A, so why … after it" is not)
    kinds = {f: e.kind for f in focus if (e := vocabulary.alias_to_entity.get(f)) and e.kind in STRONG_KINDS}
    procedures = [f for f in kinds if kinds[f] in _PROCEDURE_KINDS] or list(kinds)
    if not procedures:  # "recovery from that" after a reconstruction the vocabulary does not name: the thread
        return _carried(message, previous) if previous else None
    asked_procedures = [f for f in procedures if f in asked]
    candidates = asked_procedures or procedures
    specific = [f for f in candidates if not _BROAD_TREATMENT.search(f)]  # CAR-T over "is it a type of chemo"
    referent = (specific or candidates)[-1]
    start, end = pointer.span("it")
    standalone = f"{message[:start]}{referent}{message[end:]}"
    if len(asked_procedures) > 1 and previous:  # "the difference between debulking and a hysterectomy": keep both
        standalone = _with_previous(standalone, previous)
    return Rewrite(standalone, referent, False)


# Questions about the disease itself, whatever medicine is in focus: outlook, spread, stage, cure.
_DISEASE_PROPERTY = _BOOK["disease_property"]


@dataclass
class _FollowUp:
    """The message being read, with what the conversation had in focus and what the previous message asked about."""

    message: str
    state: ConversationState
    vocabulary: Vocabulary
    previous: str | None
    named: set[str]
    focus: list[str]
    asked: list[str]

    @classmethod
    def read(cls, message: str, state: ConversationState, vocabulary: Vocabulary) -> _FollowUp:
        named = {m.canonical for m in vocabulary.find_entities(message)}
        return cls(
            message,
            state,
            vocabulary,
            state.standalone_questions[-1] if state.standalone_questions else None,
            named,
            [f for f in state.focus if f not in named],
            _asked_about(state.recent_user_messages, vocabulary),
        )

    def carried(self) -> Rewrite | None:
        return _carried(self.message, self.previous) if self.previous else None

    def as_written(self) -> Rewrite:
        return Rewrite(self.message, None, False)

    @cached_property
    def pronoun(self) -> re.Match[str] | None:
        """The first object "it" that is not a dummy ("is it true", "it's been a year")."""
        unreferring = DUMMY_IT.sub(lambda m: "_" * len(m.group(0)), self.message)  # same offsets, dummy "it" gone
        return _OBJECT_IT.search(unreferring)

    @cached_property
    def first_named(self) -> int:
        """Where the first medicine, treatment or test is named (a topic such as "food" does not count)."""
        found = self.vocabulary.find_entities(self.message, kinds=STRONG_KINDS)
        return min((m.start for m in found), default=len(self.message))


# The readings of a follow-up, each a rule that gives the standalone question or passes (None). Their order is data:
# ``reading_order`` in followups.yaml.


def _time_pointed_reading(f: _FollowUp) -> Rewrite | None:
    return _time_pointed(f.message, f.focus, f.vocabulary, f.asked, f.previous)


def _another_subject(f: _FollowUp) -> Rewrite | None:
    """ "and what about grapefruit" after alcohol with nilotinib: the same question, about something else."""
    return f.carried() if f.named and _ELLIPTICAL_OPENER.match(f.message) else None


def _thread_pointer(f: _FollowUp) -> Rewrite | None:
    """ "does that mean i can skip the capecitabine?", "will he need chemo after the op", "the second one"."""
    pointers = (_STATEMENT_POINTER, _DEFINITE_POINTER, _ORDINAL_POINTER)
    return f.carried() if any(p.search(f.message) for p in pointers) else None


def _combination(f: _FollowUp) -> Rewrite | None:
    """ "can i take ibuprofen with it" naming one thing and pointing at the one in focus."""
    if not (f.named and f.focus and _COMBINATION.search(f.message)):
        return None
    standalone = _COMBINATION.sub(lambda m: f"{m.group(1)} {f.focus[-1]}", f.message, count=1)
    return Rewrite(standalone, f.focus[-1], False)


def _pronoun_is_focus(f: _FollowUp) -> Rewrite | None:
    """ "is it safe with vitamin D?" after letrozole; "how long would i be on it, and do i stay on the letrozole too"
    after asking about Verzenio: "it", before anything the message names, is what was talked (or asked) about."""
    strong_focus = [c for c in f.focus if (e := f.vocabulary.alias_to_entity.get(c)) and e.kind in STRONG_KINDS]
    pronoun = f.pronoun
    if not (f.named and strong_focus and pronoun and pronoun.start() < f.first_named):
        return None
    referent = _pick_referent(f.message, strong_focus, f.vocabulary, f.asked)
    if referent is None or referent not in strong_focus:
        return None
    start, end = pronoun.span("w") if pronoun.group("w") else pronoun.span("it")
    return Rewrite(f"{f.message[:start]}{referent}{f.message[end:]}", referent, False)


def _pronoun_is_thread(f: _FollowUp) -> Rewrite | None:
    """ "will it get better once chemo stops?" after asking about chemo brain, "so if i skip chemo and it comes
    back…" after a recurrence score: "it" is the previous topic."""
    pronoun = f.pronoun
    if f.named and pronoun and (pronoun.start() < f.first_named or _FOLLOW_UP_SHAPE.match(f.message)):
        return f.carried()
    return None


def _short_follow_up(f: _FollowUp) -> Rewrite | None:
    """A follow-up's shape ("and the side effects?", a few words naming nothing): the thread."""
    return f.carried() if not f.named and _is_follow_up(f.message, f.vocabulary) else None


def _third_person(f: _FollowUp) -> Rewrite | None:
    """ "once shes home, what about food…": the person talked about, unless the message names someone first ("will
    she go back to her normal self, my daughter is exhausted" still points back; "my son says he…" does not)."""
    start = _THIRD_PERSON_START.search(f.message)
    named = PERSON_NAMED.search(f.message)
    if start and (named is None or named.start() > start.end()):
        return f.carried()
    return None


def _people_or_situation(f: _FollowUp) -> Rewrite | None:
    """ "how do i prepare them for the future", "what treatment will they give him", "is it normal for it to last
    this long" after a worry: nothing to put in the pointer's place."""
    if _points_at_people_or_a_statement(f.message) or _points_at_a_situation(f.message, f.state):
        return f.carried() or f.as_written()
    return None


def _whole_plan(f: _FollowUp) -> Rewrite | None:
    """ "what if he says no to all of it" (the whole plan), "what does the second one involve" (one of several named
    before), "what about gardening" (a new topic in the same thread)."""
    message = f.message
    if _WHOLE_PLAN.search(message) or _ORDINAL_POINTER.search(message) or _names_own_topic(message):
        return f.carried()
    return None


def _disease(f: _FollowUp) -> Rewrite | None:
    """ "how long do people live with this?": the disease, not a medicine."""
    if not _DISEASE_PROPERTY.search(f.message):
        return None
    disease = f.state.profile.disease_phrase() or _disease_in_conversation(f.state.recent_user_messages)
    if disease:
        return Rewrite(substitute_referent(f.message, disease), disease, False)
    return f.carried()


def _named_referent(f: _FollowUp) -> Rewrite:
    """The thing in focus the pointer means (the patient's current treatment when nothing else is); with nothing to
    point at, the thread, or a question back to the patient."""
    current = list(f.state.profile.current_treatments)
    referent = _pick_referent(f.message, f.focus, f.vocabulary, f.asked, current)
    if referent is None and current:
        referent = current[-1]
    if referent is None:
        return f.carried() or Rewrite(f.message, None, True)
    message = f.message
    own = _OWN_PLURAL_ANTECEDENT.search(message)
    if own:  # "the side effects … do they get better" → "the side effects of letrozole … do they get better"
        standalone = f"{message[: own.end('noun')]} of {referent}{message[own.end('noun') :]}"
        standalone = standalone[0].upper() + standalone[1:]
    else:
        standalone = substitute_referent(message, referent)
    kind = f.vocabulary.alias_to_entity.get(referent)
    if f.previous and (kind is None or kind.kind not in STRONG_KINDS) and referent not in f.previous.lower():
        standalone = _with_previous(standalone, f.previous)
    return Rewrite(standalone, referent, False)


_READINGS: dict[str, Callable[[_FollowUp], Rewrite | None]] = {
    "time_pointed": _time_pointed_reading,
    "another_subject": _another_subject,
    "thread_pointer": _thread_pointer,
    "combination": _combination,
    "pronoun_is_focus": _pronoun_is_focus,
    "pronoun_is_thread": _pronoun_is_thread,
    "short_follow_up": _short_follow_up,
    "third_person": _third_person,
    "people_or_situation": _people_or_situation,
    "whole_plan": _whole_plan,
    "disease": _disease,
    "named_referent": _named_referent,
}
_ORDER: dict[str, list[str]] = _BOOK.tables["reading_order"]


def rewrite_followup(message: str, state: ConversationState, vocabulary: Vocabulary) -> Rewrite:
    """Turn a follow-up into a standalone question.

    A referring word ("it", "its", "that one") is replaced by the entity in focus; when the message
    names one thing and points at another ("is letrozole safe with that?"), the other is filled in;
    and when what the patient points at is less certain (a condition or a topic rather than a named
    treatment), the previous question is carried along so retrieval and the answer keep the thread.
    The readings are tried in ``reading_order`` (followups.yaml); the first that applies decides.
    """
    follow_up = _FollowUp.read(message, state, vocabulary)
    pointing = "needs_referent" if needs_referent(message, vocabulary) else "no_referent"
    for name in _ORDER["first"] + _ORDER[pointing]:
        rewrite = _READINGS[name](follow_up)
        if rewrite is not None:
            return rewrite
    return follow_up.as_written()
