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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml

from chains.cancer_types import cancer_types
from chains.prompts import load_prompt, question_kind
from chains.safety import display_safe
from chains.text import context
from chains.text.normalise import short_form
from chains.text.rules import load_rules
from chains.understand.memory import PendingClarification
from chains.understand.referents import DUMMY_IT, TREATMENT_PROPERTY, needs_referent, substitute_referent
from chains.understand.vocabulary import WORD_RE, Vocabulary

GateKind = Literal["none", "cut_off", "trailing_off", "no_referent", "too_little"]

_BOOK = load_rules(Path(__file__).parent / "vocab" / "clarify.yaml")
_SAY: dict = yaml.safe_load(load_prompt("clarify_texts.yaml"))  # what OncoGuide says when it asks
SOMETHING_ELSE: str = _SAY["something_else"]
_WORDS: dict[str, frozenset[str]] = {name: frozenset(words) for name, words in _BOOK.tables["words"].items()}

ARTICLES = _WORDS["articles"]
PREPOSITIONS = _WORDS["prepositions"]
CONJUNCTIONS = _WORDS["conjunctions"]
AUXILIARIES = _WORDS["auxiliaries"]
DETERMINERS = _WORDS["determiners"]
FUNCTION_WORDS = ARTICLES | PREPOSITIONS | CONJUNCTIONS | AUXILIARIES | DETERMINERS
WH_WORDS = _WORDS["wh_words"]
OBJECT_PRONOUNS = _WORDS["object_pronouns"]
ADVERB_PARTICLES = _WORDS["adverb_particles"]
STRANDING_WORDS = _WORDS["stranding_words"]
PRONOUNS = _WORDS["pronouns"]
STRANDABLE = _WORDS["strandable"]
SUBJECT_PRONOUNS = _WORDS["subject_pronouns"]
ELLIPTICAL_AUXILIARIES = _WORDS["elliptical_auxiliaries"]
INDEFINITES = _WORDS["indefinites"]
OBJECT_VERBS = _WORDS["object_verbs"]
OPEN_BEFORE_ELLIPSIS = OBJECT_VERBS | _WORDS["open_before_ellipsis"]
SHORT_REPLIES = _WORDS["short_replies"]
GREETINGS = _WORDS["greetings"]
VAGUE = _WORDS["vague"]
QUESTION_OPENERS = WH_WORDS | _WORDS["question_openers"]
DISCOURSE_MARKERS = _WORDS["discourse_markers"]
GENERIC_THINGS = _WORDS["generic_things"]
VERB_LIKE = _WORDS["verb_like"]
REFERENT_KINDS = ("drug", "treatment", "test", "condition")
_DO_SUPPORT = _WORDS["do_support"]
_CLAUSE_OPENERS = _WORDS["clause_openers"]
_MODAL_ENDINGS = _WORDS["modal_endings"]
_SUBORDINATORS = _WORDS["subordinators"]
_THRESHOLD_VERBS = _WORDS["threshold_verbs"]
_LIGHT_WORDS = _WORDS["light_words"]
_STANDALONE_OPENERS = WH_WORDS | _WORDS["standalone_openers"]

_PERSONAL_THEY = _BOOK["referent.personal_they"]
_DUMMY_IT_EXTRA = _BOOK["referent.dummy_it"]
_CAUSATIVE_END = _BOOK["ending.causative"]
_CONJUNCTION_THAT = _BOOK["referent.conjunction_that"]
_QUALIFIED_GENERIC = _BOOK["referent.qualified_generic"]
_MEDICINE_SLOT = _BOOK["referent.medicine_slot"]
_DEFINED_FIRST = _BOOK["referent.defined_first"]
_DEMONSTRATIVE_NOUN = _BOOK["referent.demonstrative_noun"]
_REFERRING_WORD = _BOOK["referent.referring_word"]
_TRAILING_COMPLETIONS = [
    (rule.pattern, list(rule.meta["completions"])) for rule in _BOOK.with_prefix("trailing.").values()
]
# A quoted phrase ("what does 'interval decrease' mean? saw it in…") is what "it"/"that" points at.
_QUOTED_PHRASE = re.compile(r"(?:^|[\s(:])['\"‘“][^'\"‘’“”]*\w[\s-]\w[^'\"‘’“”]*['\"’”]")
_CONTENT_WORD = re.compile(r"[a-z][a-z'-]{3,}", re.IGNORECASE)
_OWN_ANTECEDENT_WORDS = 3  # content words before the pointer that give it something to point at
_ELLIPSIS = re.compile(r"(\.{2,}|…)\s*$")
_CLOSERS = ".?!)]\"'”’"


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


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9][A-Za-z0-9'+\-/.]*", text)


def is_small_talk(message: str) -> bool:
    """A short reply ("ok", "thanks") or a greeting."""
    short = short_form(message)
    return short in SHORT_REPLIES or short in GREETINGS


def _topic(message: str, vocabulary: Vocabulary, exclude: str = "") -> str:
    text = message[: len(message) - len(exclude)] if exclude else message
    names: list[str] = []
    for mention in vocabulary.find_entities(text):
        if mention.canonical not in names:
            names.append(mention.canonical)
    return " and ".join(names[:2])


def _unbalanced(text: str) -> bool:
    if text.count("(") > text.count(")") or text.count("[") > text.count("]"):
        return True
    straight = text.count('"') % 2 == 1
    curly = text.count("“") > text.count("”")
    return straight or curly


def _clean(words: Sequence[str]) -> list[str]:
    return [w.lower().strip(".,;:!?\"'()") for w in words]


def _subject_only_after_aux(clause: list[str], vocabulary: Vocabulary) -> bool:
    """Do-support or a modal followed by just its subject: "how long does lymphedema", "what should I"."""
    positions = [i for i, w in enumerate(clause) if w in _DO_SUPPORT]
    if not positions or positions[-1] == len(clause) - 1:
        return False
    tail = clause[positions[-1] + 1 :]
    if len(tail) == 1 and tail[0] in SUBJECT_PRONOUNS:
        return True
    while tail and tail[0] in ARTICLES | DETERMINERS:
        tail = tail[1:]
    if not tail or len(tail) > 4:
        return False
    subject = " ".join(tail)
    return any(m.start == 0 and m.end == len(subject) for m in vocabulary.find_entities(subject))


def _ends_trailing(text: str, vocabulary: Vocabulary | None = None) -> tuple[bool, str]:
    """Ends on an unfinished clause? Returns (trailing, the last word)."""
    had_ellipsis = bool(_ELLIPSIS.search(text))
    core = _ELLIPSIS.sub("", text).rstrip(" ,;:-–—")
    words = _clean(_words(core))
    if not words:
        return False, ""
    last = words[-1]
    if core.endswith(("?", "!")) or (core.endswith(".") and not had_ellipsis):
        return False, last
    previous = words[-2] if len(words) > 1 else ""
    clause = _clean(re.split(r"[.?!;]\s+", core)[-1].split())
    fronted = any(w in WH_WORDS or w in INDEFINITES for w in clause[:-1])
    if had_ellipsis and last in OPEN_BEFORE_ELLIPSIS:
        return True, last  # "After my last infusion I started having..."
    if last in OBJECT_VERBS and not fronted:
        return True, last  # "Does Enhertu cause"
    last_clause = re.split(r"\b(?:but|and|so|although|though|yet)\b|[,;]", core)[-1]
    if last in _MODAL_ENDINGS and previous in SUBJECT_PRONOUNS and context.reports_advice(last_clause):
        return True, last  # "the nurse told me that while on ribociclib i should", "the surgeon said i couldn't"
    if not had_ellipsis and (
        last in _WORDS["time_endings"]
        or last in OBJECT_PRONOUNS
        or (last in WH_WORDS and previous in _WORDS["coordinators"])
        or (last == "it" and previous in {"that", "this"} and len(words) > 2 and words[-3] in AUXILIARIES)
    ):
        return False, last  # "what checks will he have after", "will that scare her", "and when", "or is that it"
    if last in SUBJECT_PRONOUNS and previous in _SUBORDINATORS:
        return True, last  # "my fertility doctor mentioned that if i"
    if last in _WORDS["threshold_words"] and previous in _THRESHOLD_VERBS:
        return True, last  # "what happens if my neutrophils drop below"
    if _CAUSATIVE_END.search(core):
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
    if fronted and last in PREPOSITIONS and previous in _WORDS["pointer_objects"]:
        return False, last  # "what is it for", "what are they for"
    if fronted and last in _WORDS["have_do"] and previous not in FUNCTION_WORDS:
        return False, last  # "what side effects does the immunotherapy part have"
    if last in PREPOSITIONS and previous in STRANDING_WORDS and fronted:
        return False, last  # "What is it used for", "what I'm going through", "something to worry about"
    if fronted and last in STRANDABLE and previous not in FUNCTION_WORDS and _own_clause_after_wh(clause):
        return False, last  # "what should i be keeping an eye on", "which one is better to start with"
    if last == "for" and previous in _WORDS["emphatic_before_for"] and fronted:
        return False, last  # "whats each drug actually for"
    if last == "like" and "what" in clause and set(clause) & _WORDS["copulas"]:
        return False, last  # "what are the side effects like"
    if (last, previous) in {("other", "the"), ("while", "a"), ("be", "to")} and (fronted or last != "be"):
        return False, last  # "i get the other", "for a while", "what does it mean if it turns out to be"
    if last in WH_WORDS and previous in _WORDS["knowing_words"]:
        return False, last  # "the doctors won't tell me which", "not sure which", "no idea why"
    if last == "for" and "how long" in " ".join(clause):
        return False, last  # "how long will I be on letrozole for"
    adverb = previous in _WORDS["elliptical_adverbs"] and len(words) > 2  # "while he still can"
    subject, before = (words[-3], words[-4] if len(words) > 3 else "") if adverb else (previous, "")
    if last in ELLIPTICAL_AUXILIARIES and subject in SUBJECT_PRONOUNS and not had_ellipsis:
        before = before or (words[-3] if len(words) > 2 and not adverb else "")
        if before not in _WORDS["elliptical_blockers"]:
            return False, last  # "I don't think I can", "yes she did", "while he still can"
    if last in AUXILIARIES and previous in PRONOUNS and any(w in WH_WORDS for w in words[:-2]):
        return False, last  # "I don't know what it is"
    if last in _WORDS["copulas"] - {"be"} and not had_ellipsis and previous not in FUNCTION_WORDS and "what" in clause:
        between = clause[len(clause) - 1 - clause[::-1].index("what") : -1][1:]
        if len(between) <= 6 and not set(between) & _CLAUSE_OPENERS:
            return False, last  # "explain what Ki-67 is", "I forget what the dose was": "what" fills the gap
    if last in _WORDS["complete_endings"] and not had_ellipsis:
        return False, last  # pronoun uses are complete: "I'm scared of that", "can you tell me more"
    return True, last


def _own_clause_after_wh(clause: list[str]) -> bool:
    """After the wh-word the clause has its own subject or an infinitive: the wh-word is the stranded
    preposition's object ("what [i should know] about", "which is better [to start] with")."""
    first = next((i for i, w in enumerate(clause) if w in WH_WORDS), None)
    if first is None:
        return False
    rest = clause[first + 1 : -1]
    return bool(set(rest) & SUBJECT_PRONOUNS - {"it"}) or (len(rest) >= 2 and rest[-2] == "to")


def is_question(text: str) -> bool:
    """Asks something: ends with "?" or a clause opens like a question ("how long does it last")."""
    if text.rstrip().endswith("?"):
        return True
    for clause in re.split(r"[.,;:!?]+|\s[-–—]\s", text):
        words = _clean(clause.split())
        while words and words[0] in DISCOURSE_MARKERS:
            words = words[1:]
        if words and (words[0] in QUESTION_OPENERS or words[:2] == ["what", "about"]):
            return True
    return False


def _neutralise_referents(text: str, vocabulary: Vocabulary) -> str:
    """Blank out referring words that do refer to something: the care team's "they" and "this port"."""
    text = _PERSONAL_THEY.sub(lambda m: "the team" + m.group(0)[4:], text)
    text = _DUMMY_IT_EXTRA.sub(" ", text)
    text = _CONJUNCTION_THAT.sub("so ", text)
    text = _QUALIFIED_GENERIC.sub("a ", text)

    def determiner(match: re.Match[str]) -> str:
        noun = match.group(2).lower()
        before = text[: match.start()].split()
        after_do = bool(before) and before[-1].lower() in _DO_SUPPORT
        is_noun = noun in vocabulary.medical_terms or noun in vocabulary.alias_to_entity
        if (
            is_noun
            and noun not in GENERIC_THINGS
            and not (after_do and noun in VERB_LIKE)
            and not noun.endswith(("ed", "ly"))
        ):
            return "the " + match.group(2)
        return match.group(0)

    return _DEMONSTRATIVE_NOUN.sub(determiner, text)


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
    if not TREATMENT_PROPERTY.search(text) and any(cancer_types().mentioned(said) for said in (text, *history)):
        return False  # "it" can be the cancer itself: "my dad has CLL … could it come back?" (not "is it safe?")
    referring = _REFERRING_WORD.search(text)
    if referring and any(m.end <= referring.start() for m in vocabulary.find_entities(text, kinds=REFERENT_KINDS)):
        return False  # "HER2-low, what does that mean for me": named before it is pointed at
    neutralised = _neutralise_referents(text, vocabulary)
    if _QUOTED_PHRASE.search(text) or _names_its_own_antecedent(neutralised):
        return False
    return needs_referent(neutralised, vocabulary)


def _names_its_own_antecedent(text: str) -> bool:
    """Enough content before the first pointer for it to point inside the message ("…a crisis line number to keep
    in my phone, my counsellor suggested it"), as opposed to "is it safe?" or "what about its side effects"."""
    text = DUMMY_IT.sub(lambda m: " " * len(m.group(0)), text)  # "is it ok to…", "its spread…" point at nothing
    referring = _REFERRING_WORD.search(text)
    if referring is None or _MEDICINE_SLOT.search(text):
        return False  # "my friend took it": only a named medicine could be the antecedent, and none was named
    if _DEFINED_FIRST.match(text[: referring.start()]):
        return True  # "what is a cold cap and does it work": the first clause names it
    before = {w.lower() for w in _CONTENT_WORD.findall(text[: referring.start()])}
    before -= FUNCTION_WORDS | WH_WORDS | PRONOUNS | DISCOURSE_MARKERS | _LIGHT_WORDS
    return len(before) >= _OWN_ANTECEDENT_WORDS


def _cut_off(text: str, words: list[str], vocabulary: Vocabulary, history: Sequence[str]) -> GateResult | None:
    """Ends inside a word: the last word is unknown, not an acronym, and starts some known word."""
    last_raw = words[-1]
    last = last_raw.lower().strip(".,;:!?\"'()-")
    if text[-1] in _CLOSERS or not last.isalpha() or len(last) < 2 or (last_raw.isupper() and len(last_raw) > 1):
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
        kind, fragment=fragment, candidates=candidates, reason="ends mid-word", topic=_topic(before, vocabulary)
    )


def assess_message(
    message: str, vocabulary: Vocabulary, history: Sequence[str] = (), has_referent: bool = True
) -> GateResult:
    """Decide whether ``message`` must be clarified before answering.

    ``history`` holds the earlier turns' texts; ``has_referent`` says whether the conversation has a
    medicine or treatment in focus (a condition or treatment named in ``history`` counts too).
    """
    text = message.strip()
    words = _words(text)
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

    cut = _cut_off(text, words, vocabulary, history)
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

    if _unbalanced(text):
        return GateResult(
            "trailing_off", fragment=_tail(text), reason="an open bracket or quote", topic=_topic(text, vocabulary)
        )
    trailing, last_word = _ends_trailing(text, vocabulary)
    if trailing:
        return GateResult(
            "trailing_off",
            fragment=_tail(text),
            candidates=tuple(trailing_completions(text)),
            reason=f"ends on '{last_word}'",
            topic=_topic(text, vocabulary),
        )
    if _lacks_referent(text, vocabulary, history, has_referent):
        return GateResult("no_referent", fragment=_referring_word(text), reason="nothing for it to refer to")
    return GateResult("none")


def _tail(text: str, words: int = 5) -> str:
    core = _ELLIPSIS.sub("", text).strip()
    parts = core.split()
    return ("…" if len(parts) > words else "") + " ".join(parts[-words:])


def _referring_word(text: str) -> str:
    match = _REFERRING_WORD.search(text)
    return match.group(0) if match else ""


def trailing_completions(text: str) -> list[str]:
    """Likely endings for a few common unfinished clauses ("the dose was..." → reduced, paused, stopped)."""
    for pattern, completions in _TRAILING_COMPLETIONS:
        if pattern.search(_ELLIPSIS.sub("", text).strip()):
            return completions
    return []


# --- the patient's reply to a clarification ---------------------------------------------------------
@dataclass(frozen=True)
class MergedQuestion:
    """The question to answer after a clarification, and a note when it is a best guess."""

    question: str
    interpretation_note: str | None = None
    resolved: bool = True


def _match_candidate(reply: str, candidates: list[str], fragment: str) -> str | None:
    reply_words = [w.lower() for w in WORD_RE.findall(reply)]
    for candidate in candidates:
        if reply.strip().lower() == candidate.lower():
            return candidate
    for candidate in candidates:
        stem = candidate.lower().rstrip("s")
        starts = any(
            w.startswith(stem[: max(len(fragment) + 2, len(stem) - 3)]) and w.startswith(fragment.lower())
            for w in reply_words
        )
        # the reply names this completion ("yes, neutrophil-related" → neutrophils)
        if starts and any(stem.startswith(w.rstrip("s").split("-")[0]) or w.startswith(stem) for w in reply_words):
            return candidate
    for word in reply_words:
        if fragment and word.startswith(fragment.lower()) and len(word) > len(fragment):
            return word
    return None


def _looks_standalone(reply: str) -> bool:
    words = reply.split()
    return len(words) >= 6 and words[0].lower() in _STANDALONE_OPENERS


def merge_reply(pending: PendingClarification, reply: str, vocabulary: Vocabulary) -> MergedQuestion:
    """Combine the held-back message with the patient's reply into the question to answer."""
    original = pending.message.strip()
    reply = reply.strip()
    if pending.kind in ("cut_off", "too_little") and pending.fragment:
        chosen = _match_candidate(reply, pending.candidates, pending.fragment)
        stem = (
            original[: len(original) - len(pending.fragment)] if original.endswith(pending.fragment) else original + " "
        )
        if not stem.strip() and len(WORD_RE.findall(reply)) >= 2:
            # The message was only the fragment ("palbo", "neutr"): the reply is the question, about what it named.
            name = chosen or (pending.candidates[0] if len(pending.candidates) == 1 else None)
            if name is None or name.lower().rstrip("s") in reply.lower():
                return MergedQuestion(reply)
            return MergedQuestion(substitute_referent(reply, name))
        if chosen:
            rest = reply if _looks_standalone(reply) and chosen.lower() not in reply.lower()[: len(chosen)] else ""
            merged = (stem + chosen).strip()
            return MergedQuestion(f"{merged} {rest}".strip() if rest and rest.lower() not in merged.lower() else merged)
        if _looks_standalone(reply):
            return MergedQuestion(reply)
        if len(WORD_RE.findall(reply)) >= 2:
            return MergedQuestion(f"{stem.rstrip()} {reply}".strip())
        best = pending.candidates[0] if pending.candidates else pending.fragment
        merged = (stem + best).strip()
        return MergedQuestion(merged, _SAY["guessed_completion"].format(merged=merged), resolved=False)
    if pending.kind == "trailing_off":
        base = _ELLIPSIS.sub("", original).rstrip(" ,;:-–—")
        if _looks_standalone(reply) or reply.lower().startswith(base.lower()[:20]):
            return MergedQuestion(reply)
        chosen = reply
        for option in pending.candidates:
            if reply.lower() == option.lower():
                chosen = option.split(" (")[0]
        return MergedQuestion(f"{base} {chosen}".strip())
    if pending.kind == "cancer_type":
        chosen = cancer_types().chosen(reply)
        if chosen is not None:
            named = chosen.name if chosen.name.lower() not in original.lower() else ""
            return MergedQuestion(f"{original.rstrip()} ({named})" if named else original)
        return MergedQuestion(reply if _looks_standalone(reply) else original)
    if pending.kind == "no_referent":
        mentions = vocabulary.find_entities(reply)
        if mentions:
            return MergedQuestion(_with_referent(original, reply, mentions[0].canonical, mentions[0].text))
        if _looks_standalone(reply):
            return MergedQuestion(reply)
        merged = f"{original.rstrip(' ?')} — {reply}"
        return MergedQuestion(merged, _SAY["guessed_referent"].format(merged=merged), resolved=False)
    # too_little without a fragment: the reply is the question
    if short_form(reply) in SHORT_REPLIES | VAGUE:
        return MergedQuestion(
            f"{original} {reply}".strip(),
            _SAY["overview"],
            resolved=False,
        )
    return MergedQuestion(reply)


def _with_referent(original: str, reply: str, canonical: str, written: str) -> str:
    """ "is it safe?" + "taking ibrance while pregnant" → "Is palbociclib safe (taking ibrance while pregnant)?"."""
    question = substitute_referent(original, canonical)
    rest = reply
    if rest.lower().startswith(written.lower()):
        rest = rest[len(written) :]
    rest = rest.strip(" ,;:-–—.!?")
    if len(WORD_RE.findall(rest)) < 2:
        return question
    mark = "?" if question.rstrip().endswith("?") else ""
    return f"{question.rstrip(' ?.!')} ({rest}){mark}"


def _one_of(options: list[str]) -> str:
    """Every option the buttons offer, in the question too: "a, b or c" (the text once named two of three)."""
    return ", ".join(options[:-1]) + " or " + options[-1] if len(options) > 1 else "".join(options)


@dataclass
class Clarification:
    """What OncoGuide asks, and the options offered as buttons."""

    text: str
    options: list[str] = field(default_factory=list)


def clarification_message(result: GateResult) -> Clarification:
    """Kind, short wording that quotes what OncoGuide saw and offers likely completions."""
    fragment = display_safe(result.fragment)
    covers = _SAY["covers"].format(topic=result.topic) if result.topic else ""
    options = list(result.candidates)
    guess = _one_of(options)
    if result.kind == "cut_off":
        ask = _SAY["cut_off_guess"].format(guess=guess) if guess else _SAY["cut_off_no_guess"]
        return Clarification(_SAY["cut_off"].format(fragment=fragment, ask=ask, covers=covers), options)
    if result.kind == "trailing_off":
        return Clarification(_SAY["trailing_off"].format(fragment=fragment, covers=covers), options)
    if result.kind == "no_referent":
        word = _SAY["no_referent_word"].format(fragment=fragment) if fragment else ""
        return Clarification(_SAY["no_referent"].format(word=word), list(_SAY["no_referent_options"]))
    if fragment:
        ask = _SAY["too_little_guess"].format(guess=guess) if guess else _SAY["too_little_no_guess"]
        return Clarification(_SAY["too_little_fragment"].format(fragment=fragment, ask=ask), options)
    return Clarification(_SAY["too_little"], list(_SAY["too_little_options"]))
