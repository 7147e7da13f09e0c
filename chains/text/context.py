"""Reading context: is a phrase negated, hypothetical, educational, past or resolved, or about someone else?

One module for every stage (urgency, profile, clarify). Its cue phrases are rules in ``context_rules.yaml``;
this module holds the logic that reads them:

- ``Doc``: a normalised message with sentence and clause boundaries, looked up by character position.
- ``negated``: a negation cue shortly before a position in the same clause, with nothing ending its scope
  ("no fever, just tired"; not "no fever and my chest hurts").
- ``hypothetical``: inside a conditional or reported-advice frame ("call if you have a fever over 38").
- ``educational``: a question or teaching frame with no report of the thing happening now ("can X cause fever?").
- ``past_or_resolved``: dated in the past ("in 2019", "last month") or said to be over ("went away").
- ``someone_elses_past``: told about someone outside the patient's care, in the past ("my friend fainted").
- ``fact_negation_spans``: the spans a negation covers in a statement of facts ("no side effects from letrozole"
  negates the side effects, not letrozole) — used by the profile.
- ``reports_advice``: someone else's advice reported ("the nurse told me i can't") — used by the clarify gate.
- ``split_features``: the parts of a message where the patient moves to another symptom — used by triage for
  "two ambers make a red".
"""

from __future__ import annotations

import bisect
import re
from pathlib import Path

from chains.text.rules import load_rules

RULES = load_rules(Path(__file__).parent / "context_rules.yaml")
_SENTENCE_BREAK = RULES["sentence_break"]
_CLAUSE_BREAK = RULES["clause_break"]
_NEGATION = RULES["negation"]
_NEGATION_SCOPE_END = RULES["negation_scope_end"]
CONDITIONAL = RULES["conditional"]
_SUBJECT = RULES["subject"]
_QUESTION_WHEN = RULES["question_when"]
QUESTION_START = RULES["question_start"]
EDUCATIONAL_CUE = RULES["educational_cue"]
REPORT = RULES["report"]
PAST = RULES["past"]
_NOT_PAST = RULES["not_past"]
RESOLVED = RULES["resolved"]
_RELAPSE = RULES["relapse"]
_ANAPHORIC_START = RULES["anaphoric_start"]
STILL_GOING = RULES["still_going"]
_TREATMENT_BEFORE_MARKER = RULES["treatment_before_marker"]
_PAST_TENSE_BEFORE = RULES["past_tense_before"]
_PAST_VERB = RULES["past_verb"]
_OTHER_PERSON = RULES["other_person"]
_JUST_NOW = RULES["just_now"]
_FACT_NEGATION_CUE = RULES["fact_negation_cue"]
_FACT_NEGATION_END = RULES["fact_negation_end"]
_FACT_NEGATION_END_PREP = RULES["fact_negation_end_prep"]
_REPORTED_ADVICE = RULES["reported_advice"]
_FEATURE_BREAK = RULES["feature_break"]
_REASSURANCE = RULES["reassurance"]
_JEST = RULES["jest"]
_NOT_A_NEW_SYMPTOM = tuple(RULES[i] for i in ("read_about", "told_about", "long_standing"))
_QUOTED = re.compile(r"(?:^|(?<=[\s(\[:]))(['\"])(.+?)\1(?=[\s.,;:!?)\]]|$)")


class Doc:
    """A normalised message with sentence and clause boundaries, looked up by character position."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.sentences = self._spans(_SENTENCE_BREAK)
        self.clauses = self._spans(_CLAUSE_BREAK)
        self._sentence_starts = [s for s, _ in self.sentences]
        self._clause_starts = [s for s, _ in self.clauses]

    def _spans(self, breaks: re.Pattern[str]) -> list[tuple[int, int]]:
        spans, start = [], 0
        for match in breaks.finditer(self.text):
            spans.append((start, match.start()))
            start = match.end()
        spans.append((start, len(self.text)))
        return spans

    def _at(self, starts: list[int], spans: list[tuple[int, int]], pos: int) -> tuple[int, int]:
        return spans[max(bisect.bisect_right(starts, pos) - 1, 0)]

    def sentence(self, pos: int) -> tuple[int, int]:
        return self._at(self._sentence_starts, self.sentences, pos)

    def clause(self, pos: int) -> tuple[int, int]:
        return self._at(self._clause_starts, self.clauses, pos)

    def next_clause(self, pos: int) -> tuple[int, int] | None:
        """The clause after the one at ``pos`` (in the same or the next sentence), if any."""
        index = max(bisect.bisect_right(self._clause_starts, pos) - 1, 0)
        return self.clauses[index + 1] if index + 1 < len(self.clauses) else None


def negated(doc: Doc, start: int) -> bool:
    """A negation cue shortly before ``start`` in the same clause, with nothing ending its scope."""
    clause_start, _ = doc.clause(start)
    before = doc.text[clause_start:start]
    cues = list(_NEGATION.finditer(before))
    if not cues:
        return False
    between = before[cues[-1].end() :]
    return len(between.split()) <= 5 and not _NEGATION_SCOPE_END.search(between)


def in_quotes(sentence: str, offset: int) -> bool:
    return any(quoted.start() < offset < quoted.end() for quoted in _QUOTED.finditer(sentence))


def is_question(sentence: str, clause: str) -> bool:
    return bool(QUESTION_START.match(sentence) or QUESTION_START.match(clause))


def hypothetical(doc: Doc, start: int) -> bool:
    """The position sits inside a conditional or reported-advice phrase ("call if you have a fever")."""
    clause_start, _ = doc.clause(start)
    sentence_start, sentence_end = doc.sentence(start)
    before = doc.text[clause_start:start]
    cues = list(CONDITIONAL.finditer(before))
    if cues:
        # "if i stand up i pass out": a second subject after the condition starts the main clause, which reports.
        subjects = list(_SUBJECT.finditer(before, cues[-1].end()))
        in_main_clause = len(subjects) >= 2 and before[subjects[0].end() : subjects[1].start()].strip()
        if not in_main_clause:
            return True
    question = is_question(doc.text[sentence_start:sentence_end], doc.text[clause_start:start])
    return question and bool(_QUESTION_WHEN.search(before))


def reports_now(clause: str) -> bool:
    """First-person or carer report markers, ignoring any conditional sub-clause."""
    cut = CONDITIONAL.search(clause)
    return bool(REPORT.search(clause[: cut.start()] if cut else clause))


def educational(doc: Doc, start: int) -> bool:
    """A question or teaching frame ("can X cause fever?") with no report of the symptom happening now."""
    clause_start, clause_end = doc.clause(start)
    sentence_start, sentence_end = doc.sentence(start)
    clause = doc.text[clause_start:clause_end]
    sentence = doc.text[sentence_start:sentence_end]
    framed = is_question(sentence, clause) or bool(EDUCATIONAL_CUE.search(clause))
    if in_quotes(sentence, start - sentence_start) and (framed or EDUCATIONAL_CUE.search(sentence)):
        return True
    if not framed or reports_now(clause):
        return False
    # "could this be from herceptin? it started an hour ago": the next sentence reports it.
    following = doc.next_clause(sentence_end)
    if following and following[0] >= sentence_end:
        after = doc.text[following[0] : doc.sentence(following[0])[1]]
        if re.match(r"\W*(?:it|it's|its|this|that|they|she|he)\b", after) and REPORT.search(after):
            return False
    return True


def _dates_treatment_only(clause: str, symptom_at: int, past: re.Match[str]) -> bool:
    """Whether the past marker follows the symptom and dates a treatment, while the symptom itself is told in the
    present ("she's burning up, had chemo last week") rather than the past ("had a fever after chemo last week",
    "fainted during her infusion last year")."""
    symptom_words = clause[symptom_at : past.start()].split()[:2]
    return (
        past.start() > symptom_at
        and bool(_TREATMENT_BEFORE_MARKER.search(clause[: past.start()]))
        and not _PAST_TENSE_BEFORE.search(clause[:symptom_at])
        and not any(_PAST_VERB.fullmatch(word) for word in symptom_words)
    )


def someone_elses_past(doc: Doc, match: re.Match[str]) -> bool:
    """Told about someone outside the patient's care, in the past: "my friend fainted …"."""
    clause_start, _ = doc.clause(match.start())
    before = doc.text[clause_start : match.start()]
    first_words = before.split()[-1:] + match.group(0).split()[:1]
    sentence = doc.text[slice(*doc.sentence(match.start()))]
    return (
        bool(_OTHER_PERSON.search(before))
        and any(_PAST_VERB.fullmatch(w) for w in first_words)
        and not _JUST_NOW.search(sentence)
    )


def past_or_resolved(doc: Doc, start: int) -> bool:
    """A past event ("in 2019", "years ago") or one the patient says is over ("went away", "back to normal")."""
    clause_start, clause_end = doc.clause(start)
    clause = doc.text[clause_start:clause_end]
    past = PAST.search(clause)
    if (
        past
        and not _NOT_PAST.search(clause[max(0, past.start() - 12) : past.end()])
        and not _dates_treatment_only(clause, start - clause_start, past)
    ):
        return True
    # Resolution in the same clause, or in the next one when it continues about the same thing
    # ("had chest pain this morning, it's gone now").
    spans = [(clause_start, clause_end)]
    following = doc.next_clause(start)
    if following and _ANAPHORIC_START.match(doc.text[following[0] : following[1]]):
        spans.append(following)
    for lo, hi in spans:
        part = doc.text[lo:hi]
        if _RELAPSE.search(part):
            continue
        if any(not negated(doc, lo + cue.start()) for cue in RESOLVED.finditer(part)):
            return True
    return False


def told_as_story(text: str) -> bool:
    """Anywhere in the message, a sign that what it tells may not be happening to the patient now: a past or
    finished event, someone else, a what-if, or a joke ("lol", "nearly fainted when I saw the bill")."""
    return any(cue.search(text) for cue in (PAST, RESOLVED, _OTHER_PERSON, CONDITIONAL, _JEST))


def not_a_new_symptom(text: str) -> bool:
    """The message tells of something read or heard about ("read online about heart rhythm problems"), something the
    team warned about ("the nurse keeps going on about … any diarrhoea") or a symptom lived with for months ("hes had
    both for months"): it may be a worry, not something that has just come on."""
    return any(rule.search(text) for rule in _NOT_A_NEW_SYMPTOM)


def still_going(doc: Doc) -> bool:
    """The message says something is still going or getting worse ("still there", "getting worse")."""
    still = STILL_GOING.search(doc.text)
    return bool(still) and not negated(doc, still.start()) and not RESOLVED.search(doc.text)


def fact_negation_spans(text: str) -> list[tuple[int, int]]:
    """Spans covered by a negation in a statement of facts; "no … from X" ends at the preposition."""
    spans = []
    for cue in _FACT_NEGATION_CUE.finditer(text):
        limit = min(len(text), cue.end() + 50)
        stop = _FACT_NEGATION_END.search(text, cue.end(), limit)
        end = stop.start() if stop else limit
        if cue.group("prep"):  # "no side effects from letrozole": the negation ends at the preposition
            prep = _FACT_NEGATION_END_PREP.search(text, cue.end(), end)
            end = prep.start() if prep else end
        spans.append((cue.start(), end))
    return spans


def reports_advice(clause: str) -> bool:
    """Someone else's advice reported in ``clause``: "my husband thinks i should", "the nurse told me"."""
    return bool(_REPORTED_ADVICE.search(clause))


def split_features(message: str, min_words: int = 2) -> list[str]:
    """The parts of a message where the patient moves from one symptom to another ("sick 3 times, and 4 runny
    poos", "rash on my hands plus a new cough"); parts shorter than ``min_words`` join the one before, and
    parts that deny or reassure ("no temp", "breathing ok", "feel fine") are left out."""
    parts: list[str] = []
    for piece in _FEATURE_BREAK.split(message):
        piece = piece.strip()
        if not piece:
            continue
        if parts and len(piece.split()) < min_words:
            parts[-1] = f"{parts[-1]} {piece}"
        else:
            parts.append(piece)
    return [part for part in parts if not _REASSURANCE.search(part)]
