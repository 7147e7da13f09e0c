"""Conversation memory: LangChain messages per session, trimmed by tokens, plus what the patient
is talking about — used to turn follow-ups ("what about its side effects?") into standalone
questions. The rewritten question drives both retrieval and the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    messages_from_dict,
    messages_to_dict,
    trim_messages,
)

from chains.retrieval.tokens import count_tokens
from chains.understand.profile import PatientProfile
from chains.understand.vocabulary import Vocabulary

_REFERRING = re.compile(
    r"\b(that one|this one|the drug|the medicine|the medication|the treatment(?! (?:options?|plans?|choices?))|this drug|that drug|this medicine|"
    r"that medicine|the pill|the tablets?|its|it's|itself|it|that|this|they|them|their|those|these)\b",
    re.IGNORECASE,
)
# "it" that refers to nothing: "is it normal to...", "it's hard", "it hurts when..."
DUMMY_IT = re.compile(
    r"\b(is it|it is|it's|its|was it|it was|will it be|would it be|is it ever|isn't it)\s+(?:\w+\s+)?(normal|ok|okay|safe|common|"
    r"possible|true|worth|too late|too early|bad|wise|better|likely|necessary|important|hard|difficult|scary|time|"
    r"rude|selfish|wrong|silly|stupid|weird|strange|unusual|usual|typical|realistic|fair|allowed|advisable|"
    r"dangerous|risky|sensible|best|easier|harder|enough|unreasonable|reasonable)\s+(?:to|that|if|for|when)\b"
    r"|\b(?:is|was|would|will) it (?:be )?worth\b|\bworth it\b|\bit (hurts|aches|takes time)\b|\bthat'?s (all|it|fine|ok|okay|great|good|helpful)\b"
    r"|\b(?:it'?s|its|it has|it's been|it has been|it had) (?:spread|come back|gone|grown|started|stopped|returned|"
    r"progressed|moved|reached|been|got|getting|not)\b"
    r"|\b(?:this|that|so) (?:exhausted|tired|bad|much|long|far|early|late|hard|often|quickly|fast|young|old|sore|"
    r"sick|low|high|scared|worried|anxious|down|emotional|weak)\b"
    r"|\bthey(?= (?:usually |normally |always )?(?:decide|choose|pick|know|think|say|recommend|suggest|check|look|"
    r"ask|tell|test|measure|monitor|schedule|plan|want|expect|offer|explain|see)\w*\b)"
    r"|\bthat (?=(?:my|mummy|mommy|mum|mom|dad|daddy|the|her|his|their|our|your|a|an|there|it|cancer)\b)"
    r"|\bits (?=(?:her|his|my|our|their|your|a|an|the|so|very|too|really|just|all|only|such|more|less|my)\b)"
    # the care team or an employer, not a treatment: "can they refuse to let me do reduced hours"
    r"|\bthey(?= (?:can|could|will|would|should|might|may)?\s*(?:refuse|let|allow|make|force|sack|fire|stop me|say no)\b)",
    re.IGNORECASE,
)
_ELLIPTICAL = re.compile(
    r"^\s*(and|also|what about|how about|what of|plus|or)\b|^\s*(side effects|monitoring|interactions|dose|dosing|"
    r"risks?|benefits?|alternatives?|cost)\b\s*\??\s*$",
    re.IGNORECASE,
)


RECENT_USER_MESSAGES = 8


@dataclass
class PendingClarification:
    """A message held back while OncoGuide asks what the patient meant."""

    message: str
    kind: str
    fragment: str = ""
    candidates: list[str] = field(default_factory=list)


@dataclass
class ConversationState:
    """Everything one conversation remembers; serialisable for persistence and resume."""

    session_id: str
    messages: list[BaseMessage] = field(default_factory=list)
    standalone_questions: list[str] = field(default_factory=list)
    focus: list[str] = field(default_factory=list)  # entities discussed, most recent last
    profile: PatientProfile = field(default_factory=PatientProfile)
    pending: PendingClarification | None = None
    pending_triage: dict[str, str] | None = None  # the message held back while a triage question is asked
    # The patient's last messages, untrimmed: red-flag context ("hopeless" two turns ago) must survive
    # even when long answers push them out of the token-trimmed memory.
    recent_user_messages: list[str] = field(default_factory=list)
    # The cancer type this conversation is about (a chains/vocab/cancer_types.yaml id): the last one the
    # patient named or chose. Not a fact about the patient: a carer asks about someone else's cancer.
    cancer_focus: str | None = None

    def remember_turn(self, user_text: str, reply_text: str, standalone: str | None, max_tokens: int) -> None:
        self.recent_user_messages = [*self.recent_user_messages, user_text][-RECENT_USER_MESSAGES:]
        self.messages.append(HumanMessage(user_text))
        self.messages.append(AIMessage(reply_text))
        if standalone:
            self.standalone_questions.append(standalone)
        self.messages = trim_history(self.messages, max_tokens)
        self.standalone_questions = self.standalone_questions[-10:]

    def note_focus(self, entities: list[str]) -> None:
        for entity in entities:
            if entity in self.focus:
                self.focus.remove(entity)
            self.focus.append(entity)
        self.focus = self.focus[-8:]

    def user_texts(self) -> list[str]:
        return [str(m.content) for m in self.messages if isinstance(m, HumanMessage)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "messages": messages_to_dict(self.messages),
            "standalone_questions": list(self.standalone_questions),
            "focus": list(self.focus),
            "profile": self.profile.to_dict(),
            "pending": None if self.pending is None else vars(self.pending).copy(),
            "pending_triage": None if self.pending_triage is None else dict(self.pending_triage),
            "recent_user_messages": list(self.recent_user_messages),
            "cancer_focus": self.cancer_focus,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConversationState:
        pending = data.get("pending")
        return cls(
            session_id=data["session_id"],
            messages=messages_from_dict(data.get("messages", [])),
            standalone_questions=list(data.get("standalone_questions", [])),
            focus=list(data.get("focus", [])),
            profile=PatientProfile.from_dict(data.get("profile", {})),
            pending=PendingClarification(**pending) if pending else None,
            pending_triage=data.get("pending_triage"),
            recent_user_messages=list(data.get("recent_user_messages", [])),
            cancer_focus=data.get("cancer_focus"),
        )


def trim_history(messages: list[BaseMessage], max_tokens: int) -> list[BaseMessage]:
    """Keep the most recent messages that fit in ``max_tokens`` (whole human/AI pairs)."""
    return trim_messages(
        messages,
        max_tokens=max_tokens,
        token_counter=lambda msgs: sum(count_tokens(str(m.content)) + 4 for m in msgs),
        strategy="last",
        start_on="human",
        allow_partial=False,
    )


@dataclass(frozen=True)
class Rewrite:
    standalone: str
    referent: str | None  # the entity the follow-up was resolved to, if any
    needs_referent: bool  # the message refers to something the conversation does not contain


_STRONG_KINDS = ("drug", "treatment", "test")
# "it" (or "that one") pointing back at a treatment while the message also names another one.
_OBJECT_IT = re.compile(
    r"\b(?:is|does|can|will|would|should|could|did|has)\s+(?P<w>that|this)\b(?!\s+(?:normal|ok|okay|true|possible|"
    r"common|likely)\b)|\b(?P<it>it|that one|this one|the drug|the medicine|the tablets?)\b(?!')",
    re.I,
)
_COMBINATION = re.compile(
    r"\b(with|and|plus|alongside|together with|on top of)\s+(it|that|this|them|those|these)\b", re.I
)
_FOLLOW_UP_SHAPE = re.compile(
    r"^\s*(and|also|but|so|what about|how about|then|mine|is that|does that|will that)\b"
    r"|\bwhich (?:one|of them|of the two|is better|would be better)\b"
    r"|\b(?:afterwards|after that|once (?:it'?s|its|that'?s) (?:done|over|finished))\b",
    re.I,
)


def needs_referent(message: str, vocabulary: Vocabulary) -> bool:
    """The message points at something ("its side effects", "is it safe?") and names no treatment."""
    if vocabulary.find_entities(message, kinds=_STRONG_KINDS):
        return False
    stripped = DUMMY_IT.sub(" ", message)
    return bool(_REFERRING.search(stripped)) or bool(_ELLIPTICAL.match(message))


def _is_follow_up(message: str, vocabulary: Vocabulary) -> bool:
    if needs_referent(message, vocabulary) or _FOLLOW_UP_SHAPE.match(message):
        return True
    words = re.findall(r"[a-z']+", message.lower())
    return len(words) <= 6 and not vocabulary.find_entities(message)


TREATMENT_PROPERTY = re.compile(
    r"\b(side[\s-]?effects?|dose|doses|dosing|work|works|taking|take|monitor\w*|interact\w*|pills?|tablets?|"
    r"injections?|infusions?|safe|stop|start|long)\b",
    re.I,
)


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
        strong = of_kind(_STRONG_KINDS)
        taking = [c for c in strong if c in current]
        if taking or strong:
            return (taking or strong)[-1]
    return ordered[-1] if ordered else None


# A medicine or treatment slot: what one is on, takes or stays on.
_ON_IT = re.compile(
    r"\b(?:on|take|taking|takes|took|stay on|stop|stopping|start|starting)\s+(?:it|that|this|them|that one)\b", re.I
)
# "how long do the side effects last and do they get better": "they" are the side effects (of what was in focus).
_OWN_PLURAL_ANTECEDENT = re.compile(
    r"\bthe (?P<noun>side[\s-]?effects|symptoms|risks|benefits|results)\b(?=.*\b(?:they|them|those)\b)", re.I
)


_MEDICINE_WORDS = re.compile(r"\bthe (?:tablets?|pills?|drug|medicine|medication|injections?|jab)\b", re.I)
_WHOLE_PLAN = re.compile(
    r"\b(?:says?|said|say|saying) no to (?:all of )?(?:it|this|that|them)\b|\ball of (?:it|that|this)\b", re.I
)
_ELLIPTICAL_OPENER = re.compile(r"^\s*(?:and|also|plus|or)?\s*(?:what|how) about\b", re.I)
_PROPERTY_WORDS = frozenset({
    "side", "effects", "effect", "dose", "dosing", "doses", "risk", "risks", "benefit", "benefits", "alternatives",
    "alternative", "cost", "costs", "monitoring", "interactions", "interaction", "long", "term", "safety", "safe",
    "it", "its", "that", "this", "them", "those", "these", "after", "during", "before", "instead",
})  # fmt: skip


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


_DEFINITION_ASK = re.compile(
    r"\b(?:what(?:'s|s| is| are)|whats|explain)\s+(?:a |an |the )?([a-z0-9][a-z0-9 -]{2,40}?)\s*\?*$", re.I
)


_STAGE_BEFORE = re.compile(r"(?:\b(?:stage\s+(?:[0-4]|i{1,3}v?|iv)[abc]?|metastatic|advanced|secondary)\s+)+$", re.I)


def _disease_in_conversation(recent_messages: list[str]) -> str | None:
    """The cancer the conversation named, as written with its stage ("stage 4 lung cancer"), most recent first."""
    from chains.understand.cancer_types import cancer_types

    for text in reversed(recent_messages):
        spans = cancer_types().spans(text)
        if spans:
            start, cancer = spans[-1]
            stage = _STAGE_BEFORE.search(text[:start])
            return f"{stage.group(0).strip().lower()} {cancer.name}" if stage else cancer.name
    return None


# Questions about the disease itself, whatever medicine is in focus: outlook, spread, stage, cure.
_DISEASE_PROPERTY = re.compile(
    r"\b(live with|living with|life expectancy|survival|survive|prognosis|outlook|curable|cure[ds]?|terminal|"
    r"spread|spreading|come back|coming back|comes back|came back|recurr\w*|stage|how (?:bad|serious|common|aggressive)|aggressive|"
    r"inherit\w*|hereditary|genetic|caused? (?:it|this|that)|get it from)\b",
    re.I,
)


def rewrite_followup(message: str, state: ConversationState, vocabulary: Vocabulary) -> Rewrite:
    """Turn a follow-up into a standalone question.

    A referring word ("it", "its", "that one") is replaced by the entity in focus; when the message
    names one thing and points at another ("is letrozole safe with that?"), the other is filled in;
    and when what the patient points at is less certain (a condition or a topic rather than a named
    treatment), the previous question is carried along so retrieval and the answer keep the thread.
    """
    previous = state.standalone_questions[-1] if state.standalone_questions else None
    named = {m.canonical for m in vocabulary.find_entities(message)}
    focus = [f for f in state.focus if f not in named]
    if not needs_referent(message, vocabulary):
        if named and focus and _COMBINATION.search(message):
            standalone = _COMBINATION.sub(lambda m: f"{m.group(1)} {focus[-1]}", message, count=1)
            return Rewrite(standalone, focus[-1], False)
        strong_focus = [f for f in focus if (e := vocabulary.alias_to_entity.get(f)) and e.kind in _STRONG_KINDS]
        unreferring = DUMMY_IT.sub(lambda m: "_" * len(m.group(0)), message)  # same offsets, dummy "it" gone
        pronoun = _OBJECT_IT.search(unreferring)
        first_named = min((m.start for m in vocabulary.find_entities(message)), default=len(message))
        if named and strong_focus and pronoun and pronoun.start() < first_named:
            # "is it safe with vitamin D?" after letrozole; "how long would i be on it, and do i stay on the
            # letrozole too" after asking about Verzenio: "it" is what was talked (or asked) about before
            referent = _pick_referent(
                message, strong_focus, vocabulary, _asked_about(state.recent_user_messages, vocabulary)
            )
            if referent is not None and referent in strong_focus:
                start, end = pronoun.span("w") if pronoun.group("w") else pronoun.span("it")
                return Rewrite(f"{message[:start]}{referent}{message[end:]}", referent, False)
        if named and pronoun and pronoun.start() < first_named and previous:
            # "will it get better once chemo stops?" after asking about chemo brain: "it" is the previous topic
            return Rewrite(f"{message.rstrip()} (following up on: {previous})", None, False)
        if previous and not named and _is_follow_up(message, vocabulary):
            return Rewrite(f"{message.rstrip()} (following up on: {previous})", None, False)
        return Rewrite(message, None, False)
    if previous and (_WHOLE_PLAN.search(message) or _names_own_topic(message)):
        # "what if he says no to all of it" (the whole plan), "what about gardening" (a new topic in the same thread)
        return Rewrite(f"{message.rstrip()} (following up on: {previous})", None, False)
    if _DISEASE_PROPERTY.search(message):  # "how long do people live with this?": the disease, not a medicine
        disease = state.profile.disease_phrase() or _disease_in_conversation(state.recent_user_messages)
        if disease:
            return Rewrite(substitute_referent(message, disease), disease, False)
        if previous:
            return Rewrite(f"{message.rstrip()} (following up on: {previous})", None, False)
    referent = _pick_referent(
        message,
        focus,
        vocabulary,
        _asked_about(state.recent_user_messages, vocabulary),
        list(state.profile.current_treatments),
    )
    if referent is None and state.profile.current_treatments:
        referent = state.profile.current_treatments[-1]
    if referent is None:
        if previous:
            return Rewrite(f"{message.rstrip()} (following up on: {previous})", None, False)
        return Rewrite(message, None, True)
    own = _OWN_PLURAL_ANTECEDENT.search(message)
    if own:  # "the side effects … do they get better" → "the side effects of letrozole … do they get better"
        standalone = f"{message[: own.end('noun')]} of {referent}{message[own.end('noun') :]}"
        standalone = standalone[0].upper() + standalone[1:]
    else:
        standalone = substitute_referent(message, referent)
    kind = vocabulary.alias_to_entity.get(referent)
    if previous and (kind is None or kind.kind not in _STRONG_KINDS) and referent not in previous.lower():
        standalone = f"{standalone} (following up on: {previous})"
    return Rewrite(standalone, referent, False)


def substitute_referent(message: str, referent: str) -> str:
    """Replace the first referring expression with ``referent`` (or append it to an elliptical one)."""
    text = DUMMY_IT.sub(lambda m: m.group(0).replace("it", "\x00"), message)

    def replace(match: re.Match[str]) -> str:
        word = match.group(0).lower()
        if word in ("its", "their"):
            return f"{referent}'s"
        return referent

    rewritten, count = _REFERRING.subn(replace, text, count=1)
    rewritten = rewritten.replace("\x00", "it")
    if count == 0:
        core = rewritten.rstrip(" ?.!")
        rewritten = f"{core} of {referent}?"
    return rewritten[0].upper() + rewritten[1:] if rewritten else rewritten
