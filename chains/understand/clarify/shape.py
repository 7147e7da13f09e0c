"""The shape of a message: small talk, a question, a sentence cut off mid-word or trailing off ("what helps
with the"), and the words that could finish it."""

from __future__ import annotations

import re

from chains.text import context
from chains.text.normalise import short_form
from chains.understand.clarify.words import (
    ADVERB_PARTICLES,
    ARTICLES,
    AUXILIARIES,
    CAUSATIVE_END,
    CLAUSE_OPENERS,
    DETERMINERS,
    DISCOURSE_MARKERS,
    DO_SUPPORT,
    ELLIPSIS,
    ELLIPTICAL_AUXILIARIES,
    FUNCTION_WORDS,
    GREETINGS,
    INDEFINITES,
    MODAL_ENDINGS,
    OBJECT_PRONOUNS,
    OBJECT_VERBS,
    OPEN_BEFORE_ELLIPSIS,
    PREPOSITIONS,
    PRONOUNS,
    QUESTION_OPENERS,
    REFERRING_WORD,
    SHORT_REPLIES,
    STRANDABLE,
    STRANDING_WORDS,
    SUBJECT_PRONOUNS,
    SUBORDINATORS,
    THRESHOLD_VERBS,
    TRAILING_COMPLETIONS,
    WH_WORDS,
    WORDS,
    clean,
    split_words,
)
from chains.understand.vocabulary import Vocabulary


def is_small_talk(message: str) -> bool:
    """A short reply ("ok", "thanks") or a greeting."""
    short = short_form(message)
    return short in SHORT_REPLIES or short in GREETINGS


def topic_of(message: str, vocabulary: Vocabulary, exclude: str = "") -> str:
    text = message[: len(message) - len(exclude)] if exclude else message
    names: list[str] = []
    for mention in vocabulary.find_entities(text):
        if mention.canonical not in names:
            names.append(mention.canonical)
    return " and ".join(names[:2])


def unbalanced(text: str) -> bool:
    if text.count("(") > text.count(")") or text.count("[") > text.count("]"):
        return True
    straight = text.count('"') % 2 == 1
    curly = text.count("“") > text.count("”")
    return straight or curly


def _subject_only_after_aux(clause: list[str], vocabulary: Vocabulary) -> bool:
    """Do-support or a modal followed by just its subject: "how long does lymphedema", "what should I"."""
    positions = [i for i, w in enumerate(clause) if w in DO_SUPPORT]
    if not positions or positions[-1] == len(clause) - 1:
        return False
    if positions[-1] > 0 and clause[positions[-1] - 1] == "to":
        return False  # "is there even time to do it": "to do" is the verb itself, not do-support
    tail = clause[positions[-1] + 1 :]
    if len(tail) == 1 and tail[0] in SUBJECT_PRONOUNS:
        return True
    while tail and tail[0] in ARTICLES | DETERMINERS:
        tail = tail[1:]
    if not tail or len(tail) > 4:
        return False
    subject = " ".join(tail)
    return any(m.start == 0 and m.end == len(subject) for m in vocabulary.find_entities(subject))


def ends_trailing(text: str, vocabulary: Vocabulary | None = None) -> tuple[bool, str]:
    """Ends on an unfinished clause? Returns (trailing, the last word)."""
    had_ellipsis = bool(ELLIPSIS.search(text))
    core = ELLIPSIS.sub("", text).rstrip(" ,;:-–—")
    words = clean(split_words(core))
    if not words:
        return False, ""
    last = words[-1]
    if core.endswith(("?", "!")) or (core.endswith(".") and not had_ellipsis):
        return False, last
    previous = words[-2] if len(words) > 1 else ""
    clause = clean(re.split(r"[.?!;]\s+", core)[-1].split())
    fronted = any(w in WH_WORDS or w in INDEFINITES for w in clause[:-1])
    if had_ellipsis and last in OPEN_BEFORE_ELLIPSIS:
        return True, last  # "After my last infusion I started having..."
    if last in OBJECT_VERBS and not fronted:
        return True, last  # "Does Enhertu cause"
    last_clause = re.split(r"\b(?:but|and|so|although|though|yet)\b|[,;]", core)[-1]
    if last in MODAL_ENDINGS and previous in SUBJECT_PRONOUNS and context.reports_advice(last_clause):
        return True, last  # "the nurse told me that while on ribociclib i should", "the surgeon said i couldn't"
    if not had_ellipsis and (
        last in WORDS["time_endings"]
        or last in OBJECT_PRONOUNS
        or (last in WH_WORDS and previous in WORDS["coordinators"])
        or (last == "it" and previous in {"that", "this"} and len(words) > 2 and words[-3] in AUXILIARIES)
    ):
        return False, last  # "what checks will he have after", "will that scare her", "and when", "or is that it"
    if last in SUBJECT_PRONOUNS and previous in SUBORDINATORS:
        return True, last  # "my fertility doctor mentioned that if i"
    if last in WORDS["threshold_words"] and previous in THRESHOLD_VERBS:
        return True, last  # "what happens if my neutrophils drop below"
    if CAUSATIVE_END.search(core):
        return True, last  # "does radiation make you"
    if vocabulary is not None and _subject_only_after_aux(clause, vocabulary):
        return True, last  # "how long does lymphedema"
    if last not in FUNCTION_WORDS:
        return False, last
    if (
        last in ADVERB_PARTICLES
        and not had_ellipsis
        and (previous not in FUNCTION_WORDS or previous in ADVERB_PARTICLES or clause[-3:-1] == ["instead", "of"])
    ):
        return (
            False,
            last,
        )  # "will my arm be sore after", "will they have to go back in", "before surgery instead of after"
    if fronted and last in PREPOSITIONS and previous in WORDS["pointer_objects"]:
        return False, last  # "what is it for", "what are they for"
    if fronted and last in WORDS["wh_complete_endings"] and previous not in FUNCTION_WORDS:
        return False, last  # "and if it comes back, what would the treatment be"
    if fronted and last in WORDS["have_do"] and previous not in FUNCTION_WORDS:
        return False, last  # "what side effects does the immunotherapy part have"
    if last in WORDS["closing_adverbs"] and previous not in FUNCTION_WORDS:
        return False, last  # "would that interfere with the tamoxifen though"
    if last in PREPOSITIONS and previous in OBJECT_PRONOUNS and fronted and len(clause) > 4:
        return False, last  # "what's the cold sensitivity thing they keep warning us about"
    if last in PREPOSITIONS and previous in STRANDING_WORDS and fronted:
        return False, last  # "What is it used for", "what I'm going through", "something to worry about"
    if fronted and last in STRANDABLE and previous not in FUNCTION_WORDS and _own_clause_after_wh(clause):
        return False, last  # "what should i be keeping an eye on", "which one is better to start with"
    if last == "for" and previous in WORDS["emphatic_before_for"] and fronted:
        return False, last  # "whats each drug actually for"
    if last == "like" and {"what", "whats", "what's"} & set(clause) and set(clause) & WORDS["copulas"]:
        return False, last  # "what are the side effects like"
    if f"{previous} {last}" in WORDS["complete_bigrams"] and (fronted or previous != "to"):
        return False, last  # "i get the other", "for a while", "leave him be", "…if it turns out to be"
    if last in WH_WORDS and len(clause) == 1 and re.search(r"[?.!]\s+\S+\W*$", core):
        return False, last  # "can i have vaccines after rituximab? when": a question of its own
    if last in WH_WORDS and previous in WORDS["knowing_words"]:
        return False, last  # "the doctors won't tell me which", "not sure which", "no idea why"
    if last == "for" and "how long" in " ".join(clause):
        return False, last  # "how long will I be on letrozole for"
    adverb = previous in WORDS["elliptical_adverbs"] and len(words) > 2  # "while he still can"
    subject, before = (words[-3], words[-4] if len(words) > 3 else "") if adverb else (previous, "")
    if last in ELLIPTICAL_AUXILIARIES and subject in SUBJECT_PRONOUNS and not had_ellipsis:
        before = before or (words[-3] if len(words) > 2 and not adverb else "")
        if before not in WORDS["elliptical_blockers"]:
            return False, last  # "I don't think I can", "yes she did", "while he still can"
    if last in ELLIPTICAL_AUXILIARIES and not had_ellipsis and set(words[-5:-1]) & WORDS["comparison_words"]:
        return False, last  # "does it make you feel ill like chemo does", "will it hurt as much as the op did"
    if last in AUXILIARIES and previous in PRONOUNS and any(w in WH_WORDS for w in words[:-2]):
        return False, last  # "I don't know what it is"
    if last in WORDS["copulas"] - {"be"} and not had_ellipsis and previous not in FUNCTION_WORDS and "what" in clause:
        between = clause[len(clause) - 1 - clause[::-1].index("what") : -1][1:]
        if len(between) <= 6 and not set(between) & CLAUSE_OPENERS:
            return False, last  # "explain what Ki-67 is", "I forget what the dose was": "what" fills the gap
    if last in WORDS["complete_endings"] and not had_ellipsis:
        return False, last  # pronoun uses are complete: "I'm scared of that", "can you tell me more"
    return True, last


def _own_clause_after_wh(clause: list[str]) -> bool:
    """After the wh-word the clause has its own subject or an infinitive: the wh-word is the stranded
    preposition's object ("what [i should know] about", "which is better [to start] with")."""
    first = next((i for i, w in enumerate(clause) if w in WH_WORDS), None)
    if first is None:
        return False
    rest = [w.split("'")[0] for w in clause[first + 1 : -1]]  # "what [we're aiming] for": "we" is the subject
    return bool(set(rest) & SUBJECT_PRONOUNS - {"it"}) or (len(rest) >= 2 and rest[-2] == "to")


def is_question(text: str) -> bool:
    """Asks something: ends with "?" or a clause opens like a question ("how long does it last")."""
    if text.rstrip().endswith("?"):
        return True
    for clause in re.split(r"[.,;:!?]+|\s[-–—]\s", text):
        words = clean(clause.split())
        while words and words[0] in DISCOURSE_MARKERS:
            words = words[1:]
        if words and (words[0] in QUESTION_OPENERS or words[:2] == ["what", "about"]):
            return True
    return False


def last_words(text: str, words: int = 5) -> str:
    core = ELLIPSIS.sub("", text).strip()
    parts = core.split()
    return ("…" if len(parts) > words else "") + " ".join(parts[-words:])


def referring_word(text: str) -> str:
    match = REFERRING_WORD.search(text)
    return match.group(0) if match else ""


def trailing_completions(text: str) -> list[str]:
    """Likely endings for a few common unfinished clauses ("the dose was..." → reduced, paused, stopped)."""
    for pattern, completions in TRAILING_COMPLETIONS:
        if pattern.search(ELLIPSIS.sub("", text).strip()):
            return completions
    return []
