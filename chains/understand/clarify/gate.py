"""The clarify-before-answering gate: is this message complete enough to answer well?

Kinds: ``cut_off`` (ends mid-word: "...for example neutr"), ``trailing_off`` (ends on an unfinished
clause: "the dose was...", "combine fulvestrant with"), ``no_referent`` ("is it safe?" with nothing
"it" can mean), ``too_little`` ("help", "?", a lone "palbo"), or ``none``. Pure and fast: the vocabulary
is built once per process and the rules are plain word-list checks. Also merges the patient's reply with
the held-back message.

Not flagged: shorthand and numbers ("ER+ PR+ HER2 neg", "ANC 0.9"), complete questions without "?",
short replies in context, emotional statements ("this is so hard"), stranded prepositions ("what is
this port used for", "is that something to worry about"), elliptical verbs ("I don't think I can").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from chains.cancer_types import cancer_types
from chains.prompts import question_kind
from chains.text.normalise import short_form
from chains.understand.clarify.shape import (
    ends_trailing,
    is_question,
    last_words,
    referring_word,
    topic_of,
    trailing_completions,
    unbalanced,
)
from chains.understand.clarify.words import (
    CLOSERS,
    CONJUNCTION_THAT,
    CONTENT_WORD,
    DEFINED_FIRST,
    DEMONSTRATIVE_NOUN,
    DISCOURSE_MARKERS,
    DISEASE_TREATMENT,
    DO_SUPPORT,
    DUMMY_IT_EXTRA,
    FUNCTION_WORDS,
    GENERIC_THINGS,
    GREETINGS,
    LIGHT_WORDS,
    MEDICINE_SLOT,
    OWN_ANTECEDENT_WORDS,
    PEOPLE_POINTERS,
    PERSONAL_THEY,
    PRONOUNS,
    QUALIFIED_GENERIC,
    QUOTED_PHRASE,
    REFERENT_KINDS,
    REFERRING_WORD,
    SHORT_REPLIES,
    VAGUE,
    VERB_LIKE,
    WH_WORDS,
    split_words,
)
from chains.understand.referents import DUMMY_IT, TREATMENT_PROPERTY, needs_referent
from chains.understand.vocabulary import Vocabulary

GateKind = Literal["none", "cut_off", "trailing_off", "no_referent", "too_little"]


@dataclass(frozen=True)
class GateResult:
    """The gate's decision with what it saw; ``candidates`` are likely completions, best first."""

    kind: GateKind
    fragment: str = ""
    candidates: tuple[str, ...] = ()
    reason: str = ""
    topic: str = ""  # what the full answer will cover, once clarified

    @property
    def needs_clarification(self) -> bool:
        """Anything but ``none`` holds the answer back."""
        return self.kind != "none"


def _neutralise_referents(text: str, vocabulary: Vocabulary) -> str:
    """Blank out referring words that do refer to something: the care team's "they" and "this port"."""
    text = PERSONAL_THEY.sub(lambda m: "the team" + m.group(0)[4:], text)
    text = DUMMY_IT_EXTRA.sub(" ", text)
    text = CONJUNCTION_THAT.sub("so ", text)
    text = QUALIFIED_GENERIC.sub("a ", text)

    def determiner(match: re.Match[str]) -> str:
        noun = match.group(2).lower()
        before = text[: match.start()].split()
        after_do = bool(before) and before[-1].lower() in DO_SUPPORT
        is_noun = noun in vocabulary.medical_terms or noun in vocabulary.alias_to_entity
        if (
            is_noun
            and noun not in GENERIC_THINGS
            and not (after_do and noun in VERB_LIKE)
            and not noun.endswith(("ed", "ly"))
        ):
            return "the " + match.group(2)
        return match.group(0)

    return DEMONSTRATIVE_NOUN.sub(determiner, text)


def _history_names_referent(history: Sequence[str], vocabulary: Vocabulary) -> bool:
    return any(vocabulary.find_entities(turn, kinds=REFERENT_KINDS) for turn in history)


def _lacks_referent(text: str, vocabulary: Vocabulary, history: Sequence[str], has_referent: bool) -> bool:
    """A question that points at something ("is it safe?") with nothing in message or history it can mean."""
    if has_referent or not is_question(text):
        return False  # statements ("this is so hard", "thank you for explaining that") need no referent
    if question_kind("general_topic").search(text):
        return False  # "how do I pay for this", "is this normal to feel": the patient's situation, not a medicine
    if _history_names_referent(history, vocabulary):
        return False
    if history and (question_kind("situation").search(history[-1]) or not TREATMENT_PROPERTY.search(text)):
        return False  # the last message is what it points at ("…still anxious every day" then "is it normal for it to
        # last this long?"; "how do i tell my 7 yr old" then "and what if she asks…"): the follow-up carries it
    cancer_named = any(cancer_types().mentioned(said) for said in (text, *history))
    if not TREATMENT_PROPERTY.search(text) and cancer_named:
        return False  # "it" can be the cancer itself: "my dad has CLL … could it come back?" (not "is it safe?")
    referring = REFERRING_WORD.search(text)
    if not referring and DISEASE_TREATMENT.search(text) and cancer_named:
        return False  # "my 6 year old has ALL. how long does the treatment last?": the cancer's own treatment
    if referring and referring.group(0).lower() in PEOPLE_POINTERS and not TREATMENT_PROPERTY.search(text):
        return False  # "my parents are in their 80s … should i, and how": a person, not a medicine
    if referring and any(m.end <= referring.start() for m in vocabulary.find_entities(text, kinds=REFERENT_KINDS)):
        return False  # "HER2-low, what does that mean for me": named before it is pointed at
    neutralised = _neutralise_referents(text, vocabulary)
    if QUOTED_PHRASE.search(text) or _names_its_own_antecedent(neutralised):
        return False
    return needs_referent(neutralised, vocabulary)


SENTENCE_END = re.compile(r"[.?!]+\s+")


def _names_its_own_antecedent(text: str) -> bool:
    """Enough content before the first pointer for it to point inside the message ("…a crisis line number to keep
    in my phone, my counsellor suggested it"), as opposed to "is it safe?" or "what about its side effects"."""
    text = DUMMY_IT.sub(lambda m: " " * len(m.group(0)), text)  # "is it ok to…", "its spread…" point at nothing
    referring = REFERRING_WORD.search(text)
    if referring is None or MEDICINE_SLOT.search(text):
        return False  # "my friend took it": only a named medicine could be the antecedent, and none was named
    sentence_start = max((m.end() for m in SENTENCE_END.finditer(text, 0, referring.start())), default=0)
    if DEFINED_FIRST.match(text[sentence_start : referring.start()]):
        return True  # "what is a cold cap and does it work": the sentence's first clause names it
    before = {w.lower() for w in CONTENT_WORD.findall(text[: referring.start()])}
    before -= FUNCTION_WORDS | WH_WORDS | PRONOUNS | DISCOURSE_MARKERS | LIGHT_WORDS
    return len(before) >= OWN_ANTECEDENT_WORDS


def cut_off(text: str, words: list[str], vocabulary: Vocabulary, history: Sequence[str]) -> GateResult | None:
    """Ends inside a word: the last word is unknown, not an acronym, and starts some known word."""
    last_raw = words[-1]
    last = last_raw.lower().strip(".,;:!?\"'()-")
    if text[-1] in CLOSERS or not last.isalpha() or len(last) < 2 or (last_raw.isupper() and len(last_raw) > 1):
        return None
    if vocabulary.is_known(last) or not vocabulary.is_prefix_of_known(last):
        return None  # a whole word, or a misspelling the pipeline corrects silently
    fragment = last_raw.rstrip(".,;:-")
    before = text[: len(text) - len(last_raw)]
    candidates = tuple(vocabulary.completions(last, [*history, before]))
    if not any(vocabulary.is_domain_word(c) for c in candidates):
        fix = vocabulary.correction(last)
        if fix and not fix.startswith(last) and vocabulary.is_domain_word(fix):
            return None  # a misspelt domain word ("breast cancr"), corrected silently; only rare English words start with it
    kind: GateKind = "too_little" if len(words) == 1 else "cut_off"
    return GateResult(
        kind, fragment=fragment, candidates=candidates, reason="ends mid-word", topic=topic_of(before, vocabulary)
    )


def assess_message(
    message: str, vocabulary: Vocabulary, history: Sequence[str] = (), has_referent: bool = True
) -> GateResult:
    """Decide whether ``message`` must be clarified before answering.

    ``history`` holds the earlier turns' texts; ``has_referent`` says whether the conversation has a
    medicine or treatment in focus (a condition or treatment named in ``history`` counts too).
    """
    text = message.strip()
    words = split_words(text)
    if not words:
        return GateResult("too_little", reason="no words")
    short = short_form(text)
    if short in SHORT_REPLIES:
        return (
            GateResult("none", reason="short reply")
            if history
            else GateResult("too_little", reason="a short reply with nothing before it")
        )
    if short in GREETINGS:
        return GateResult("none", reason="greeting")

    cut = cut_off(text, words, vocabulary, history)
    if cut is not None:
        return cut
    if len(words) == 1 and (short in VAGUE or not short):
        return GateResult("too_little", reason="a single vague word")
    if len(words) == 1 and not history:
        # A lone name asks nothing yet ("palbo"): offer what it names and ask what they'd like to know.
        word = words[0].lower().strip(".,;:!?\"'()")
        entity = vocabulary.alias_to_entity.get(word)
        candidates = (entity.canonical,) if entity else ()
        return GateResult(
            "too_little",
            fragment=words[0].strip(".,;:!?"),
            candidates=candidates,
            reason="a single word with no question",
        )

    if unbalanced(text):
        return GateResult(
            "trailing_off",
            fragment=last_words(text),
            reason="an open bracket or quote",
            topic=topic_of(text, vocabulary),
        )
    trailing, last_word = ends_trailing(text, vocabulary)
    if trailing:
        return GateResult(
            "trailing_off",
            fragment=last_words(text),
            candidates=tuple(trailing_completions(text)),
            reason=f"ends on '{last_word}'",
            topic=topic_of(text, vocabulary),
        )
    if _lacks_referent(text, vocabulary, history, has_referent):
        return GateResult("no_referent", fragment=referring_word(text), reason="nothing for it to refer to")
    return GateResult("none")
