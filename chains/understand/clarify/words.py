"""The word lists and rules the clarify gate reads, from ``clarify.yaml`` beside it (named lists, rules with
ids), and the two ways it cuts a message into words."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from chains.text.rules import load_rules

_BOOK = load_rules(Path(__file__).with_name("clarify.yaml"))


WORDS: dict[str, frozenset[str]] = {name: frozenset(words) for name, words in _BOOK.tables["words"].items()}

ARTICLES = WORDS["articles"]
PREPOSITIONS = WORDS["prepositions"]
CONJUNCTIONS = WORDS["conjunctions"]
AUXILIARIES = WORDS["auxiliaries"]
DETERMINERS = WORDS["determiners"]
FUNCTION_WORDS = ARTICLES | PREPOSITIONS | CONJUNCTIONS | AUXILIARIES | DETERMINERS
WH_WORDS = WORDS["wh_words"]
OBJECT_PRONOUNS = WORDS["object_pronouns"]
ADVERB_PARTICLES = WORDS["adverb_particles"]
STRANDING_WORDS = WORDS["stranding_words"]
PRONOUNS = WORDS["pronouns"]
STRANDABLE = WORDS["strandable"]
SUBJECT_PRONOUNS = WORDS["subject_pronouns"]
ELLIPTICAL_AUXILIARIES = WORDS["elliptical_auxiliaries"]
INDEFINITES = WORDS["indefinites"]
OBJECT_VERBS = WORDS["object_verbs"]
OPEN_BEFORE_ELLIPSIS = OBJECT_VERBS | WORDS["open_before_ellipsis"]
SHORT_REPLIES = WORDS["short_replies"]
GREETINGS = WORDS["greetings"]
VAGUE = WORDS["vague"]
QUESTION_OPENERS = WH_WORDS | WORDS["question_openers"]
DISCOURSE_MARKERS = WORDS["discourse_markers"]
GENERIC_THINGS = WORDS["generic_things"]
VERB_LIKE = WORDS["verb_like"]
REFERENT_KINDS = ("drug", "treatment", "test", "condition")
DO_SUPPORT = WORDS["do_support"]
CLAUSE_OPENERS = WORDS["clause_openers"]
MODAL_ENDINGS = WORDS["modal_endings"]
SUBORDINATORS = WORDS["subordinators"]
THRESHOLD_VERBS = WORDS["threshold_verbs"]
LIGHT_WORDS = WORDS["light_words"]
STANDALONE_OPENERS = WH_WORDS | WORDS["standalone_openers"]

PERSONAL_THEY = _BOOK["referent.personal_they"]
PEOPLE_POINTERS = WORDS["people_pointers"]
DUMMY_IT_EXTRA = _BOOK["referent.dummy_it"]
CAUSATIVE_END = _BOOK["ending.causative"]
CONJUNCTION_THAT = _BOOK["referent.conjunction_that"]
QUALIFIED_GENERIC = _BOOK["referent.qualified_generic"]
DISEASE_TREATMENT = _BOOK["referent.disease_treatment"]
MEDICINE_SLOT = _BOOK["referent.medicine_slot"]
DEFINED_FIRST = _BOOK["referent.defined_first"]
DEMONSTRATIVE_NOUN = _BOOK["referent.demonstrative_noun"]
REFERRING_WORD = _BOOK["referent.referring_word"]
TRAILING_COMPLETIONS = [
    (rule.pattern, list(rule.meta["completions"])) for rule in _BOOK.with_prefix("trailing.").values()
]
# A quoted phrase ("what does 'interval decrease' mean? saw it in…") is what "it"/"that" points at.
QUOTED_PHRASE = re.compile(r"(?:^|[\s(:])['\"‘“][^'\"‘’“”]*\w[\s-]\w[^'\"‘’“”]*['\"’”]")
CONTENT_WORD = re.compile(r"[a-z][a-z'-]{3,}", re.IGNORECASE)
OWN_ANTECEDENT_WORDS = 3  # content words before the pointer that give it something to point at
ELLIPSIS = re.compile(r"(\.{2,}|…)\s*$")
CLOSERS = ".?!)]\"'”’"


def split_words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9][A-Za-z0-9'+\-/.]*", text)


def clean(words: Sequence[str]) -> list[str]:
    return [w.lower().strip(".,;:!?\"'()") for w in words]
