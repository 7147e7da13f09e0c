"""The clarify-before-answering gate: is this message complete enough to answer well?

Kinds: ``cut_off`` (ends mid-word: "...for example neutr"), ``trailing_off`` (ends on an unfinished
clause: "the dose was...", "combine fulvestrant with"), ``no_referent`` ("is it safe?" with nothing
"it" can mean), ``too_little`` ("help", "?"), or ``none``. Pure and fast: the vocabulary is built
once per process. Also merges the patient's reply with the held-back message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from chains.memory import PendingClarification, needs_referent, substitute_referent
from chains.vocabulary import WORD_RE, Vocabulary

GateKind = Literal["none", "cut_off", "trailing_off", "no_referent", "too_little"]
SOMETHING_ELSE = "Something else — I'll type it"

ARTICLES = {"the", "a", "an"}
PREPOSITIONS = {
    "of", "for", "with", "to", "in", "on", "about", "at", "from", "by", "into", "onto", "than", "like",
    "without", "after", "before", "between", "during", "including", "regarding", "versus", "vs", "per", "via",
    "through", "towards", "toward", "under", "over", "against", "upon", "within",
}  # fmt: skip
CONJUNCTIONS = {"and", "or", "but", "because", "so", "if", "that", "when", "while", "although", "though", "whether", "unless", "since", "as", "nor"}
AUXILIARIES = {
    "is", "are", "was", "were", "be", "been", "being", "am", "can", "could", "should", "would", "will", "shall",
    "does", "do", "did", "has", "have", "had", "may", "might", "must", "isn't", "wasn't", "doesn't",
}  # fmt: skip
DETERMINERS = {"my", "your", "his", "her", "their", "our", "its", "this", "these", "those", "some", "any", "each", "every", "which", "what", "very", "more", "most", "such", "another", "other"}
FUNCTION_WORDS = ARTICLES | PREPOSITIONS | CONJUNCTIONS | AUXILIARIES | DETERMINERS
WH_WORDS = {"what", "who", "which", "where", "whom", "whose", "how", "when", "why"}
STRANDING_WORDS = {
    "used", "use", "talk", "talking", "ask", "asking", "look", "looking", "worry", "worried", "care", "pay", "deal",
    "dealing", "wait", "waiting", "listen", "apply", "go", "going", "come", "coming", "made", "aware", "eligible",
    "qualify", "screened", "tested", "checked", "prepared", "out", "up", "think", "thinking", "hope", "hoping",
    "afraid", "scared", "known", "called", "responsible", "allergic", "approved", "good", "bad", "prepare", "plan",
    "planning", "in", "into", "on", "for", "with", "from", "referred", "treated", "taken", "given", "prescribed",
    "watch", "tested", "test", "screen", "call", "rely", "count", "depend", "focus", "at", "back",
}  # fmt: skip
PRONOUNS = {"it", "this", "that", "they", "he", "she", "i", "you", "we", "them", "one", "there"}
SHORT_REPLIES = {
    "ok", "okay", "k", "thanks", "thank you", "thx", "ty", "yes", "yes please", "no", "no thanks", "yep", "nope",
    "sure", "got it", "great", "cool", "fine", "alright", "perfect", "understood", "right", "yeah", "nah",
    "thank you so much", "thanks a lot", "ok thanks", "okay thanks", "that helps", "makes sense",
}  # fmt: skip
GREETINGS = {"hi", "hello", "hey", "good morning", "good evening", "good afternoon", "hiya", "hi there", "hello there"}
VAGUE = {"help", "hmm", "hm", "so", "um", "umm", "uh", "well", "question", "q", "hello?", "anyone", "info", "please", "what", "why", "how", "and", "but"}
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
        return self.kind != "none"


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9][A-Za-z0-9'+\-/.]*", text)


def normalise_short(text: str) -> str:
    return re.sub(r"[^a-z ]", "", text.lower()).strip()


def is_small_talk(message: str) -> bool:
    short = normalise_short(message)
    return short in SHORT_REPLIES or short in GREETINGS


def _topic(message: str, vocabulary: Vocabulary, exclude: str = "") -> str:
    text = message[: len(message) - len(exclude)] if exclude else message
    mentions = vocabulary.find_entities(text)
    names = []
    for mention in mentions:
        if mention.canonical not in names:
            names.append(mention.canonical)
    return " and ".join(names[:2])


def _unbalanced(text: str) -> bool:
    if text.count("(") > text.count(")") or text.count("[") > text.count("]"):
        return True
    straight = text.count('"') % 2 == 1
    curly = text.count("“") > text.count("”")
    return straight or curly


def _ends_trailing(text: str) -> tuple[bool, str]:
    """Ends on an unfinished clause? Returns (trailing, the last word)."""
    had_ellipsis = bool(_ELLIPSIS.search(text))
    core = _ELLIPSIS.sub("", text).rstrip(" ,;:-–—")
    words = [w.lower().strip(".,;:!?\"'()") for w in _words(core)]
    if not words:
        return False, ""
    last = words[-1]
    if core.endswith(("?", "!")) or (core.endswith(".") and not had_ellipsis):
        return False, last
    if last not in FUNCTION_WORDS:
        return False, last
    previous = words[-2] if len(words) > 1 else ""
    sentence_start = re.split(r"[.?!]\s+", core)[-1].lower().split()
    is_wh = bool(sentence_start) and sentence_start[0] in WH_WORDS | {"who's", "what's"}
    if last in PREPOSITIONS and is_wh and previous in STRANDING_WORDS:
        return False, last  # "What is it used for", "who do I talk to"
    if last in AUXILIARIES and previous in PRONOUNS and any(w in WH_WORDS for w in words[:-2]):
        return False, last  # "I don't know what it is"
    if last in {"that", "this", "those", "these", "which", "what", "more", "most", "some", "any", "so", "as", "too", "since", "one", "it"} and not had_ellipsis:
        # Pronoun uses are complete: "I'm scared of that", "can you tell me more", "I need to know more"
        if last in {"that", "this", "those", "these", "more", "most", "some", "any", "so", "it", "one"}:
            return False, last
    return True, last


def assess_message(message: str, vocabulary: Vocabulary, history: list[str] | tuple[str, ...] = (), has_referent: bool = True) -> GateResult:
    """Decide whether ``message`` must be clarified before answering."""
    text = message.strip()
    words = _words(text)
    if not words:
        return GateResult("too_little", reason="no words")
    short = normalise_short(text)
    if short in SHORT_REPLIES:
        return GateResult("none", reason="short reply") if history else GateResult("too_little", reason="a short reply with nothing before it")
    if short in GREETINGS:
        return GateResult("none", reason="greeting")

    last_raw = words[-1]
    last = last_raw.lower().strip(".,;:!?\"'()-")
    ends_closed = text[-1] in _CLOSERS
    if not ends_closed and last.isalpha() and len(last) >= 2 and not vocabulary.is_known(last):
        if vocabulary.correction(last) is None or vocabulary.is_prefix_of_known(last):
            if vocabulary.is_prefix_of_known(last):
                context = [*history, text[: -len(last_raw)]]
                candidates = tuple(vocabulary.completions(last, context))
                kind: GateKind = "too_little" if len(words) == 1 else "cut_off"
                return GateResult(kind, fragment=last_raw, candidates=candidates, reason="ends mid-word", topic=_topic(text, vocabulary, last_raw))
    if len(words) == 1 and (short in VAGUE or not short):
        return GateResult("too_little", reason="a single vague word")

    if _unbalanced(text):
        return GateResult("trailing_off", fragment=_tail(text), reason="an open bracket or quote", topic=_topic(text, vocabulary))
    trailing, last_word = _ends_trailing(text)
    if trailing:
        return GateResult(
            "trailing_off", fragment=_tail(text), candidates=tuple(trailing_completions(text)), reason=f"ends on '{last_word}'", topic=_topic(text, vocabulary)
        )
    if not has_referent and needs_referent(text, vocabulary):
        return GateResult("no_referent", fragment=_referring_word(text), reason="nothing for it to refer to")
    return GateResult("none")


def _tail(text: str, words: int = 5) -> str:
    core = _ELLIPSIS.sub("", text).strip()
    parts = core.split()
    return ("…" if len(parts) > words else "") + " ".join(parts[-words:])


def _referring_word(text: str) -> str:
    match = re.search(r"\b(its|it|that one|this one|that|this|they|them|those|these)\b", text, re.IGNORECASE)
    return match.group(0) if match else ""


_TRAILING_COMPLETIONS: list[tuple[re.Pattern[str], list[str]]] = [
    (re.compile(r"\bdose (was|is|has been|got|will be)\W*$", re.I), ["reduced", "paused (on hold)", "stopped"]),
    (re.compile(r"\b(combine|take|mix|use)\b.*\bwith\W*$", re.I), ["another cancer medicine", "a supplement or herbal remedy", "food or alcohol"]),
    (re.compile(r"\b(side effects?|symptoms?) (of|from)\W*$", re.I), ["my current treatment", "a medicine I might start"]),
]


def trailing_completions(text: str) -> list[str]:
    for pattern, completions in _TRAILING_COMPLETIONS:
        if pattern.search(_ELLIPSIS.sub("", text).strip()):
            return completions
    return []


# --- the patient's reply to a clarification ---------------------------------------------------------
@dataclass(frozen=True)
class MergedQuestion:
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
        if any(w.startswith(stem[: max(len(fragment) + 2, len(stem) - 3)]) and w.startswith(fragment.lower()) for w in reply_words):
            # the reply names this completion ("yes, neutrophil-related" → neutrophils)
            if any(stem.startswith(w.rstrip("s").split("-")[0]) or w.startswith(stem) for w in reply_words):
                return candidate
    for word in reply_words:
        if fragment and word.startswith(fragment.lower()) and len(word) > len(fragment):
            return word
    return None


def _looks_standalone(reply: str) -> bool:
    words = reply.split()
    return len(words) >= 6 and words[0].lower() in WH_WORDS | {"can", "could", "is", "are", "does", "do", "should", "will", "tell"}


def merge_reply(pending: PendingClarification, reply: str, vocabulary: Vocabulary) -> MergedQuestion:
    """Combine the held-back message with the patient's reply into the question to answer."""
    original = pending.message.strip()
    reply = reply.strip()
    if pending.kind in ("cut_off", "too_little") and pending.fragment:
        chosen = _match_candidate(reply, pending.candidates, pending.fragment)
        stem = original[: len(original) - len(pending.fragment)] if original.endswith(pending.fragment) else original + " "
        if chosen:
            rest = reply if _looks_standalone(reply) and chosen.lower() not in reply.lower()[:len(chosen)] else ""
            merged = (stem + chosen).strip()
            return MergedQuestion(f"{merged} {rest}".strip() if rest and rest.lower() not in merged.lower() else merged)
        if _looks_standalone(reply):
            return MergedQuestion(reply)
        if len(WORD_RE.findall(reply)) >= 2:
            return MergedQuestion(f"{stem.rstrip()} {reply}".strip())
        best = pending.candidates[0] if pending.candidates else pending.fragment
        merged = (stem + best).strip()
        return MergedQuestion(merged, f'I wasn\'t completely sure, so I read your message as: "{merged}".', resolved=False)
    if pending.kind == "trailing_off":
        base = _ELLIPSIS.sub("", original).rstrip(" ,;:-–—")
        if _looks_standalone(reply) or reply.lower().startswith(base.lower()[:20]):
            return MergedQuestion(reply)
        chosen = reply
        for option in pending.candidates:
            if reply.lower() == option.lower():
                chosen = option.split(" (")[0]
        return MergedQuestion(f"{base} {chosen}".strip())
    if pending.kind == "no_referent":
        mentions = vocabulary.find_entities(reply)
        if mentions:
            return MergedQuestion(substitute_referent(original, mentions[0].canonical))
        if _looks_standalone(reply):
            return MergedQuestion(reply)
        merged = f"{original.rstrip(' ?')} — {reply}"
        return MergedQuestion(merged, f'I read your question as: "{merged}".', resolved=False)
    # too_little without a fragment: the reply is the question
    if normalise_short(reply) in SHORT_REPLIES | VAGUE:
        return MergedQuestion(f"{original} {reply}".strip(), "I wasn't sure what you'd like to know, so here is an overview.", resolved=False)
    return MergedQuestion(reply)


@dataclass
class Clarification:
    text: str
    options: list[str] = field(default_factory=list)


def clarification_message(result: GateResult) -> Clarification:
    """Kind, short wording that quotes what OncoGuide saw and offers likely completions."""
    covers = f" Once I know, I'll answer your question about {result.topic}." if result.topic else ""
    if result.kind == "cut_off":
        options = list(result.candidates)
        guess = " or ".join(options[:2]) if options else ""
        ask = f" — did you mean {guess}?" if guess else " — could you finish the word?"
        return Clarification(f'It looks like your message got cut off: it ends at "{result.fragment}"{ask}{covers}', options)
    if result.kind == "trailing_off":
        return Clarification(
            f'Your message seems to stop partway, at "{result.fragment}". Could you finish the thought so I can give you '
            f"the right information?{covers}",
            list(result.candidates),
        )
    if result.kind == "no_referent":
        word = f' by "{result.fragment}"' if result.fragment else ""
        return Clarification(
            f"Which medicine or treatment do you mean{word}? Tell me its name and I'll explain.",
            ["A hormone therapy (e.g. letrozole, tamoxifen)", "A CDK4/6 inhibitor (e.g. ribociclib)", "Chemotherapy"],
        )
    if result.fragment:
        options = list(result.candidates)
        guess = " or ".join(options[:2])
        return Clarification(f'I only see "{result.fragment}" — did you mean {guess}? What would you like to know about it?', options)
    return Clarification(
        "I'd be glad to help — could you tell me a little more about what you'd like to know?",
        ["What are the side effects of my treatment?", "How do CDK4/6 inhibitors work?", "When should I call my care team?"],
    )
