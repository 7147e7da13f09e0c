"""The cues a sentence is read by: who speaks ("I", "my sister"), questions and worry, where clauses and
treatment groups break, a treatment's status (current, past, planned) and its duration. The patterns and word
tables are data, in ``cues.yaml`` (each constant is the rule of the same name in lower case)."""

from __future__ import annotations

from pathlib import Path

from chains.text.rules import load_rules

_BOOK = load_rules(Path(__file__).with_name("cues.yaml"))

# --- who, whether asked, whether denied ------------------------------------------------------------
SPEAKER = _BOOK["speaker"]  # named groups: other, me
PERSON_NAMED = _BOOK["person_named"]
ME_WORD = _BOOK["me_word"]
ASKER_CARER = _BOOK["asker_carer"]  # named groups: named, opening, child (chains/understand/profile/asker.py)
ASKER_PATIENT = _BOOK["asker_patient"]
CLAUSE_PUNCT = _BOOK["clause_punct"]
QUESTION_ONSET = _BOOK["question_onset"]
STRONG_ONSET = _BOOK["strong_onset"]
WORRY = _BOOK["worry"]

# --- treatments ---------------------------------------------------------------------------------------
BOUNDARY = _BOOK["boundary"]
GROUP_JOIN = _BOOK["group_join"]
STATUS_CUE = _BOOK["status_cue"]  # named groups: current_ord, past, planned, current
STARTING = _BOOK["starting"]
FUTURE_TIME = _BOOK["future_time"]
ADJ_PAST = _BOOK["adj_past"]
HOPE = _BOOK["hope"]
ADJ_PLANNED = _BOOK["adj_planned"]
TOPICAL = _BOOK["topical"]
RIGHT_PAST = _BOOK["right_past"]
RIGHT_PLANNED = _BOOK["right_planned"]
ANYMORE = _BOOK["anymore"]
CONTINUATION = _BOOK["continuation"]
PAUSE_WORD = _BOOK["pause_word"]
START_WORD = _BOOK["start_word"]
WEAK_PAST = _BOOK["weak_past"]
QUESTION_TREATMENT_OK = _BOOK["question_treatment_ok"]
PRONOUN = _BOOK["pronoun"]
ELLIPTIC_PAST = _BOOK["elliptic_past"]

# --- durations: number, unit ---------------------------------------------------------------------------
NUMBER_WORDS: dict[str, int] = dict(_BOOK.tables["number_words"])
UNIT: dict[str, str] = dict(_BOOK.tables["unit_names"])
DUR_AFTER = _BOOK["dur_after"]  # groups: number, unit, ago
DUR_BEFORE = _BOOK["dur_before"]
DUR_CLAUSE = _BOOK["dur_clause"]
