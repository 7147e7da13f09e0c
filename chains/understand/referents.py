"""Words that point back ("it", "its side effects", "that one", an elliptical "and the dose?"): whether a
message needs something to refer to, and putting the referent in its place. "It" that refers to nothing
("is it normal to…") is told apart first."""

from __future__ import annotations

import re

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
STRONG_KINDS = ("drug", "treatment", "test")


def needs_referent(message: str, vocabulary: Vocabulary) -> bool:
    """The message points at something ("its side effects", "is it safe?") and names no treatment."""
    if vocabulary.find_entities(message, kinds=STRONG_KINDS):
        return False
    stripped = DUMMY_IT.sub(" ", message)
    return bool(_REFERRING.search(stripped)) or bool(_ELLIPTICAL.match(message))


TREATMENT_PROPERTY = re.compile(
    r"\b(side[\s-]?effects?|dose|doses|dosing|work|works|taking|take|monitor\w*|interact\w*|pills?|tablets?|"
    r"injections?|infusions?|safe|stop|start|long)\b",
    re.I,
)


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
