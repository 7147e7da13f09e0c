"""Safety stage: runs on every message before anything else, and on every generated answer.

- Red flags: symptoms needing urgent care now, in messy wording and across turns, but not
  educational look-alikes ("what is febrile neutropenia?"), negations or resolved past events.
- Scope: off-topic requests and prompt-injection attempts.
- Advice limits: individual dosing, start/stop/change questions and requests to interpret the
  patient's own results get general information plus a plain statement of who decides.
- Output checks: no HTML, citations only to retrieved sources, no dosing directives, no prompt text.

How red-flag detection works (all rules are general; nothing is keyed to particular messages):

1. The message is normalised: lower case, straight apostrophes, contractions typed without an apostrophe
   ("cant", "im"), a table of common misspellings ("pian", "fevr") and a one-edit fuzzy match for long
   symptom words ("hedache", "temprature", "diarhea").
2. Each category's pattern in ``RED_FLAG_PATTERNS`` proposes candidate matches; some categories then need
   more than one word to agree (a clot needs a limb plus two of swollen / red-hot / painful).
3. A candidate only counts when, in its own clause and sentence, it is reported as happening now: not
   negated ("no fever, just tired"), not hypothetical ("call if you have a fever over 38"), not an
   educational question without a first-person report ("can ribociclib cause fever?"), not a past event
   ("in 2019", "last month") and not resolved ("went away", "back to normal now").
4. Conversation history supplies context: treatment or low counts for a fever, a temperature being watched
   for a bare number ("38.2 now"), earlier despair for an ambiguous plan ("thinking about how i'd do it"),
   and a red flag in the previous turn that the patient says is still going or getting worse.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import cache, lru_cache

from chains.prompts import PROMPT_DIR

I = re.IGNORECASE  # noqa: E741 - short alias keeps the pattern tables readable
_HISTORY_TURNS = 6  # how many earlier patient messages give context


# --- text preparation -----------------------------------------------------------------------------
_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "“": '"', "”": '"', "–": "-", "—": "-"})
_CONTRACTIONS = {
    "cant": "can't", "wont": "won't", "dont": "don't", "doesnt": "doesn't", "didnt": "didn't", "isnt": "isn't",
    "arent": "aren't", "wasnt": "wasn't", "werent": "weren't", "havent": "haven't", "hasnt": "hasn't",
    "couldnt": "couldn't", "shouldnt": "shouldn't", "wouldnt": "wouldn't", "im": "i'm", "ive": "i've",
    "theres": "there's", "thats": "that's", "whats": "what's", "youre": "you're", "shes": "she's",
    "cannot": "can't", "wanna": "want to", "gonna": "going to",
}  # fmt: skip
# Misspellings seen in patient messages, mapped to the word the patterns expect.
_MISSPELLINGS = {
    "pian": "pain", "brethe": "breathe", "breth": "breath", "breathin": "breathing",
    "fevr": "fever", "feaver": "fever", "fevor": "fever",
    "tempreture": "temperature", "temperture": "temperature", "temprature": "temperature",
    "tempature": "temperature", "temprature's": "temperature's",
    "diarhea": "diarrhea", "diarrea": "diarrhea", "diahrea": "diarrhea", "diarrhoea": "diarrhea",
    "diarhoea": "diarrhea", "diareah": "diarrhea",
    "throwin": "throwing", "coughin": "coughing", "bleedin": "bleeding", "vomitting": "vomiting",
    "vommiting": "vomiting", "vomitted": "vomited", "bleding": "bleeding",
    "hedache": "headache", "hedaches": "headaches", "headach": "headache", "headake": "headache",
    "siezure": "seizure", "seizeure": "seizure", "siezures": "seizures", "unconsious": "unconscious",
    "swolen": "swollen", "sweling": "swelling", "swolled": "swollen",
    "sucidal": "suicidal", "suicidle": "suicidal", "nuetrophils": "neutrophils", "neutrophills": "neutrophils",
    "chemo's": "chemo", "numbe": "numb",
}  # fmt: skip
# Long symptom words also accept one typo (insertion, deletion, substitution or swap); the first
# letter must match and real words one edit away are protected.
_FUZZY_TARGETS = (
    "headache", "headaches", "temperature", "diarrhea", "vomiting", "breathing", "breathe", "seizure",
    "seizures", "unconscious", "neutrophils", "anaphylaxis", "anaphylactic", "suicide", "suicidal",
    "shortness", "breathless", "thermometer", "nosebleed", "feverish", "shivering", "bleeding", "swollen",
    "chattering", "collapsed", "confused", "drowsy", "coughing",
)  # fmt: skip
_FUZZY_PROTECTED = frozenset(
    {
        "breeding", "bleeping", "blending", "pleading", "breather", "breathed", "breathes", "collapses", "confuses",
        "confuse", "drowse", "toughing", "shortens", "swollen", "headaches", "seizures", "suicides",
    }
)  # fmt: skip


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


@cache
def _fuzzy_index() -> dict[str, tuple[str, ...]]:
    index: dict[str, set[str]] = {}
    for target in _FUZZY_TARGETS:
        for key in {target} | _deletes(target):
            index.setdefault(key, set()).add(target)
    return {key: tuple(sorted(values)) for key, values in index.items()}


def _one_edit(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance between a and b is exactly one."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diffs) == 1 or (
            len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


@lru_cache(maxsize=4096)
def _normalise_word(word: str) -> str:
    if word in _CONTRACTIONS:
        return _CONTRACTIONS[word]
    if word in _MISSPELLINGS:
        return _MISSPELLINGS[word]
    if len(word) < 6 or word in _FUZZY_PROTECTED or word in _FUZZY_TARGETS or not word.isalpha():
        return word
    index = _fuzzy_index()
    candidates = set(index.get(word, ()))
    for key in _deletes(word):
        candidates.update(index.get(key, ()))
    # Differences only at the end are inflections ("breath"/"breathe", "collapse"/"collapsed"), not typos.
    matches = sorted(
        t
        for t in candidates
        if t[0] == word[0] and _one_edit(word, t) and not (t.startswith(word) or word.startswith(t))
    )
    return matches[0] if len(matches) == 1 else word


_WORD = re.compile(r"[a-z][a-z']*")


def normalise(text: str) -> str:
    """Lower case, straight quotes, one space between words, and common misspellings fixed."""
    text = re.sub(r"[ \t\r\f\v]+", " ", text.translate(_QUOTES).lower())
    return _WORD.sub(lambda m: _normalise_word(m.group(0)), text)


_MAX_CANDIDATES = 40  # matches examined per pattern: bounds the work on very long or repetitive messages

# --- sentences and clauses ------------------------------------------------------------------------
_SENTENCE_BREAK = re.compile(r"[.!?;]+(?=\s|$|[\"'])|\n+")
_CLAUSE_BREAK = re.compile(
    r"[.!?;]+(?=\s|$|[\"'])|\n+|,|:(?!\d)|\s-+\s|\((?=\s)|\)|\b(?:but|however|although|though|whereas|except|yet)\b|\band now\b"
)


class _Doc:
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


def _gap(max_chars: int) -> str:
    """Filler inside one clause: never crosses a sentence end, a negation or a contrast word."""
    return rf"(?:(?!\b(?:no|not|never|without|but|however|although)\b)[^.?!;\n]){{0,{max_chars}}}?"


# --- red-flag patterns ----------------------------------------------------------------------------
_N6 = r"(?:[6-9]|[1-9]\d|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty)"  # six or more
_SEVERE_BLEED = (
    r"(?:heavy|heavily|a lot|lots|loads|so much|too much|won't stop|will not stop|doesn't stop|does not stop|"
    r"isn't stopping|not stopping|hasn't stopped|can't stop|keeps? (?:coming|going|pouring|bleeding)|non[- ]?stop|"
    r"constant(?:ly)?|everywhere|all over|pouring|gushing|spurting|soak(?:ed|ing|s)?(?: through)?|"
    r"through (?:the|my|a|her|his) (?:dressing|pad|bandage|towel|clothes|sheets?)|full of (?:it|blood)|"
    r"a cup(?:ful)?|uncontroll\w*|for (?:over )?(?:an hour|hours|\d+ ?(?:min\w*|hours?|hrs?)))"
)
# Blood itself, not a blood test, count or pressure.
_BLOOD_ITSELF = (
    r"blood\b(?! ?(?:tests?|counts?|work|pressure|sugars?|results?|draws?|cells?|clots?|thinners?|transfusions?|levels?|"
    r"type|group|bank|donations?|vessels?|markers?|supply|stream|flow|panel|cancers?))"
)
_BLEED = (
    r"(?:\b\w*bleed\w*|\bh(?:a)?emorrhag\w*|\bblood (?:in|from|out of|coming|pouring|gushing|running|all over|everywhere)\b|"
    r"\bbloody (?:stools?|poo\w*|diarrh\w*|urine|pee|vomit|sick|nose))"
)
_SUDDEN = r"(?:sudden(?:ly)?|all of a sudden|out of (?:nowhere|the blue)|(?:came|come|comes) on (?:all )?at once|all at once|abrupt(?:ly)?)"
_DEFICIT = (
    r"(?:weak\w*|numb\w*|paralys\w*|paralyz\w*|droop\w*|slurr\w*|confus\w*|disorient\w*|gibberish|"
    r"can't (?:move|lift|feel|speak|talk|see|walk|get (?:my |the |her |his )?words out)|"
    r"(?:lost|losing|loss of) (?:my |her |his )?(?:vision|sight|balance|speech)|double vision|see(?:ing)? double)"
)
_LIMB_DEFICIT = r"(?:weak|numb|dead|heavy|floppy|paralys|paralyz|tingl)\w*"
_ACUTE_EPISODE = r"(?:having|is having|'s having|think (?:i'm|i am|she's|he's|she is|he is) having|might be having|could be having|just had)"
_LEG_FAILING = r"(?:weak|numb|giving way|gave way|gone dead|wobbly|won't hold|can't hold|buckl\w*)"
_PILLS = r"(?:pills|tablets|meds|medications?|medicines|painkillers|sleeping (?:pills|tablets)|morphine|oxy\w*|opioids)"

RED_FLAG_PATTERNS: dict[str, re.Pattern[str]] = {
    "self_harm": re.compile(
        r"\bkill(?:ing|ed)? (?:myself|himself|herself|themselves|my ?self)\b|\bsuicid\w*|"
        r"\b(?:want|wanted|wanting|going|plan(?:ning)?|ready|decided|tempted|thinking (?:about|of)|thought (?:about|of)|"
        r"think (?:about|of)) (?:to )?(?:just )?end(?:ing)? (?:it|it all|everything|my life|my own life|things)\b(?! with\b)|"
        r"\bend (?:it all|my life|my own life)\b|\btak(?:e|ing) my (?:own )?life|"
        r"\b(?:wants?|wanted) to die\b(?! (?:my|her|his|your) (?:hair|roots|eyebrows|clothes))|\bwish(?:ing)? i (?:was|were) (?:dead|gone)|"
        r"\bwish i (?:could )?(?:just )?(?:die|disappear|wouldn't wake up|didn't wake up|not wake up|never woke up)|"
        r"\b(?:go to sleep|fall asleep|sleep) and (?:never|not) wake up|\bnever wake up again|"
        r"\b(?:would|does|will|did) it take to (?:not wake up|die|kill|end it|end my life|overdose)|"
        r"\b(?:lethal|fatal|deadly) (?:dose|amount|overdose)|\b(?:dose|amount) (?:that|to|which) (?:would )?kill\b|"
        r"\bdon't want to (?:live|be alive|be here|exist|wake up|go on|carry on|keep living)\b|"
        r"\b(?:no|don't see (?:the|any)|what's the|there's no) (?:point|reason) (?:in |of )?(?:living|going on|to live|"
        r"carrying on|being alive|being here|to go on|in going on|to keep going|to carry on|to keep living|in trying)\b|"
        r"\bbetter off (?:dead|without me|if i (?:was|were|wasn't|weren't) (?:gone|dead|here|around))|"
        r"\b(?:can't|can not) go on (?:any ?more|like this)|"
        r"\b(?:harm|harming|harmed) (?:myself|my ?self)|\bself[\s-]?harm\w*|"
        r"\b(?:want|wanting|urges?|thoughts?|thinking about|going|tempted|feel like) (?:to |of |about )?"
        r"(?:hurt|hurting|harm|harming|cut|cutting|burn|burning) (?:myself|my ?self)|"
        r"\b(?:cut|cutting|burned|burnt|burning|hurt|hurting|hit|hitting|punched|punching) (?:myself|my ?self) "
        r"(?:again|on purpose|deliberately|intentionally|to (?:cope|feel|stop|make)|every (?:day|night))|"
        r"\bbeen (?:cutting|burning|hurting|harming) (?:myself|my ?self)|"
        rf"\b(?:tak(?:e|ing)|took|swallow\w*) (?:all|a (?:whole )?bunch of|a load of|loads of|every one of|the whole (?:bottle|box|pack|packet) of) (?:of )?(?:my |the )?(?:\w+ )?{_PILLS}|"
        rf"\b(?:going to|want to|thinking (?:about|of)|thought about|plan(?:ning)? to) overdose|\boverdos\w* on (?:all )?my\b|"
        rf"\b(?:saved|saving|stockpil\w*|hoard\w*|stash\w*|squirrel\w* away|put(?:ting)? aside) (?:up )?(?:\w+ ){{0,3}}?{_PILLS}|"
        rf"\benough {_PILLS} to (?:kill|end|die|not wake)|"
        r"\bgoodbye (?:letters?|notes?|messages?|videos?)|\b(?:suicide|farewell) (?:note|letter)|"
        r"\b(?:wrote|writing|written|left|leave) (?:\w+ ){0,3}(?:goodbye|farewell)s?\b|"
        r"\bgiving away (?:all )?my (?:things|stuff|belongings|possessions)|"
        r"\bgiv(?:ing|en) (?:all )?(?:of )?my (?:things|stuff|belongings|possessions) away|"
        r"\b(?:steer|steering|swerve|swerving|drive|driving|crash|crashing|veer\w*)(?: the car| my car)? (?:into|off) "
        r"(?:a |the )?(?:wall|tree|bridge|oncoming|traffic|truck|lorry|cliff|river|barrier|pole)|"
        r"\b(?:jump|jumping|throw(?:ing)? myself|step(?:ping)?|walk(?:ing)?) (?:off|from|in front of) (?:a |the )?"
        r"(?:bridge|building|roof|balcony|cliff|train|bus|lorry|truck|car|traffic|tracks)|"
        r"\bhang(?:ing)? myself|\b(?:slit|slash|cut)(?:ting)? (?:my )?wrists?|\b(?:drown|shoot)(?:ing)? myself",
        I,
    ),
    "chest_pain": re.compile(
        r"\bchest (?:(?:really|very|so|still|also|now|just|badly|properly|kind of|kinda|suddenly|actually) )*"
        r"(?:pain|pains|ache|aches|aching|hurts?|hurting|discomfort|pressure|tightness|heaviness|squeez\w*|crushing)\b|"
        r"\bchest (?:is|feels?|felt|gets?|getting|went|has been|keeps) (?:(?:really|very|so|quite|all|kind of|kinda|super|"
        r"extremely|suddenly) )*(?:tight|heavy|crushed|crushing|squeezed|painful|constricted|hurting|aching|burning)\b|"
        r"\bclutch\w* (?:at )?(?:my|her|his|their|the) chest\b|\bchest (?:really |very |so )?tight\b|"
        r"\b(?:pain|pains|pressure|tightness|heaviness|squeezing|crushing|aching|ache|stabbing|(?:tight|heavy) band|"
        r"band of pressure|(?:heavy )?weight|elephant)\b(?:\s+[\w']+){0,4}?\s+"
        r"(?:in|across|on|through|behind|around) (?:the |my |her |his )?(?:(?:middle|centre|center|left side|right side) of )?"
        r"(?:the |my |her |his )?(?:chest|breastbone|sternum)\b|"
        rf"\bcrushing (?:pain|pressure|feeling)|\b{_ACUTE_EPISODE} an? heart attack",
        I,
    ),
    "breathing": re.compile(
        r"\b(?:can't|couldn't|could not|can hardly|can barely|barely|struggling to|struggle to|struggled to|hard to|"
        r"hard time|trouble|difficulty|difficult to|unable to|not able to|fighting (?:to|for)|battling to) "
        r"(?:(?:properly|even|really) )?(?:breathe|breath|breathing|catch (?:my|her|his|a) breath|"
        r"get (?:my|a|enough|any) (?:breath|air)|get air)\b|"
        r"\bshort(?:ness)? of breath|\bbreathless\w*|\bout of breath (?:at rest|sitting|lying|just|even|doing nothing|all the time)|"
        r"\bgasping|\b(?:not getting|can't get) (?:enough )?air\b|"
        r"\b(?:lips|face|fingers|fingertips|skin) (?:(?:have|has|had|'ve|'s) )?"
        r"(?:are |is |look |looks |looking |turning |turned |gone |going |went |become |becoming )?"
        r"(?:(?:a bit|slightly|really|very|kind of|kinda|sort of|a little|quite) )?(?:blue|grey|gray|bluish|blueish|greyish|grayish|blue-grey|blue-gray)\b|"
        r"\bbreathing (?:through a straw|is (?:really |very )?(?:hard|difficult|laboured|labored|noisy))|\bl(?:a)?bou?red breathing|"
        r"\bsuffocat\w*|\bbreathing(?:'s| is| has)? (?:(?:got|gotten|getting|become|gone) )?(?:really |very |so )?"
        r"(?:bad|worse|awful|terrible)\b|\b(?:struggling|can't|can hardly|can barely) (?:to )?(?:talk|speak)\b|"
        rf"\b(?:puffing|panting|out of breath|breathless)\b{_gap(40)}\b(?:lying|sitting|at rest|in bed|doing nothing)\b",
        I,
    ),
    "fainting": re.compile(
        r"\b(?:fainted|fainting|(?:i|she|he|mum|mom|dad|they) (?:keeps? |just |nearly |almost )?faints?\b|"
        r"pass(?:ed|ing)? out|blacked out|blacking out|collapsed|collapsing|lost consciousness|losing consciousness|"
        r"unconscious|keeled over|(?:went|gone) limp|"
        r"found (?:\w+ ){1,2}(?:on|lying on|in a heap on) the (?:\w+ )?floor|"
        r"went down (?:completely|like a (?:sack|stone|tree|rock)|on the floor|hard)|hit the (?:floor|ground|deck)|"
        r"(?:doesn't|does not|don't|do not|didn't|did not) (?:know|remember) how (?:i|he|she|they) (?:got|ended up) "
        r"(?:there|on the floor))",
        I,
    ),
    "bleeding": re.compile(
        rf"{_BLEED}{_gap(40)}\b{_SEVERE_BLEED}|\b{_SEVERE_BLEED}{_gap(25)}{_BLEED}|"
        r"\b(?:lots|loads|a lot|so much|tons|a pool|a puddle) of blood\b|\bblood everywhere\b|"
        r"\b(?:pouring|gushing|spurting|streaming|losing) (?:out )?(?:(?:lots of|so much|a lot of) )?blood\b|"
        r"\b(?:vomit\w*|throw\w* up|threw up|puk\w*|cough\w*|spit\w*|spat|bring\w* up|brought up) (?:up )?"
        r"(?:(?:a (?:bit|little|lot|few bits|few streaks)|some|bits|streaks|specks|flecks|spots|lumps|clumps) of )?"
        r"(?:(?:bright|fresh|dark|red) )?(?:blood|bloody|clots)\b|"
        rf"\b(?:vomit\w*|throw\w* up|threw up|puk\w*|cough\w*|spit\w*|spat|phlegm|sputum|mucus)\b{_gap(40)}\b{_BLOOD_ITSELF}|"
        rf"\b{_BLOOD_ITSELF}(?: \w+){{0,3}} (?:when|whenever|every time|each time) (?:i|she|he|they) "
        r"(?:cough|vomit|throw up|spit|am sick|is sick)|"
        r"\bblood in (?:my |the |her |his )?(?:vomit|sick)\b|"
        r"\bblack (?:and )?(?:tarry |sticky )?(?:stools?|poo\w*|bowel movements?)|\btarry\b|"
        r"\b(?:stools?|poo\w*) (?:(?:is|are|looks?|looking|has|have|been|went|turned|gone|coming out|come out|very|"
        r"really|all) ){1,3}(?:black|tarry)\b|"
        r"\bcoffee[- ]grounds?\b|"
        r"\bgums? (?:(?:are|is|keep|keeps|have been|has been|started|start) )?bleed\w*|\bbleeding gums\b|"
        r"\bbruis\w* (?:all over|everywhere|(?:that )?(?:i|she|he) can't explain)|\bunexplained bruis\w*|"
        rf"\bclots\b{_gap(30)}\b(?:pee|wee|urin\w*|toilet)|\b(?:pee|peeing|wee|weeing|urine|urinating)\b{_gap(30)}\bclots\b|"
        r"\b(?:toilet|bowl|pan|sink) (?:\w+ ){0,2}(?:full of|filled with|covered in) (?:blood|red)\b",
        I,
    ),
    "neuro": re.compile(
        rf"\b{_SUDDEN}{_gap(40)}\b{_DEFICIT}|\b{_DEFICIT}{_gap(40)}\b{_SUDDEN}|"
        r"\b(?:very|really|so|extremely|increasingly|getting|become|became|becoming|is|seems?|seemed|been|acting|suddenly) "
        r"(?:(?:very|really|so) )?(?:confused|disoriented|disorientated)\b"
        r"(?! (?:about|by|with|as|why|what|whether|how|if|regarding|over|between|on|at|because|which))|"
        r"\b(?:doesn't|does not|didn't|don't) (?:know|recogni[sz]e) (?:where|who|what day)|\bnot making (?:any )?sense|"
        r"\btalking (?:nonsense|gibberish)|\bcan't think straight|"
        r"\b(?:very|really|so|extremely|unusually|abnormally) (?:drowsy|sleepy)\b|\bhard to (?:wake|rouse)|"
        r"\b(?:can't|couldn't|could not) (?:wake|rouse) (?:\w+ ){0,3}?up\b|\bwon't wake up|\bunresponsive|\bnot responding\b|"
        r"\bworst headache|\bheadache (?:is |was )?(?:the )?(?:worst|unbearable|excruciating|severe|thunderclap)"
        r"(?! (?:part|thing|side|bit|aspect|symptom|of (?:it|them|all)))|"
        r"\b(?:severe|sudden|excruciating|unbearable|thunderclap|blinding|explosive) (?:\w+ )?headache|"
        r"\bheadache (?:that )?(?:came on |started )?(?:all at once|suddenly|out of nowhere)|"
        r"\b(?:face|mouth|smile) (?:is |has |looks |went |gone |started )?(?:\w+ )?droop\w*|\bdroop\w* (?:face|mouth|smile|eyelid)|"
        r"\bslurr\w*|\bcan't get (?:my|her|his|the|their) words out|"
        r"\b(?:speech|talking|voice) (?:(?:is|has|had|have|went|gone|going|sounds?|sounded|suddenly|become|became|gotten|got) )*"
        r"(?:all |really |very |a bit )?(?:funny|strange|weird|garbled|jumbled|muddled|slurred|slurry|odd)\b|"
        r"\b(?:my|her|his) (?:left|right) (?:hand|arm|leg|foot|side) (?:(?:is|has|had|went|gone|going|feels?|felt|suddenly|"
        r"become|became|all|really|very) )*(?:weak|floppy|dead|limp|paralys\w*|paralyz\w*|useless)\b|"
        r"\b(?:face|smile|mouth) (?:\w+ ){0,2}(?:lopsided|crooked|uneven|twisted)|\blopsided (?:face|smile)|\b(?:weak\w*|numb\w*|paralys\w*) (?:on|down|in) (?:one side|(?:my|the|her|his) (?:left|right)(?: side)?\b)|"
        r"\bone side of (?:my|her|his|the) (?:body|face)|"
        rf"\b(?:arm|hand) and (?:leg|foot)\b{_gap(30)}\b{_LIMB_DEFICIT}|\b(?:leg|foot) and (?:arm|hand)\b{_gap(30)}\b{_LIMB_DEFICIT}|"
        r"\bseizures?\b|\bconvuls\w*|\b(?:had|having|has|have) (?:a|another) fit\b(?! of)|"
        r"\b(?:see|seeing|saw) double|\bdouble vision|\b(?:lost|losing|loss of) (?:my |her |his |the |all )?(?:vision|sight)\b|"
        r"\b(?:went|gone|going) blind|\blost control of (?:my |her |his )?(?:bladder|bowels?)|"
        r"\bcan't (?:feel|move) (?:my |her |his )?legs|\bsaddle numbness|"
        r"\bwet (?:myself|herself|himself) without (?:realis|realiz|notic|knowing|feeling)\w*|"
        rf"\bback (?:pain|ache|hurts?|is killing)\b{_gap(60)}\blegs? (?:\w+ ){{0,3}}?{_LEG_FAILING}|"
        rf"\blegs? (?:\w+ ){{0,3}}?{_LEG_FAILING}{_gap(60)}\bback (?:pain|ache|hurts?)\b|"
        rf"\b{_ACUTE_EPISODE} an? (?:mini[- ])?(?:stroke|tia)\b",
        I,
    ),
    # A candidate only: the limb needs two of swollen / red-hot / painful / bulging veins, or swelling around a
    # line in that arm (checked in _clot_confirmed).
    "clot": re.compile(r"\b(?:calf|leg|arm|thigh|neck)\b", I),
    "allergy": re.compile(
        r"\b(?:throat|airway) (?:is |feels |feel |getting |going |starting to |started to )?"
        r"(?:(?:like|as if|as though) (?:it'?s|it is|it was) (?:\w+ )?)?(?:swell\w*|clos\w*|tight\w*)|"
        r"\b(?:lips?|tongue|mouth|eyelids?) (?:is |are |keeps |started |starting |getting |went )?(?:swell\w*|puff\w*|blow\w* up)|"
        r"\bface (?:is |started |starting |keeps )?(?:swelling|puffing|blowing) up|\bface swell\w*|"
        r"\bswell\w* (?:of |in )?(?:my |her |his )?(?:lips?|tongue|throat|face)\b|\banaphyla\w*|\bsevere allergic|"
        r"\b(?:having|getting|got|think (?:i'm|i am|she's|he's) having) (?:an? )?(?:severe |bad |serious |)allergic reaction|"
        r"\ballergic reaction (?:now|right now|during|to (?:my|the|this) (?:infusion|drip|chemo|treatment|dose))|\bepi[\s-]?pen|"
        rf"\b(?:hives|welts|rash)\b{_gap(40)}\b(?:wheez\w*|breath\w*|throat|swell\w*|swollen|puff\w*|dizz\w*|faint\w*|lips?|tongue)|"
        rf"\b(?:wheez\w*|breath\w*|throat|swell\w*|swollen|puff\w*|dizz\w*|faint\w*)\b{_gap(40)}\b(?:hives|welts)\b|"
        rf"\bwheez\w*\b{_gap(50)}\b(?:swell\w*|swollen|puff\w*)|\b(?:swell\w*|swollen|puff\w*)\b{_gap(50)}\bwheez\w*|"
        r"\bhives (?:all over|everywhere|over my whole)|\bcovered (?:(?:from )?head to (?:toe|foot) )?in (?:hives|welts|a rash)|"
        r"\bhives (?:\w+ ){0,2}spreading|\bspreading hives|\b(?:raised )?(?:lumps|bumps|welts|blotches) all over|"
        r"\btongue (?:feels |is |has gone |went )?(?:\w+ )?(?:thick|swollen|fat|huge)",
        I,
    ),
    "gi_fluids": re.compile(
        r"\b(?:can't|couldn't|could not|unable to|not able to|haven't been able to|not been able to|failing to) (?:even )?"
        r"(?:keep|hold) (?:[\w']+ ){0,4}?down\b|"
        r"\b(?:vomit\w*|throw\w* up|threw up|puk\w*|being sick|been sick) (?:[\w']+ ){0,2}?(?:all day|all night|non[- ]?stop|"
        r"constantly|every (?:\d+ )?(?:hour|half hour|30 min\w*|few minutes|\d+ min\w*)|for \d+ hours|over and over|"
        rf"{_N6} times)|"
        r"\b(?:diarrh\w*|loose (?:stools?|poo\w*|bowels?)|watery (?:stools?|poo\w*)|runny (?:stools?|poo\w*)|the runs) "
        rf"(?:[\w']+ ){{0,5}}?(?:{_N6} ?(?:times|x\b|stools|episodes)|every (?:hour|half hour|\d+ min\w*|30 min\w*)|"
        r"non[- ]?stop|constantly|all day|all night)|"
        rf"\b{_N6} (?:(?:runny|watery|loose|liquid) )?(?:stools|poos|poops|bowel movements|episodes of diarrh\w*|lots of diarrh\w*)|"
        rf"\b{_N6} times\b{_gap(30)}\b(?:diarrh\w*|loose|watery|runny)|"
        r"\b(?:very|really|so|severely|badly|extremely) dehydrated|"
        r"\b(?:barely|hardly|not|haven't|haven't really|not really) (?:peed|pee'd|weed|urinated|passed (?:any )?(?:urine|water))\b|"
        r"\b(?:haven't|hasn't|have not|has not|not|barely|hardly) (?:had|done|passed) (?:a |any )?(?:wee|pee|urine|water)\b"
        r"(?! (?:problems?|issues?|infections?|tests?|samples?|trouble))|"
        r"\bno (?:urine|pee)\b|\bcan't stop (?:being sick|vomiting|throwing up|puking)|"
        r"\b(?:sips?|water|fluids?|drinks?|everything) (?:\w+ ){0,2}(?:come|comes|coming|came) (?:straight )?back up|\b(?:pee|urine) is (?:very |really )?dark",
        I,
    ),
    "fever": re.compile(
        r"\b(?<!hay )(?<!cabin )(?<!yellow )(?<!scarlet )(?<!glandular )(?:fever\w*|febrile|chills|rigou?rs|shiver(?:ing|y|s)|"
        r"(?:shaking|shivering) (?:uncontrollably|all over|chills)|uncontrollabl[ey] shaking|(?:teeth|jaw) chattering|"
        r"chattering (?:teeth|jaw)|burning up|running a (?:temp\w*|fever)|high temp\w*|"
        r"(?:got|have|has|with|running|developed|getting) a (?:high |slight |bit of a )?temp(?:erature)?"
        r"(?! (?:check|reading|gun|probe|strip|of))|"
        r"(?:temp|temperature) (?:is |has |'s )?(?:up|high|raised|spiking|spiked|going up|rising))\b",
        I,
    ),
}

# Clot: a limb plus two of these feature classes, not negated, in the same sentence.
_CLOT_FEATURES = {
    "swollen": re.compile(
        r"\b(?:swollen|swelling|swelled|puffy|puffed up|enlarged|(?:bigger|larger|fatter|thicker) than the other|twice the size)\b",
        I,
    ),
    "red": re.compile(r"\b(?:red|redness|hot(?! (?:flash|flush))|warm|discolou?red|purple)\b", I),
    "painful": re.compile(r"\b(?:pain\w*|hurts?|hurting|sore|tender|aching|achy|ache|throbbing|cramping)\b", I),
    "veins": re.compile(
        r"\bveins? (?:\w+ ){0,2}(?:standing out|stand out|bulging|bulge|sticking out|more visible|prominent)", I
    ),
}
# A swollen arm with a central line or port in it is a red flag by itself (a line-related clot).
_LINE_IN_LIMB = re.compile(r"\b(?:picc|port|portacath|port-a-cath|central line|hickman|line|cannula)\b", I)

# Plan or means phrasing that is ambiguous alone but is self-harm when the patient has expressed despair.
_SELF_HARM_PLAN = re.compile(
    r"\b(?:thought|thinking|think|thinkin) about how (?:i'?d|i would|i could|i will|i'll|to)\b|\bhow i'?d do it\b|"
    r"\b(?:i've|i have) thought about how\b|\b(?:have|got|made|making) a plan\b(?! (?:for|with|to (?!do it|end)))|"
    r"\b(?:when|where|how) (?:i'?ll|i will|i'm going to) do it\b|\bdo it (?:tonight|soon|this week)\b|"
    rf"\b(?:saved|saving|kept|keeping|collect\w*) (?:up )?(?:\w+ ){{0,2}}{_PILLS}|"
    r"\bgiv(?:ing|en|e) (?:away )?(?:all )?(?:of )?my (?:\w+ ){0,2}(?:away|to (?:my|the) (?:kids|children|girls|boys|family))\b|"
    r"\b(?:written|writing|wrote) (?:\w+ ){0,2}letters? (?:to|for) (?:my|the|her|his) (?:kids|children|girls|boys|family)",
    I,
)
_DESPAIR = re.compile(
    r"\b(?:tired of (?:all this|all of this|everything|it all|living|life|fighting|being alive|this)|"
    r"sick of (?:all this|everything|living|life)|can't (?:do|take|cope with) (?:this|it|any of this)(?: any ?more)?|"
    r"hopeless|worthless|no point|pointless|what's the point|giv(?:e|ing) up on (?:life|everything|myself|living)|"
    r"(?:want to|ready to|going to) give up\b(?! \w+ing)|i give up|done fighting|done with (?:everything|life|all this)|"
    r"no way out|(?:a|such a) burden|want (?:it|this|everything) (?:all )?to (?:end|stop|be over)|nobody would (?:care|miss me)|"
    r"wish i (?:wasn't|weren't) here|dark (?:place|thoughts)|can't go on|end it|better off without me)\b",
    I,
)
_SELF_HARM_MENTION = re.compile(
    r"\b(?:assisted|cell|cellular|gene|physician[- ]assisted) suicid\w*|\bsuicide (?:gene|genes|risk|rates?|prevention|"
    r"hotline|helpline|line|lifeline|statistics|research|bomber)\b",
    I,
)

_NEGATION = re.compile(
    r"\b(?:no|not|never|without|don't|do not|doesn't|does not|didn't|did not|haven't|have not|hasn't|has not|isn't|"
    r"aren't|wasn't|weren't|denies|deny|nor|free of|zero|none|ruled out|negative for)\b(?! (?:sure|certain|only|just|"
    r"even|one|idea|matter|long|better|stopping|going away|improving|helping|working|quite|able)\b)",
    I,
)
# Negation scope ends at a contrast or a new subject ("no fever and my chest hurts").
_NEGATION_SCOPE_END = re.compile(
    r"\b(?:but|however|although|though|yet|except|which|who|and (?:my|i|i'm|i've|it|it's|she|he|now|then|also|still|the))\b",
    I,
)
_CONDITIONAL = re.compile(
    r"\b(?:if|in case|incase|whether|unless|what if|should (?:i|you|she|he|they) (?:ever )?(?:get|have|develop|notice|start|"
    r"experience)|(?:leaflet|booklet|handout|nurse|doctor|team|oncologist|they|website|sheet|card|guide) (?:says?|said|told (?:me|us)|"
    r"tells? (?:me|us)|mentioned|advised|recommends?) (?:to |that )?(?:call|ring|phone|watch|look|go|contact|seek|report))\b",
    I,
)
_SUBJECT = re.compile(r"\b(?:i|i'm|i've|you|we|she|he|they|it|my|your|her|his)\b", I)
_QUESTION_WHEN = re.compile(r"\bwhen (?:i|you|she|he|they|it|to|should|do|does|would|is|are)\b", I)
_LEAD = r"^\W*(?:(?:hi|hello|hey|ok|okay|so|and|also|sorry|um|please|quick question|question|just wondering|i was wondering|i wonder|curious)\b\W*)*"
_QUESTION_START = re.compile(
    _LEAD + r"(?:what|what's|which|how|why|when|where|who|is|are|am|can|could|does|do|did|will|would|should|may|might|"
    r"shall|tell me|explain|list|describe|define)\b(?!')",
    I,
)
_EDUCATIONAL_CUE = re.compile(
    r"\b(?:signs? of|symptoms? of|warning signs?|risks? of|chances? of|side effects?|cause|causes|causing|caused by|"
    r"make (?:you|people)|makes (?:you|people)|give you|lead to|leads to|counts? as|considered|defined as|definition|"
    r"difference between|mean|means|meaning|called|known as|how (?:common|likely|often|long|soon)|"
    r"watch (?:out )?for|look(?:ing)? out for|look for|keep an eye (?:out )?(?:on|for)|be aware of|"
    r"learn(?:ing)? about|read(?:ing)? about|heard about|research\w*|article|"
    r"(?:worried|scared|afraid|nervous|anxious|concerned|frightened|terrified|fear|fears|worry|worrying) (?:about|of|that))\b",
    I,
)
_REPORT = re.compile(
    r"\b(?:i have|i've got|i've had|i've been|i'm having|i am having|i'm getting|i am getting|i keep|i feel|"
    r"(?:i'm|i am)(?! (?:(?:so|really|very|a bit|just|always|getting|quite) )?(?:worried|scared|afraid|nervous|anxious|"
    r"concerned|frightened|terrified|wondering|curious|asking|reading|trying|thinking|not sure|unsure|interested|told|"
    r"going to|planning|due|about to|starting|confused about|learning)\b)|"
    r"i felt|i got|i just|i think i|i woke|i can't|i couldn't|my \w+ (?:is|are|was|were|has|have|feels?|felt|looks?|keeps?|"
    r"went|hurts?|started|came)|(?:she|he|they)(?:'s| is| has| keeps| was| can't| just)|"
    r"(?:it|it's|temp|temperature|thermometer)(?:'s| is| was)? (?:now|reading|reads|says|said|showed|shows|hit|reached)|"
    r"right now|at the moment|currently|since (?:this|last|yesterday|\d|an?|the|then|earlier|lunch|breakfast|dinner|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|i woke|waking)|for the (?:last|past)|"
    r"for (?:\d+|an?|two|three|four|five|several|a few) (?:min\w*|hours?|hrs?|days?)|tonight|today|"
    r"this (?:morning|afternoon|evening)|just now|started|came on|\d+ ?(?:min\w*|hours?|hrs?) ago|this bad|this much|"
    r"like this|what (?:do|should) i do|"
    r"(?:this|these) (?:(?:bad|awful|terrible|sudden|new|horrible|constant) )?(?:chest pain|pains?|headache|bleeding|rash|"
    r"swelling|fever|temperature|temp|diarrh\w*|vomiting|shortness of breath|breathlessness|cough|hives|numbness|weakness|"
    r"confusion|chills|shaking)|"
    r"this (?:bad|much|severe|short|breathless|weak|heavy|painful|high|often|strong|sudden)|happened (?:just )?now)\b",
    I,
)
_PAST = re.compile(
    r"\b(?:last (?:week|month|year|summer|winter|spring|autumn|fall|time|cycle|round)|"
    r"(?:(?:a|one|two|three|four|five|six|few|several|couple of|many|\d+) )?(?:weeks?|months?|years?) ago|"
    r"(?:ages|long|a long time) ago|in (?:19|20)\d\d|"
    r"back in|years? back|used to|as a (?:kid|child|teenager)|when i was (?:young|little|a kid|a child|younger|first diagnosed|"
    r"pregnant)|previously|in the past|(?:during|after) (?:my )?(?:last|previous) (?:cycle|round|treatment|chemo|infusion))\b",
    I,
)
_NOT_PAST = re.compile(
    r"\b(?:since|for|started|began|from|ever since)\s+(?:the\s+)?(?:last|a|one|two|three|few|\d+)\b", I
)
_RESOLVED = re.compile(
    r"\b(?:(?:went|gone|goes|go) away|(?:is|are|was|has|have|it's|its|all|now|completely|totally|finally) gone"
    r"(?= *(?:$|[.,;!?]|now|away|completely|after|since|with|by|and|but|again|today|overnight))|gone now|"
    r"resolved|settled(?: down)?|cleared(?: up)?|eased(?: off)?|(?:has|have|had|it|that|they|which|then|finally|eventually) stopped|"
    r"stopped (?:after|last|yesterday|this|when|with|once|by)|back to normal|(?:now|is|are) normal|normal now|normal again|"
    r"fine now|now fine|fine again|(?:ok|okay) now|now (?:ok|okay)|better now|now better|feel(?:ing)? better|much better|"
    r"no longer (?:have|having|has|get|getting|feel|feeling|an issue|a problem|there|bothering)|not any ?more|subsided|"
    r"(?:has|have|it's|it has|that|now) passed(?! out)|passed now|was (?:just|only|probably|likely|actually)|turned out|"
    r"ruled out|"
    r"was checked|got checked|checked out|been checked|checked (?:in|at|by) (?:the )?(?:er|a&e|ed|hospital|gp)|"
    r"they said it was|(?:was|were|got) treated|got (?:iv )?antibiotics|under control|kept down)\b",
    I,
)
_RELAPSE = re.compile(
    r"\b(?:came back|coming back|comes back|back again|returned|started again|keeps? coming back)\b", I
)
_ANAPHORIC_START = re.compile(
    r"^\W*(?:(?:and|but|so|then)\s+)?(?:now\s+)?(?:it|it's|its|that|this|which|they|all|everything|gone|settled|resolved|"
    r"back|fine|better|went|has|had|cleared|stopped|eased|passed|turned|was|now)\b",
    I,
)
_STILL_GOING = re.compile(
    r"\b(?:still|worse|getting worse|even worse|hasn't (?:stopped|gone|settled|eased|improved)|"
    r"not (?:stopping|going away|improving|getting better|settling)|won't (?:stop|go away|settle|ease)|keeps? getting worse)\b",
    I,
)

# Fever: the KB threshold is 38.0 °C / 100.4 °F.
_TEMPERATURE = re.compile(
    r"(?<![\w.,])(\d{2,3}(?:[.,]\d{1,2})?)(?!\d)\s*(°|º|degrees?\b|deg\b)?\s*(celsius|fahrenheit|centigrade|c|f)?\b"
    r"(?!\s*(?:%|mg|kg|lbs?|years?|yrs?|yo\b|days?|weeks?|months?|cycles?|times|mins?|minutes|hours?|hrs?|x\b|\+|am\b|pm\b))",
    I,
)
_TEMPERATURE_WORDS = re.compile(
    r"\b(?:temp\w*|fever\w*|febrile|thermometer|degrees?|celsius|fahrenheit|centigrade|chills|shiver\w*|hot|rigou?rs)\b|°",
    I,
)
# A number right after one of these is a lab value, score, age or count, not a temperature.
_MEASURE = re.compile(
    r"^(?:anc|wbc|neut\w*|platelets?|plt|hb|hgb|h(?:a)?emoglobin|score|alt|ast|alp|ca|cea|bmi|weight|weigh\w*|kg|age|aged|"
    r"ef|lvef|qtc?|ki-?67|markers?|level|count|counts|pulse|bp|pressure|sats|oxygen|number|room|page|step|day|cycle|"
    r"week|bilirubin|creatinine|gfr|egfr|psa|tsh|glucose|sugar|sodium|potassium|calcium|magnesium|vitamin)$",
    I,
)
_THRESHOLD_BEFORE = re.compile(
    r"\b(?:over|above|below|under|more than|higher than|greater than|less than|at least|exceeds?|>|≥)\s*$", I
)
_THRESHOLD_VALUES = {38.0, 38.5, 100.4, 101.0}
# Fever context (see _fever_applies): current anticancer treatment, treatment that ended a while ago, low counts.
_ACTIVE_TREATMENT = re.compile(
    r"\b(?:chemo\w*|treatment|cycle|infusion|drip|neutrophils?|neuts?|anc|white (?:blood )?(?:cells?|count)|wbc|counts?|"
    r"neutropeni\w*|immunotherapy|radiotherapy|radiation|port|picc|kisqali|ribo\w*|ibrance|palbo\w*|verzenio|abema\w*|"
    r"enhertu|trodelvy|kadcyla|t-dm1|taxol|taxotere|docetaxel|paclitaxel|capecitabine|xeloda|doxorubicin|epirubicin|"
    r"cyclophosphamide|carboplatin|ac|tc|ec|fec|keytruda|pembrolizumab|\w+(?:mab|nib|ciclib|taxel|rubicin|platin))\b",
    I,
)
_TREATMENT_ENDED = re.compile(
    r"\b(?:finished (?:all )?(?:my )?(?:chemo\w*|treatment|radiotherapy|radiation) (?:\w+ ){0,2}(?:months?|years?) ago|"
    r"finished (?:my )?(?:chemo\w*|treatment) in (?:19|20)\d\d|in remission for|no longer (?:on|having) (?:any )?(?:treatment|chemo)|"
    r"not (?:on|having) any (?:treatment|chemo)|off (?:all )?treatment|(?:cancer[- ]free|ned) for)\b",
    I,
)
_LOW_COUNTS = re.compile(
    r"\b(?:low (?:neutrophils?|neuts|counts?|white)|neutropeni\w*|(?:neutrophils?|neuts|anc|counts?) (?:\w+ ){0,3}low)\b",
    I,
)

EMERGENCY_REASONS = {
    "fever": "A fever during cancer treatment — especially when neutrophils (infection-fighting white cells) are low — can be a sign of a serious infection that needs treatment within hours.",
    "chest_pain": "Chest pain can be a sign of a heart problem or a blood clot in the lungs, which needs checking right away.",
    "breathing": "Trouble breathing can come from a blood clot, an infection, fluid, an allergic reaction or lung inflammation from some cancer medicines — it needs urgent assessment.",
    "fainting": "Fainting or passing out can be caused by heart rhythm problems, bleeding, dehydration or infection, and needs to be checked now.",
    "bleeding": "Heavy bleeding, vomiting or coughing blood, or black tarry stools can mean serious bleeding, especially when platelets are low.",
    "neuro": "Sudden confusion, severe headache, weakness on one side, or a seizure can be signs of a stroke, infection or a problem in the brain that needs emergency care.",
    "clot": "A swollen, red, painful calf or arm can be a blood clot (DVT); cancer and some cancer medicines raise this risk, and a clot can travel to the lungs.",
    "allergy": "Swelling of the throat, lips or tongue, or hives with trouble breathing can be a severe allergic reaction (anaphylaxis).",
    "gi_fluids": "Vomiting or diarrhea so severe you cannot keep fluids down can quickly cause dangerous dehydration and kidney problems.",
    "self_harm": "What you're feeling matters, and you deserve support right now.",
}


@dataclass(frozen=True)
class RedFlag:
    category: str
    evidence: str  # the words that triggered it (normalised)


# --- is a candidate a current report? -------------------------------------------------------------
def _negated(doc: _Doc, start: int) -> bool:
    """A negation cue shortly before ``start`` in the same clause, with nothing ending its scope."""
    clause_start, _ = doc.clause(start)
    before = doc.text[clause_start:start]
    cues = list(_NEGATION.finditer(before))
    if not cues:
        return False
    between = before[cues[-1].end() :]
    return len(between.split()) <= 5 and not _NEGATION_SCOPE_END.search(between)


def _in_quotes(sentence: str, offset: int) -> bool:
    for quoted in re.finditer(r"(?:^|(?<=[\s(\[:]))(['\"])(.+?)\1(?=[\s.,;:!?)\]]|$)", sentence):
        if quoted.start() < offset < quoted.end():
            return True
    return False


def _is_question(sentence: str, clause: str) -> bool:
    return bool(_QUESTION_START.match(sentence) or _QUESTION_START.match(clause))


def _hypothetical(doc: _Doc, start: int) -> bool:
    """The candidate sits inside a conditional or reported-advice phrase ("call if you have a fever")."""
    clause_start, _ = doc.clause(start)
    sentence_start, sentence_end = doc.sentence(start)
    before = doc.text[clause_start:start]
    cues = list(_CONDITIONAL.finditer(before))
    if cues:
        # "if i stand up i pass out": a second subject after the condition starts the main clause, which reports.
        subjects = list(_SUBJECT.finditer(before, cues[-1].end()))
        in_main_clause = len(subjects) >= 2 and before[subjects[0].end() : subjects[1].start()].strip()
        if not in_main_clause:
            return True
    question = _is_question(doc.text[sentence_start:sentence_end], doc.text[clause_start:start])
    return question and bool(_QUESTION_WHEN.search(before))


def _reports_now(clause: str) -> bool:
    """First-person or carer report markers, ignoring any conditional sub-clause."""
    cut = _CONDITIONAL.search(clause)
    return bool(_REPORT.search(clause[: cut.start()] if cut else clause))


def _educational(doc: _Doc, start: int) -> bool:
    """A question or teaching frame ("can X cause fever?") with no report of the symptom happening now."""
    clause_start, clause_end = doc.clause(start)
    sentence_start, sentence_end = doc.sentence(start)
    clause = doc.text[clause_start:clause_end]
    sentence = doc.text[sentence_start:sentence_end]
    framed = _is_question(sentence, clause) or bool(_EDUCATIONAL_CUE.search(clause))
    if _in_quotes(sentence, start - sentence_start) and (framed or _EDUCATIONAL_CUE.search(sentence)):
        return True
    if not framed or _reports_now(clause):
        return False
    # "could this be from herceptin? it started an hour ago": the next sentence reports it.
    following = doc.next_clause(sentence_end)
    if following and following[0] >= sentence_end:
        after = doc.text[following[0] : doc.sentence(following[0])[1]]
        if re.match(r"\W*(?:it|it's|its|this|that|they|she|he)\b", after) and _REPORT.search(after):
            return False
    return True


# "... and she had chemo last week": the time marker dates the treatment, not the symptom.
_TREATMENT_BEFORE_MARKER = re.compile(
    r"\b(?:chemo\w*|treatment|infusion|cycle|dose|round|session|surgery|operation|op|radiotherapy|radiation|injection|"
    r"transfusion|drip|immunotherapy|scan)(?: \w+)?\s*$",
    I,
)
_PAST_TENSE_BEFORE = re.compile(r"\b(?:had|was|were|felt|went|got|developed|ran)\b(?: \w+){0,2}\s*$", I)


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


_PAST_VERB = re.compile(r"\w+ed|threw|went|fell|had|was|were|got|spat|bled", I)
# Someone outside the patient's care, told about in the past: "my friend fainted …", "my friend's mum coughed up …".
_OTHER_PERSON = re.compile(
    r"\b(?:(?:my|a|her|his) (?:friend|colleague|neighbou?r|coworker|co-worker)(?:'s \w+)?|someone|somebody|"
    r"people|a (?:woman|lady|man|girl|guy) (?:in|at|from|on))\b[^.?!]*$",
    I,
)


def _someone_elses_past(doc: _Doc, match: re.Match[str]) -> bool:
    clause_start, _ = doc.clause(match.start())
    before = doc.text[clause_start : match.start()]
    first_words = before.split()[-1:] + match.group(0).split()[:1]
    sentence = doc.text[slice(*doc.sentence(match.start()))]
    return (
        bool(_OTHER_PERSON.search(before))
        and any(_PAST_VERB.fullmatch(w) for w in first_words)
        and not _JUST_NOW.search(sentence)
    )


_JUST_NOW = re.compile(
    r"\b(?:just|now|today|tonight|this (?:morning|afternoon|evening)|\d+ ?(?:min\w*|hours?|hrs?) ago|"
    r"(?:a )?(?:few |couple of )?min\w* ago|an hour ago|earlier)\b",
    I,
)


def _past_or_resolved(doc: _Doc, start: int) -> bool:
    """A past event ("in 2019", "years ago") or one the patient says is over ("went away", "back to normal")."""
    clause_start, clause_end = doc.clause(start)
    clause = doc.text[clause_start:clause_end]
    past = _PAST.search(clause)
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
        if any(not _negated(doc, lo + cue.start()) for cue in _RESOLVED.finditer(part)):
            return True
    return False


def _current(doc: _Doc, match: re.Match[str], category: str) -> bool:
    """Whether a candidate is reported as happening now (not negated, hypothetical, educational or over)."""
    start = match.start()
    if _negated(doc, start):
        return False
    if category == "self_harm":
        return _self_harm_current(doc, match)
    if _hypothetical(doc, start) or _educational(doc, start) or _past_or_resolved(doc, start):
        return False
    if _someone_elses_past(doc, match):
        return False
    return not (category == "clot" and not _clot_confirmed(doc, match))


def _self_harm_current(doc: _Doc, match: re.Match[str]) -> bool:
    """Self-harm errs towards support: questions and "if" frames still count; only mentions, definitions,
    negations and a past event the patient says is behind them do not."""
    sentence_start, sentence_end = doc.sentence(match.start())
    sentence = doc.text[sentence_start:sentence_end]
    window = doc.text[max(0, match.start() - 25) : match.end() + 30]
    if _SELF_HARM_MENTION.search(window):
        return False
    definitional = _QUESTION_START.match(sentence) and re.search(
        r"\b(?:mean|means|meaning|called|term|word|define|definition|article|research|study|studies|statistics|rates?)\b",
        sentence,
    )
    if (definitional or _in_quotes(sentence, match.start() - sentence_start)) and not _reports_now(sentence):
        return False
    return not (_PAST.search(doc.text) and _RESOLVED.search(doc.text))


def _clot_confirmed(doc: _Doc, limb: re.Match[str]) -> bool:
    sentence_start, sentence_end = doc.sentence(limb.start())
    lo, hi = max(sentence_start, limb.start() - 60), min(sentence_end, limb.end() + 80)
    found = set()
    for name, pattern in _CLOT_FEATURES.items():
        for feature in pattern.finditer(doc.text, lo, hi):
            if not _negated(doc, feature.start()):
                found.add(name)
                break
    if "swollen" in found and _LINE_IN_LIMB.search(doc.text, lo, hi):
        found.add("line")
    return len(found) >= 2


# --- fever ------------------------------------------------------------------------------------------
def _fever_applies(context: str) -> bool:
    """Fever is a red flag during cancer treatment or with low counts.

    Decision on an unqualified current fever (no treatment or counts mentioned): it IS routed as an
    emergency. Every OncoGuide user has, or cares for someone with, breast cancer; many are on treatment
    without saying so in the message, and a neutropenic infection can kill within hours, while a false
    alarm costs one phone call to the 24-hour line. Only an explicit statement that treatment ended
    months or years ago, with no low counts, makes a fever an educational question instead.
    """
    if _LOW_COUNTS.search(context) or not _TREATMENT_ENDED.search(context):
        return True  # low counts; or on treatment; or not stated (the decision above)
    # Treatment ended: only a treatment mentioned elsewhere (e.g. "now on kisqali") keeps it an emergency.
    return bool(_ACTIVE_TREATMENT.search(_TREATMENT_ENDED.sub(" ", context)))


def _temperatures(doc: _Doc, history_text: str) -> list[tuple[re.Match[str], float]]:
    """Temperatures stated in the message, in °C, with the number's match."""
    text, found = doc.text, []
    for count, match in enumerate(_TEMPERATURE.finditer(text)):
        if count >= _MAX_CANDIDATES:
            break
        raw, degree, unit = match.group(1), match.group(2), (match.group(3) or "")[:1].lower()
        value = float(raw.replace(",", "."))
        sentence_start, sentence_end = doc.sentence(match.start())
        sentence = text[sentence_start:sentence_end]
        if any(_MEASURE.match(word) for word in re.findall(r"[\w-]+", text[sentence_start : match.start()])[-4:]):
            continue
        # Without a unit or a temperature word in the sentence only a decimal counts ("38.2 now"): when the
        # patient has been talking about temperature, or when it is a plausible fever and nothing else is measured.
        if not (unit or degree or _TEMPERATURE_WORDS.search(sentence)):
            talked_about = _TEMPERATURE_WORDS.search(text) or _TEMPERATURE_WORDS.search(history_text)
            plausible = 37.5 <= value <= 42.5 and not any(_MEASURE.match(w) for w in re.findall(r"[\w-]+", sentence))
            if not (re.search(r"[.,]", raw) and (talked_about or plausible)):
                continue
        celsius = (
            value if unit == "c" or (not unit and 34 <= value <= 43.5)
            else (value - 32) * 5 / 9 if unit == "f" or (not unit and 93 <= value <= 110)
            else None
        )  # fmt: skip
        if celsius is not None and 34 <= celsius <= 43.5:
            found.append((match, celsius))
    return found


def _fever_reading(
    doc: _Doc, temperatures: list[tuple[re.Match[str], float]], threshold_c: float
) -> re.Match[str] | None:
    """A current temperature at or above the fever threshold (38.0 °C / 100.4 °F by default)."""
    for match, celsius in temperatures:
        start = match.start()
        if celsius < threshold_c or _negated(doc, start) or _hypothetical(doc, start) or _past_or_resolved(doc, start):
            continue
        value = float(match.group(1).replace(",", "."))
        threshold = _THRESHOLD_BEFORE.search(doc.text[doc.clause(start)[0] : start]) or value in _THRESHOLD_VALUES
        if threshold and _educational(doc, start):
            continue
        return match
    return None


# --- the detector ------------------------------------------------------------------------------------
def _normal_reading_nearby(
    doc: _Doc, match: re.Match[str], temperatures: list[tuple[re.Match[str], float]], threshold_c: float
) -> bool:
    """A fever word whose own sentence gives a reading below the threshold ("with a temp of 37.2") is not a fever."""
    sentence = doc.sentence(match.start())
    readings = [celsius for m, celsius in temperatures if doc.sentence(m.start()) == sentence]
    return bool(readings) and max(readings) < threshold_c


def _first_current(doc: _Doc, history_text: str, threshold_c: float = 38.0) -> RedFlag | None:
    """The red flag reported now in ``doc`` (normalised history text gives context), or None."""
    context = f"{history_text} {doc.text}"
    fever_applies = _fever_applies(context)
    found: list[tuple[int, int, str, str]] = []  # (priority, position, category, evidence)
    temperatures = _temperatures(doc, history_text) if fever_applies else []
    for category, pattern in RED_FLAG_PATTERNS.items():
        if category == "fever" and not fever_applies:
            continue
        for count, match in enumerate(pattern.finditer(doc.text)):
            if count >= _MAX_CANDIDATES:
                break
            if category == "fever" and _normal_reading_nearby(doc, match, temperatures, threshold_c):
                continue
            if _current(doc, match, category):
                if category == "clot":  # the limb alone says little: show the whole clause
                    lo, hi = doc.sentence(match.start())
                    evidence = doc.text[lo:hi]
                else:
                    evidence = match.group(0)
                found.append((0 if category == "self_harm" else 1, match.start(), category, evidence.strip()))
                break
    reading = _fever_reading(doc, temperatures, threshold_c)
    if reading:  # a number says more than the word "fever"
        found = [f for f in found if f[2] != "fever"] + [(1, reading.start(), "fever", reading.group(0).strip())]
    if not any(category == "self_harm" for _, _, category, _ in found):
        plan = _SELF_HARM_PLAN.search(doc.text)
        if plan and not _negated(doc, plan.start()) and _DESPAIR.search(context):
            found.append((0, plan.start(), "self_harm", plan.group(0)))
    if not found:
        return None
    _, _, category, evidence = min(found)
    return RedFlag(category, evidence)


def detect_red_flag(
    message: str, history: list[str] | tuple[str, ...] = (), fever_threshold_c: float = 38.0
) -> RedFlag | None:
    """The red flag the patient reports as happening now, or None (self-harm first, then the earliest).

    ``history`` holds the patient's earlier messages, oldest first; the last few give context.
    """
    recent = [normalise(turn) for turn in history[-_HISTORY_TURNS:]]
    doc = _Doc(normalise(message))
    flag = _first_current(doc, " ".join(recent), fever_threshold_c)
    if flag or not recent:
        return flag
    # "it's getting worse" / "still there" about a red flag the patient reported in the previous turn.
    still = _STILL_GOING.search(doc.text)
    if still and not _negated(doc, still.start()) and not _RESOLVED.search(doc.text):
        return _first_current(_Doc(recent[-1]), " ".join(recent[:-1]), fever_threshold_c)
    return None


def current_temperature_c(message: str, history: list[str] | tuple[str, ...] = ()) -> float | None:
    """The highest temperature the patient reports now (°C), when anticancer treatment gives it meaning.

    Readings that are negated, hypothetical, past or resolved do not count. Used for the amber band
    below the fever threshold (37.5 °C on treatment, as in the UKONS toolkit)."""
    recent = " ".join(normalise(turn) for turn in history[-_HISTORY_TURNS:])
    doc = _Doc(normalise(message))
    if not _fever_applies(f"{recent} {doc.text}"):
        return None
    readings = [
        celsius
        for match, celsius in _temperatures(doc, recent)
        if not (
            _negated(doc, match.start()) or _hypothetical(doc, match.start()) or _past_or_resolved(doc, match.start())
        )
    ]
    return max(readings, default=None)


# --- scope and misuse -----------------------------------------------------------------------------
_PROMPT_EXTRACTION = re.compile(
    r"\b(?:print|show|reveal|repeat|output|display|tell me|give me|what (?:is|are|were|was)|share|list|copy|paste|leak|dump|"
    r"translate|summari[sz]e|read out|recite|need|want|see|send)\b[^.?!]{0,40}\b(?:your|the) "
    r"(?:(?:full|whole|entire|exact|complete|original|initial|hidden|secret|system|internal|real|first) )*"
    r"(?:prompt|instructions?|system message|configuration|config|guidelines|directives|rules)\b"
    r"(?! (?:on|for|from|in) (?:my|the|taking|this))|"
    r"\b(?:your|the) (?:system|hidden|secret|initial|original|internal|developer|full|whole|entire|complete) "
    r"(?:prompt|instructions|system message|configuration|config)\b|"
    r"\b(?:prompt|instructions?) (?:you were|you've been|you have been) given|"
    r"\bfirst \d+ (?:words|lines|characters|sentences|tokens)\b|\beverything (?:between|above|before)\b|"
    r"\b(?:text|words|message|everything) above\b|\bstarting with ['\"]?you are\b|<\s*/?\s*system\s*>",
    I,
)
INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass|skip|drop|abandon|turn off|disable|deactivate|switch off) "
    r"(?:(?:all|any|the|your|my|these|those|of|every) )*(?:(?:previous|prior|above|earlier|preceding|system|safety|"
    r"original|initial|current|existing|content|medical|built-in) )*(?:instructions?|rules|prompts?|guidelines|directions|"
    r"restrictions|programming|filters?|guardrails|safeguards|polic(?:y|ies)|constraints|limitations|training|"
    r"disclaimers?|settings|protocols?)\b|"
    r"\b(?:ignore|disregard|forget) (?:the |everything )?(?:above|before|previous)\b|"
    r"\b(?:forget|ignore|stop being|you are no longer|you're no longer|stop acting as|stop pretending to be) (?:that )?"
    r"(?:you are |you're |you were )?(?:a |an |the )?[\w\s-]{0,40}?\b(?:assistant|bot|chatbot|ai|model|oncoguide|helper)\b|"
    r"\b(?:system|hidden|secret|initial|original|developer|internal|base) (?:prompt|instructions?|message|configuration|config)\b|"
    r"\b(?:you are now|you're now|from now on,? you|pretend (?:you are|you're|to be|that you)|role[\s-]?play|"
    r"imagine you are|you will now|you must now|simulate (?:a|an|being))\b|"
    r"(?:^|[.!?]\s*|\byou (?:will|should|must|can|to) )act as (?:if|though|my|a|an|the)\b|"
    r"\bDAN\b|\bdo anything now\b|\b(?:developer|god|admin|sudo|unrestricted|jailbreak) mode\b|\bjail ?break\w*|"
    r"\b(?:unfiltered|uncensored)\b|\b(?:you|ai|assistant|bot|model|gpt|dan|doctor|oncologist)\b[^.?!]{0,30}\bno "
    r"(?:restrictions|rules|limits|guidelines|filters|boundaries)\b|"
    r"^\s*(?:system|assistant|developer|admin)\s*:|\[(?:admin|system|developer|sudo|root)\]|#+\s*system\b|"
    r"<\|?(?:im_start|system|endoftext)\|?>|\{\{[^}]*\}\}|\b(?:new|updated|override) (?:rules|instructions|policy)\s*:|"
    r"\b(?:system )?override\b|<\s*/?\s*(?:script|iframe|img|svg|object|embed|style|link|meta|form|input|system)\b|"
    r"javascript:|\bon(?:error|load|click)\s*=|;\s*drop table|'\s*;\s*--|\bunion select\b|\bor 1\s*=\s*1\b|"
    r"\b(?:disable|remove|turn off|skip|drop|hide) (?:the |your )?(?:medical )?disclaimers?|"
    r"\bas a (?:verified|licensed|registered|certified) (?:doctor|oncologist|nurse|physician|clinician|pharmacist)\b|"
    r"\buser\.role\b|\brole\s*=",
    I,
)
# Requests OncoGuide must never help with, whatever the wrapping.
_ILLICIT = re.compile(
    r"\bwithout (?:a |any )?prescription|\bprescribe (?:me|something|anything|it)|\bwrite (?:me )?(?:a |an )?prescription|"
    r"\b(?:give|giving|write|writing) (?:out )?(?:medical )?prescriptions\b|\bfake (?:a )?prescription|"
    r"\b(?:get|buy|score|obtain|order) (?:some |more )?(?:oxy\w*|opioids?|opiates?|fentanyl|morphine|xanax|valium|"
    r"benzos?|codeine|tramadol|adderall)\b(?! (?:from|through|via) (?:my|the) (?:doctor|gp|oncologist|team|pharmacy))",
    I,
)
OFF_TOPIC = re.compile(
    r"\b(?:weather|forecast|"  # weather
    r"football|soccer|basketball|baseball|nfl|nba|nhl|premier league|champions league|world cup|super bowl|quarterback|"
    r"olympics|tennis|golf|cricket|formula (?:one|1)|who won|score of|best (?:player|team)|"  # sport
    r"stocks?|shares|invest\w*|bitcoin|crypto\w*|forex|mortgage|tax return|my taxes|401k|"  # money
    r"poem|poetry|song lyrics|lyrics|joke|jokes|riddle|limerick|haiku|short story|story about|essay|cover letter|"
    r"resume|cv|email to my boss|speech for|"  # writing
    r"homework|algebra|calculus|equation|math problem|solve \d|"  # school
    r"python|javascript|typescript|java|c\+\+|html|css|sql|regex|linked list|algorithm|function (?:to|that)|"
    r"(?:write|give) me (?:some |a |the )?(?:code|script|program|function)|debug|compile|github|"  # code
    r"itinerary|sightseeing|things to do in|places to visit|road trip|vacation|holiday (?:ideas|plans|destinations)|"
    r"book (?:me )?(?:a )?(?:flight|hotel|table|train|ticket|taxi|uber)|flights? (?:to|from)|hotel (?:in|near)|airbnb|"  # travel
    r"what time does|opening (?:hours|times)|store hours|ikea|"  # shops
    r"oil change|change the oil|car (?:battery|engine|insurance|repair|service)|tyres?|tires|engine oil|honda|toyota|"
    r"mechanic|"  # cars
    r"wifi|wi-fi|router|printer|laptop|iphone|bluetooth|password|my computer|windows update|spreadsheet|"  # tech
    r"translate|translation|"  # language
    r"recipe|recipes|bake|baking|sourdough|cake|cookies|brownies|lasagna|pizza|cocktail|"  # cooking
    r"movie|movies|film|netflix|tv show|series|video game|playstation|xbox|celebrity|"  # entertainment
    r"capital of|president of|election|horoscope|zodiac|lottery|dating|birthday party|puppy|kitten|"
    r"name for (?:my|a|our) (?:new )?(?:dog|cat|puppy|kitten|pet|boat|business|band)|"  # everything else
    r"(?:plan|planning|organi[sz]e) (?:a|my|our) (?:trip|holiday|vacation|party|wedding|route)|trip to)\b",
    I,
)
_GENERIC_TASK = re.compile(
    r"^\W*(?:please |hey |hi )?(?:(?:can|could|would|will) you |help me |i need you to |i want you to )?(?:please )?"
    r"(?:write|compose|draft|generate|code|program|translate|solve|debug|calculate|tell me a (?:joke|story|riddle))\b",
    I,
)
HEALTH_TERMS = re.compile(
    r"\b(?:cancer|tumou?r|oncolog\w*|onc|chemo\w*|radiation|radiotherapy|surgery|surgeon|mastectomy|lumpectomy|breast\w*|"
    r"her2\w*|er\+|pr\+|er|pr|tnbc|mbc|mets?|metasta\w*|biopsy|scan|mammogram|doctor|gp|nurse|care team|hospital|clinic|"
    r"side effects?|symptoms?|pain|ache\w*|fever|nause\w*|vomit\w*|fatigue|tired|sleep|insomnia|diet|exercise|food|eat\w*|"
    r"appetite|weight|alcohol|drug|drugs|medicine|medication|meds|pill|pills|tablet|tablets|dose|dosage|treatment|therap\w*|"
    r"trial|supplement|vitamin\w*|health|blood|bloods|neutrophil\w*|platelet\w*|immune|infection|scared|afraid|anxious|"
    r"anxiety|depress\w*|cope|coping|worried|grief|support group|counsell?\w*|insurance|cost|copay|fertility|pregnan\w*|"
    r"menopaus\w*|hot flash\w*|hot flush\w*|hair|wig|lymph\w*|bone|liver|lung|heart|diagnos\w*|prognosis|survival|stage|"
    r"grade|hereditary|genetic\w*|brca\w*|screen\w*|carcinoma|sarcoma|lymphoma|leuk(?:a)?emia|melanoma|myeloma|prostate|"
    r"colon|ovarian|pancrea\w*|hodgkin|progress\w*|remission|recurrence|relapse|integrative|complementary|holistic|"
    r"off-?label\w*|pharmac\w*|chemist|car-?t|ki-?67|triple negative|hormone\w*|estrogen|oestrogen|prescri\w*|"
    r"tamoxifen|letrozole|anastrozole|exemestane|fulvestrant|zoladex|goserelin|herceptin|kisqali|ibrance|verzenio|"
    r"enhertu|xeloda|taxol|taxotere|t-dm1|kadcyla|\w+(?:mab|nib|lib|zole|xifen|rubicin|taxel|platin|stane|trant|ciclib|parib))\b",
    I,
)
_LEGIT_QUESTION = re.compile(
    r"\b(?:what|what's|how|why|when|which|is|are|can|could|does|do|should|will|explain|tell me|describe|define|list)\b|\?",
    I,
)
DOSING = re.compile(
    r"\b(?:what|which|how much|how many)\b[^.?!]{0,40}\b(?:dose|dosage|doses|mg|milligrams?|mcg|micrograms?|iu|units?|"
    r"tablets?|pills?|capsules?|ml|shots?|injections?)\b[^.?!]{0,40}\b(?:should|do|does|can|could|must|may|would|to take|"
    r"is (?:safe|ok|okay|right|best|enough)|a day|per day|for me)\b|"
    r"\bhow (?:much|many)\b[^.?!]{0,40}\b(?:should|can|could|do|may) i (?:be )?(?:take|taking|have|having|use|using|give)\b|"
    r"\b(?:right|correct|best|proper|ideal|safe|max\w*|exact|usual|normal|standard|recommended|starting|my) "
    r"(?:dose|dosage|amount)\b|"
    r"\b(?:a|an|\d+|two|three) (?:higher|lower|bigger|smaller|extra|double|increased|reduced|half|additional) "
    r"(?:dose|dosage|doses|shots?|injections?|tablets?|pills?|capsules?|mg)\b|"
    r"(?<![\d.])\d+(?:\.\d+)?\s*(?:mg|mcg|g|iu|units?|ml|milligrams?|micrograms?)\b[^.?!]{0,50}\b(?:too (?:low|high|much|little|weak|strong)|"
    r"enough|more|less|higher|lower|increase\w*|decrease\w*|should|shouldn't|be on|work|working|effective|as well)\b|"
    r"\btoo (?:low|high|much|little|weak|strong) (?:a dose |of a dose )?to work\b|"
    r"\bshould (?:my|the) (?:\w+ ){1,2}(?:be )?(?:increased|decreased|reduced|raised|lowered|changed|adjusted|doubled|"
    r"halved|upped|higher|lower|more|less)\b|"
    r"\b(?:split|cut|crush|halve|break|chew|open|divide) (?:my |the |a |an )?(?:\w+ ){0,2}(?:tablets?|pills?|capsules?|doses?)\b|"
    r"\b(?:take|taking|have) (?:an? |my )?(?:extra|additional|another|second|double|more|less|half)\b|"
    r"\b(?:can|could|should|may) i (?:take|have) (?:\d+|two|three|four|double|an extra|extra|more|less|half)\b|"
    r"\bdouble (?:up|my dose|the dose|dose)\b|"
    r"\b(?:missed|forgot|forgotten|skipped) (?:to take )?(?:a |my |one |the |yesterday's |this morning's )?(?:\w+ )?"
    r"(?:dose|pill|tablet|capsule|injection|shot|one)\b|"
    r"\b(?:take|taking) (?:my |the )?(?:\w+ )?(?:every other day|on alternate days|less often|more often|twice a day instead)\b|"
    r"\b(?:take|taking|be on) (?:my |the )?(?:\w+ )?(?:at )?\d{2,4}(?: ?mg)?\b|\bwhat dose\b|\bmy dose be\b",
    I,
)
_DIRECTIVE_VERB = (
    r"(?:stop|stopping|quit|quitting|skip|skipping|pause|pausing|halt|come off|coming off|go off|going off|get off|"
    r"go back on|going back on|come back on|switch|switching|swap|swapping|change|changing|replace|replacing|substitute|"
    r"drop|dropping|cut (?:out|down|back)|increase|decrease|reduce|keep taking|continue|continuing|start|starting|begin|"
    r"try|take a break|taking a break|refuse|refusing|decline|declining|delay|delaying|postpone|postponing|hold off|miss|"
    r"missing|interrupt|taper|wean|give up|ditch|be on|be off|go on)\b"
)
DIRECTIVE = re.compile(
    r"\b(?:should|shall|can|could|may|must) i (?:(?:just|still|ask (?:my \w+ |the \w+ )?(?:to|about|if i can)|"
    rf"go ahead and|be allowed to) )?{_DIRECTIVE_VERB}|"
    r"(?:^\W*|[,.;!?]\s*|\b(?:and|or|so|but|then) )should i (?:be )?tak(?:e|ing)\b|"
    r"\bshould i (?:have|get|go for|go ahead with) (?:the |a |my )?(?:chemo\w*|radio\w*|radiation|surgery|operation|"
    r"mastectomy|lumpectomy|reconstruction|treatment|injection|infusion|\w+(?:mab|nib|ciclib|zole|fen|stane|trant))\b|"
    r"\bdo i (?:(?:really|still|actually) )?(?:need|have) to (?:have |get |take |keep |be on |do )?(?:chemo\w*|radio\w*|radiation|"
    r"surgery|a mastectomy|treatment|it|this|the \w+|my \w+|\w+(?:mab|nib|ciclib|zole|fen|stane|trant))\b|"
    r"\bdo i need (?:chemo\w*|radio\w*|radiation|surgery|a mastectomy|treatment)\b|"
    r"\b(?:is it|would it be|is that|it's|it is) (?:(?:ok|okay|safe|fine|alright|all right|bad|wise|dangerous|a good idea|"
    rf"a bad idea|better|sensible|risky) )(?:for me )?(?:if i |to )(?:just )?{_DIRECTIVE_VERB}|"
    rf"^\W*(?:ok|okay|safe|fine|alright|all right|a good idea) (?:for me )?(?:if i |to )(?:just )?{_DIRECTIVE_VERB}|"
    rf"\b(?:i|i'd|i'm|we) (?:want|would like|'d like|like|plan|am planning|planning|intend|am thinking|thinking|am considering|"
    rf"considering|am tempted|tempted|am going|going|was thinking|was planning)(?: to| of| about| on)? {_DIRECTIVE_VERB}|"
    rf"\b(?:thinking (?:of|about)|considering|tempted to|planning (?:to|on)) {_DIRECTIVE_VERB}|"
    r"\b(?:stopping|skipping|quitting|coming off|pausing|switching|swapping)\b[^.?!]{0,60}\b(?:ok|okay|safe|fine|"
    r"a good idea|good idea|bad idea|wise|dangerous|alright)\b|"
    r"\bcan i (?:quit|stop|skip|pause|come off|go off|swap|switch)\b|\bshould i\?",
    I,
)
_LAB_TERM = (
    r"(?:anc|wbc|white (?:blood )?(?:cell )?count|neutrophils?|neuts|platelets?|plt|h(?:a)?emoglobin|hb|hgb|alt|ast|alp|"
    r"bilirubin|creatinine|e?gfr|liver (?:function|tests?|enzymes|numbers|results)|kidney function|tumou?r markers?|"
    r"ca ?15-?3|ca ?27[- .]?29|cea|oncotype(?: dx)?|recurrence score|mammaprint|ki-?67|ejection fraction|lvef|ef|echo|muga|"
    r"qtc?|ecg|ekg|(?:ct|pet|mri|bone|pet-ct|dexa|x-?ray) ?(?:scan)?|scan|ultrasound|mammogram|biopsy|pathology|"
    r"path report|report|results?|bloods|blood (?:tests?|work|results|counts?)|fish|ihc|score|er|pr|her2)"
)
LAB_INTERPRETATION = re.compile(
    rf"\b{_LAB_TERM}\b[^?]{{0,120}}?(?:\d|['\"]|\b(?:says|said|shows?|showed|came back|reads?|report(?:ed)?|went|dropped|rose|"
    rf"is up|is down|is high|is low)\b)[^?]{{0,160}}?\b(?:mean|means|meaning|worried|worry|worrying|concern\w*|good|bad|"
    r"normal|ok|okay|serious|dangerous|spread\w*|progress\w*|coming back|in my bones|do i need|should i be|cancer|"
    r"malignant|benign|tumou?r)\b|"
    rf"\bmy {_LAB_TERM}\b[^?]{{0,80}}\b(?:mean|means|meaning|bad|normal|worried|spreading|spread|progress\w*|coming back|"
    r"serious|dangerous)\b",
    I,
)


@dataclass(frozen=True)
class ScopeResult:
    out_of_scope: bool
    injection: bool
    advice_limits: tuple[str, ...]  # "dosing", "directive", "lab_interpretation"


def assess_scope(message: str) -> ScopeResult:
    """Off-topic requests, injection attempts and the advice limits that apply to a message.

    - Off topic: a clearly unrelated topic or task (travel, code, recipes, sport ...) with no health term.
    - Injection: attempts to override the rules, change role, or extract the prompt. It is out of scope
      unless a legitimate health question remains once the injection wording is removed; prompt
      extraction and requests for prescriptions or illicit drugs are always out of scope.
    """
    text = normalise(message)
    extraction = bool(_PROMPT_EXTRACTION.search(text))
    injection = extraction or bool(INJECTION.search(text))
    illicit = bool(_ILLICIT.search(text))
    remainder = _PROMPT_EXTRACTION.sub(" ", INJECTION.sub(" ", text)) if injection else text
    health = bool(HEALTH_TERMS.search(remainder))
    off_topic = not health and bool(OFF_TOPIC.search(remainder) or _GENERIC_TASK.search(remainder))
    if injection:
        legitimate = health and bool(_LEGIT_QUESTION.search(remainder)) and not OFF_TOPIC.search(remainder)
        out_of_scope = extraction or illicit or off_topic or not legitimate
    else:
        out_of_scope = off_topic or illicit
    limits = []
    if DOSING.search(text):
        limits.append("dosing")
    if DIRECTIVE.search(text):
        limits.append("directive")
    if LAB_INTERPRETATION.search(text):
        limits.append("lab_interpretation")
    return ScopeResult(out_of_scope=out_of_scope, injection=injection, advice_limits=tuple(limits))


ADVICE_LIMIT_NOTES = {
    "dosing": "I can't tell you what dose to take — your oncologist sets the dose for you, based on your body, your blood tests and how you are tolerating treatment.",
    "directive": "I can't tell you whether to start, stop, skip or change a medicine — that decision belongs to you and your care team, and stopping or changing cancer medicines without them can be risky.",
    "lab_interpretation": "I can't interpret your own test or scan results — your care team can explain what they mean for you, in the context of your whole situation.",
}


# --- output checks --------------------------------------------------------------------------------
_HTML = re.compile(
    r"<\s*/?\s*[a-z][a-z0-9-]*(?:\s[^<>]*)?/?\s*>|<\s*(?:script|iframe|img|svg|object|embed|style)\b|\bon\w+\s*=\s*['\"]|"
    r"javascript\s*:|data\s*:\s*text/html",
    I,
)
_CHANGE_VERB = (
    r"(?:stop|start|skip|quit|increase|decrease|reduce|lower|raise|double|halve|pause|come off|go off|switch|change|miss|"
    r"cut down|cut back)"
)
_DIRECTIVE_OUT = re.compile(
    rf"\byou (?:should|must|need to|have to|ought to|can safely|could safely|'d better|had better|are to) "
    rf"(?:(?!not\b|never\b)\w+ ){{0,2}}?{_CHANGE_VERB}\b|"
    rf"\byou (?:should|must|need to|have to|ought to) take (?:\d+|one|two|three|four|an extra|another|double|half|more|less)\b|"
    rf"\b(?:i|we) (?:would |'d )?(?:recommend|suggest|advise)(?: that)?(?: you)? (?:to )?(?:{_CHANGE_VERB}|take)\b|"
    rf"(?:^|[.!?]\s+|\n\s*(?:[-*]\s+|\d+\.\s+)?)(?:please |just |so |then )?(?:stop|skip|quit|pause|double|halve|increase|"
    rf"decrease|reduce) (?:taking |using )?(?:your|the|it|this)\b|"
    rf"\b{_CHANGE_VERB} (?:taking )?your [a-z]+ (?:now|today|immediately|tonight|for (?:a|the|\d+))\b|"
    r"\btake (?:\d+(?:\.\d+)?|one|two|three|four|an extra|another|double|half)\s*(?:mg|milligrams?|mcg|tablets?|pills?|capsules?|doses?)\b|"
    r"\byour dose should be\b|\bthe right dose for you is\b|\b(?:increase|decrease|raise|lower) your dose to\b|"
    r"\byou can (?:safely )?(?:skip|double|stop|miss)\b",
    I,
)
_CITATION = re.compile(r"\[(\d{1,2})\]")
_SHINGLE = 12  # words in a row shared with the system prompt that count as disclosure


@cache
def _prompt_shingles() -> frozenset[tuple[str, ...]]:
    """Every run of ``_SHINGLE`` words in the system prompt; none may appear in an answer."""
    words = re.findall(r"\w+", (PROMPT_DIR / "answer_system.md").read_text(encoding="utf-8").lower())
    return frozenset(tuple(words[i : i + _SHINGLE]) for i in range(len(words) - _SHINGLE + 1))


def _discloses_prompt(text: str) -> bool:
    words = re.findall(r"\w+", text.lower())
    shingles = _prompt_shingles()
    return any(tuple(words[i : i + _SHINGLE]) in shingles for i in range(len(words) - _SHINGLE + 1))


def check_generated_answer(text: str, allowed_citations: set[int]) -> list[str]:
    """Problems that stop a generated answer from being shown (empty list: it may be shown)."""
    problems = []
    if not text.strip():
        problems.append("empty answer")
    if _HTML.search(text):
        problems.append("HTML or script in the answer")
    cited = {int(n) for n in _CITATION.findall(text)}
    if not cited:
        problems.append("no citations")
    if cited - allowed_citations:
        problems.append(f"citations to sources that were not retrieved: {sorted(cited - allowed_citations)}")
    if contains_directive(text):
        problems.append("a dosing or start/stop directive")
    if _discloses_prompt(text):
        problems.append("system prompt text disclosed")
    return problems


def contains_directive(text: str) -> bool:
    """An instruction to the patient to start, stop, skip or change a medicine, or to take a given dose."""
    return bool(_DIRECTIVE_OUT.search(text))


def display_safe(text: str) -> str:
    """The patient's own words, made safe to quote back inside Markdown: no tags, no script links."""
    return re.sub(r"javascript\s*:", "javascript :", text.replace("<", "‹").replace(">", "›"), flags=re.IGNORECASE)


def unsafe_fragment(text: str) -> str | None:
    """Why a piece of generated text must not be shown even for a moment (None: it may be shown)."""
    if _HTML.search(text):
        return "HTML or script"
    if contains_directive(text):
        return "a dosing or start/stop directive"
    return None
