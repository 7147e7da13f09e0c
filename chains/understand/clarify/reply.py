"""Asking and hearing back: the clarification OncoGuide sends (text and buttons), and the patient's reply
merged with the message it completes."""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from chains.cancer_types import cancer_types
from chains.prompts import load_prompt
from chains.safety import display_safe
from chains.text.normalise import short_form
from chains.understand.clarify.gate import GateResult
from chains.understand.clarify.words import ELLIPSIS, SHORT_REPLIES, STANDALONE_OPENERS, VAGUE
from chains.understand.memory import PendingClarification
from chains.understand.referents import substitute_referent
from chains.understand.vocabulary import WORD_RE, Vocabulary

_SAY: dict = yaml.safe_load(load_prompt("clarify_texts.yaml"))  # what OncoGuide says when it asks
SOMETHING_ELSE: str = _SAY["something_else"]


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
    return len(words) >= 6 and words[0].lower() in STANDALONE_OPENERS


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
        base = ELLIPSIS.sub("", original).rstrip(" ,;:-–—")
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
