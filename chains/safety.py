"""Safety stage: runs on every message before anything else, and on every generated answer.

- Red flags: symptoms needing urgent care now, in messy wording and across turns, but not
  educational look-alikes ("what is febrile neutropenia?"), negations or resolved past events.
- Scope: off-topic requests and prompt-injection attempts.
- Advice limits: individual dosing, start/stop/change questions and requests to interpret the
  patient's own results get general information plus a plain statement of who decides.
- Output checks: no HTML, citations only to retrieved sources, no dosing directives, no prompt text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from chains.prompts import PROMPT_DIR

I = re.IGNORECASE  # noqa: E741 - short alias keeps the pattern table readable

RED_FLAG_PATTERNS: dict[str, re.Pattern[str]] = {
    "self_harm": re.compile(
        r"\b(kill(ing)? my ?self|suicid\w*|end (it all|my life|things)|want(ed)? to die|wanna die|"
        r"don'?t want to (live|be here|wake up)|no (point|reason) (in )?(living|going on|to live|carrying on)|"
        r"hurt(ing)? my ?self|harm(ing)? my ?self|self[\s-]?harm|better off dead|take all my (pills|tablets|meds)|"
        r"overdose on|can'?t go on (anymore|any more|like this))",
        I,
    ),
    "chest_pain": re.compile(
        r"\b(chest (pain|pian|pains|hurts?|hurting|tight\w*|pressure|is tight|feels tight|feels heavy)|"
        r"pain in (my|the) chest|crushing (pain|chest)|tight(ness)? in (my|the) chest|pressure in (my|the) chest)",
        I,
    ),
    "breathing": re.compile(
        r"\b((can'?t|cannot|cant|couldn'?t|struggling to|hard to|trouble|difficulty|unable to) ?(breath|breathe|breathing|breth|catch my breath)|"
        r"short(ness)? of breath|\bsob\b|gasping|breathless|out of breath (at rest|sitting|lying)|"
        r"not getting enough air|lips (are |look |turning )?(blue|grey|gray))",
        I,
    ),
    "fainting": re.compile(
        r"\b(faint(ed|ing)?|pass(ed)? out|black(ed)? out|collaps(ed|ing)|lost consciousness|keeled over)\b", I
    ),
    "bleeding": re.compile(
        r"\b((heavy|heavily|lots of|a lot of|won'?t stop|wont stop|non[\s-]?stop|uncontrolled) ?bleed\w*|"
        r"bleed\w* (heavily|a lot|won'?t stop|wont stop|that won'?t stop|everywhere|through)|"
        r"(vomit\w*|throw\w* up|threw up|puk\w*|cough\w*) (up )?(blood|bloody)|blood in (my )?(vomit|sick)|"
        r"black (and )?(tarry )?(stools?|poop|poo)|tarry (stools?|poop)|"
        r"nose ?bleed\w* (won'?t|wont|that won'?t) stop|(stools?|poop|poo) (is|are|looks?) (black|tarry))",
        I,
    ),
    "neuro": re.compile(
        r"\b(sudden(ly)? (confus\w*|very confused|can'?t speak|weak\w*|numb\w*)|(very|really|so|extremely) confused|"
        r"confused and|is confused|became confused|getting confused|can'?t wake (him|her|them|me|up)|hard to wake|"
        r"won'?t wake up|(very|extremely|really) drowsy|worst headache|severe headache|headache (is )?(unbearable|worst)|"
        r"face (is )?droop\w*|droop\w* face|slurr\w* (speech|words)|"
        r"(weak|weakness|numb|numbness) (on|down) (one|my left|my right|the left|the right) side|"
        r"can'?t (move|lift|feel) (my )?(left|right|one) (arm|leg|side)|seiz\w*|convuls\w*|having a fit|had a fit)",
        I,
    ),
    "clot": re.compile(
        r"\b((calf|leg|arm|thigh)\b[^.?!]{0,30}\b(swollen|swelling|red|hot)\b[^.?!]{0,30}\b(pain\w*|sore|hurts?|tender)|"
        r"(swollen|swelling)[^.?!]{0,20}\b(calf|leg)\b[^.?!]{0,30}\b(pain\w*|red|hot|sore|hurts?|tender)|"
        r"(painful|red|hot),? (and )?(red|swollen|hot|painful),? (and )?(swollen )?(calf|leg))",
        I,
    ),
    "allergy": re.compile(
        r"\b(throat (is )?(swell\w*|closing|tight\w*|feels tight)|(lips?|tongue|face) (is |are )?(swell\w*|puff\w*)|"
        r"swell\w* (lips?|tongue|throat)|anaphyla\w*|severe allergic|allergic reaction (now|right now|during)|"
        r"hives (all over|and (trouble|can'?t|difficulty))|epi[\s-]?pen)",
        I,
    ),
    "gi_fluids": re.compile(
        r"\b((can'?t|cannot|cant|unable to|not able to) (keep|hold) (anything|any ?thing|fluids?|water|liquids?|food|drinks?) down|"
        r"(vomit\w*|throw\w* up|throwin\w* up|puking|being sick) (all day|nonstop|non[\s-]stop|constantly|every hour|for \d+ hours|over and over)|"
        r"(diarrh\w*|diarhea|diarrea|loose stools?|the runs)\b[^.?!]{0,30}\b([6-9]|1\d|six|seven|eight|nine|ten|twelve|\d\d)\+? (times|stools|x)|"
        r"([6-9]|1\d|six|seven|eight|nine|ten|twelve)\+? (times|episodes|stools)\b[^.?!]{0,20}\b(diarrh\w*|loose|watery|today|a day)|"
        r"(very|really|so) dehydrated|severely dehydrated|not peed|haven'?t peed|no urine)",
        I,
    ),
}
_FEVER_WORDS = re.compile(
    r"\b(fever\w*|fevr\w*|feaver\w*|febrile|chills|rigou?rs|shak(ing|y) (and|with) (hot|fever|chills)|shivering|shivery|"
    r"burning up|high temp\w*|running a temp\w*|temp(erature)? (is )?(up|high|spik\w*))\b",
    I,
)
_TEMPERATURE = re.compile(r"(?<![\d.])(\d{2,3}(?:[.,]\d{1,2})?)\s*(°|º|deg(rees?)?)?\s*(c|f|celsius|fahrenheit)?\b", I)
_TEMP_CONTEXT = re.compile(r"\b(temp\w*|fever\w*|fevr\w*|thermometer|°|degrees|hot|feverish|celsius|fahrenheit)\b|\d\s*[cf]\b|°", I)
_TREATMENT_CONTEXT = re.compile(
    r"\b(chemo\w*|treatment|cycle|infusion|neutrophils?|neuts?|anc|white (blood )?(cells?|count)|wbc|counts?|"
    r"neutropeni\w*|on [a-z]+|kisqali|ribo\w*|ibrance|palbo\w*|verzenio|abema\w*|enhertu|trodelvy|taxol|"
    r"docetaxel|paclitaxel|capecitabine|xeloda|immunotherapy|keytruda|radiation|oncolog\w*|cancer)\b",
    I,
)
_EDUCATIONAL = re.compile(
    r"^\s*(what|which|how|why|when|where|is|are|can|could|does|do|should|will|would|tell me|explain|list)\b|"
    r"\b(what (is|are|does|do|counts|temperature|happens)|how do (i|you) know|how can i tell|warning signs|signs of|"
    r"symptoms of|side effects? of|is it a side effect|a side effect|should i call (if|when)|when (should|do) i call|"
    r"what if|in case|if i (get|have|develop|had|start)|can [\w\s-]{1,30} cause|does [\w\s-]{1,30} cause|"
    r"how common|how likely|risk of|prevent\w*)\b",
    I,
)
_REPORT = re.compile(
    r"\b(i have|i've got|ive got|i got|i'?m having|im having|having|i am|i'?m|im|i feel|feeling|i've been|ive been|"
    r"my [a-z]+ (is|are|was|keeps)|right now|now|tonight|today|this morning|since|just|started|keep|can'?t|cant|"
    r"won'?t|wont|she|he|my (wife|husband|mom|mum|dad|partner)|\d)\b",
    I,
)
_NEGATION_BEFORE = re.compile(
    r"\b(no|not|never|without|don'?t|dont|doesn'?t|didn'?t|haven'?t|hasn'?t|isn'?t|aren'?t|wasn'?t|denies|nor|"
    r"free of|zero|any)\b[^.?!;]{0,25}$",
    I,
)
_RESOLVED = re.compile(
    r"\b(now (fine|ok|okay|gone|normal|better)|back to normal|went away|gone now|has gone|resolved|settled|"
    r"cleared up|all clear|checked (out|in|at|by)|was (just )?(reflux|heartburn|anxiety|a panic attack|nothing)|"
    r"turned out|they said it was|fine now|better now|no longer)\b",
    I,
)
_PAST = re.compile(r"\b(last (week|month|year|summer|winter|spring|fall|time)|(weeks|months|years) ago|in 20\d\d|back in|years back|during (my )?(last|first))\b", I)

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
    evidence: str  # the words that triggered it


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?;])\s+|\n+|,\s+(?:but|and now|now)\s+", text) if s.strip()]


def _counts(sentence: str, match: re.Match[str], category: str) -> bool:
    """Whether a symptom match in this sentence is a current report (not negated, past or hypothetical)."""
    before = sentence[: match.start()]
    if _NEGATION_BEFORE.search(before[-40:]):
        return False
    if _RESOLVED.search(sentence) or (_PAST.search(sentence) and category != "self_harm"):
        return False
    if category == "self_harm":
        return not re.search(r"\b(not|never|no)\b[^.?!]{0,30}$", before, I) or re.search(r"\bcan'?t\b", before[-15:], I) is not None
    if _EDUCATIONAL.search(sentence):
        rest = sentence[: match.start()] + " " + sentence[match.end() :]
        return bool(re.search(r"\b(i have|i've got|i'?m having|i am having|my \w+ (is|are)|right now|since (this|last|yesterday)|for the (last|past) \d+)\b", rest, I))
    return True


def _fever_in(sentence: str) -> str | None:
    for match in _TEMPERATURE.finditer(sentence):
        value = float(match.group(1).replace(",", "."))
        unit = (match.group(4) or "").lower()[:1]
        if not (unit or match.group(2) or _TEMP_CONTEXT.search(sentence)):
            continue
        celsius = value if (unit == "c" or (not unit and 34 <= value <= 43.5)) else (value - 32) * 5 / 9 if (unit == "f" or 93 <= value <= 110) else None
        if celsius is not None and 38.0 <= celsius <= 43.5:
            if not _NEGATION_BEFORE.search(sentence[: match.start()][-30:]) and not _RESOLVED.search(sentence) and not _PAST.search(sentence):
                if not _EDUCATIONAL.match(sentence) or re.search(r"\b(my|i|i'm|im|is|was)\b", sentence, I):
                    return match.group(0)
    words = _FEVER_WORDS.search(sentence)
    if words and _counts(sentence, words, "fever"):
        return words.group(0)
    return None


def detect_red_flag(message: str, history: list[str] | tuple[str, ...] = ()) -> RedFlag | None:
    """The first red flag the patient reports as happening now, or None."""
    for sentence in _sentences(message):
        for category, pattern in RED_FLAG_PATTERNS.items():
            match = pattern.search(sentence)
            if match and _counts(sentence, match, category):
                return RedFlag(category, match.group(0))
        fever = _fever_in(sentence)
        if fever:
            context = " ".join([*history, message])
            # Fever matters most during treatment or with low counts; OncoGuide's users are people with
            # cancer, so without any context we still route it (a missed infection costs more).
            return RedFlag("fever", fever if _TREATMENT_CONTEXT.search(context) or True else fever)
    return None


# --- scope and misuse -----------------------------------------------------------------------------
INJECTION = re.compile(
    r"(ignore|disregard|forget|override|bypass)\s+(all\s+|any\s+|the\s+|your\s+|my\s+)?(previous|prior|above|earlier|"
    r"preceding|system|safety|your)?\s*(instructions?|rules|prompts?|guidelines|directions|restrictions|programming)|"
    r"(system|hidden|secret|initial|original|developer)\s+(prompt|instructions?|message|rules)|"
    r"(print|show|reveal|repeat|output|display|tell me|give me|what (is|are))\s+(me\s+)?(your|the)\s+(full\s+|exact\s+|hidden\s+|secret\s+)?"
    r"(prompt|instructions?|rules|system message|configuration)|repeat (the|all)? ?(text|words|everything) (above|before)|"
    r"\byou are now\b|\bDAN\b|do anything now|developer mode|jail ?break|no (restrictions|rules|limits)|"
    r"pretend (you are|you're|to be)|act as (my|a|an)\b|role[\s-]?play|from now on,? you|^\s*system\s*:|"
    r"new (rules|instructions)\s*:|<\s*/?\s*(script|iframe|img|svg|object)\b",
    I,
)
OFF_TOPIC = re.compile(
    r"\b(weather|forecast|football|soccer|basketball|baseball|nfl|nba|world cup|super bowl|score of|stock(s| tips| market| price)|"
    r"crypto|bitcoin|poem|poetry|song lyrics|joke|homework|essay about|python code|javascript|write (me )?(a |some )?code|"
    r"sql|debug my|recipe for (a )?(cake|cookies|pizza|lasagna|bread)|book (a|me a) (flight|hotel|table)|flight to|"
    r"hotel in|vacation ideas|movie|netflix|tv show|video game|translate (this|to)|capital of|who won|"
    r"election|president of|celebrity|horoscope|lottery|car insurance|mortgage|tax return|my taxes|"
    r"email to my boss|cover letter|resume|dating|birthday party)\b",
    I,
)
HEALTH_TERMS = re.compile(
    r"\b(cancer|tumou?r|oncolog\w*|onc|chemo\w*|radiation|radiotherapy|surgery|mastectomy|lumpectomy|breast|"
    r"her2|er\+|pr\+|tnbc|mbc|mets?|metasta\w*|biopsy|scan|mammogram|doctor|nurse|care team|hospital|clinic|"
    r"side effects?|symptoms?|pain|fever|nause\w*|fatigue|tired|sleep|diet|exercise|food|eat\w*|weight|alcohol|"
    r"drug|medicine|medication|pill|tablet|dose|treatment|therapy|trial|supplement|vitamin|health|blood|"
    r"neutrophil\w*|platelet\w*|immune|infection|scared|afraid|anxious|anxiety|depress\w*|cope|coping|"
    r"insurance|cost|fertility|pregnan\w*|menopaus\w*|hot flash\w*|hair|lymph\w*|bone|liver|lung|heart)\b",
    I,
)
DOSING = re.compile(
    r"\b(what|which|how much|how many)\b[^.?!]{0,40}\b(dose|dosage|mg|milligrams?|tablets?|pills?|capsules?|units?)\b"
    r"[^.?!]{0,40}\b(should|do|must|can|to)\b|"
    r"\bhow (much|many)\b[^.?!]{0,40}\b(should|do|can) i (take|have|use)\b|"
    r"\b(can|could|should) i (take|have) (2|two|3|three|double|an extra|extra|more|less|half)\b|"
    r"\b(should|could|can) (my|the) (dose|dosage)\b|\b(dose|dosage) (should|would) (i|be)\b|"
    r"\bwhat dose\b|\bright dose for me\b|\bmy dose be\b|\bdouble (up|my dose|the dose)\b|missed (a |my )?(dose|pill|tablet)",
    I,
)
DIRECTIVE = re.compile(
    r"\b(should|shall|can|could|may|must|do) i (stop|start|quit|skip|pause|halt|come off|go off|get off|switch|change|"
    r"drop|cut|increase|decrease|reduce|keep taking|continue|begin|try|take|refuse|delay)\b|"
    r"\b(is it|would it be) (ok|okay|safe|fine|alright|bad)\b[^.?!]{0,10}\b(to|if i) (stop|skip|quit|miss|pause|start|"
    r"take|come off|go off|delay|refuse)\b|"
    r"\b(should i|do i need to|do i have to) (be )?(on|off)\b|\b(stop|quit|skip)ping\b[^.?!]{0,30}\b(ok|okay|safe|fine)\b|"
    r"\bcan i (quit|stop|skip|pause|come off)\b",
    I,
)
LAB_INTERPRETATION = re.compile(
    r"\bmy (anc|wbc|white count|neutrophils?|platelets?|hemoglobin|haemoglobin|hb|alt|ast|liver (tests?|enzymes)|"
    r"tumou?r markers?|ca ?15-3|ca ?27-29|cea|scan|ct|mri|pet|bone scan|report|results?|biopsy|pathology|ecg|ekg|qtc?)\b"
    r"[^?]{0,80}\b(mean|means|meaning|bad|normal|worried|spreading|spread|progress\w*|coming back|cancer|serious|dangerous)\b",
    I,
)


@dataclass(frozen=True)
class ScopeResult:
    out_of_scope: bool
    injection: bool
    advice_limits: tuple[str, ...]  # "dosing", "directive", "lab_interpretation"


def assess_scope(message: str) -> ScopeResult:
    injection = bool(INJECTION.search(message))
    health = bool(HEALTH_TERMS.search(INJECTION.sub(" ", message)))
    off_topic = bool(OFF_TOPIC.search(message)) and not health
    limits = []
    if DOSING.search(message):
        limits.append("dosing")
    if DIRECTIVE.search(message):
        limits.append("directive")
    if LAB_INTERPRETATION.search(message):
        limits.append("lab_interpretation")
    return ScopeResult(out_of_scope=off_topic or (injection and not health), injection=injection, advice_limits=tuple(limits))


ADVICE_LIMIT_NOTES = {
    "dosing": "I can't tell you what dose to take — your oncologist sets the dose for you, based on your body, your blood tests and how you are tolerating treatment.",
    "directive": "I can't tell you whether to start, stop, skip or change a medicine — that decision belongs to you and your care team, and stopping or changing cancer medicines without them can be risky.",
    "lab_interpretation": "I can't interpret your own test or scan results — your care team can explain what they mean for you, in the context of your whole situation.",
}


# --- output checks --------------------------------------------------------------------------------
_HTML = re.compile(r"<\s*/?\s*(script|iframe|img|svg|object|embed|style|link|meta|form|input|a\s)|\bon\w+\s*=|javascript:", I)
_DIRECTIVE_OUT = re.compile(
    r"\byou should (stop|start|skip|quit|increase|decrease|reduce|double|take|halve|pause|come off)\b|"
    r"\b(i recommend|i suggest|i advise) (that )?(you )?(stop|start|skip|quit|increase|decrease|reduce|double|take)\b|"
    r"\b(stop|start|skip|increase|decrease|reduce|double) (taking )?your [a-z]+ (now|today|immediately)\b|"
    r"\btake \d+(\.\d+)?\s*(mg|milligrams?|tablets?|pills?|capsules?)\b|\byour dose should be\b",
    I,
)
_CITATION = re.compile(r"\[(\d{1,2})\]")


@cache
def _prompt_fingerprints() -> tuple[str, ...]:
    """Distinctive lines of the system prompt; none may appear in an answer."""
    lines = (PROMPT_DIR / "answer_system.md").read_text(encoding="utf-8").splitlines()
    return tuple(line.strip("- ").lower()[:60] for line in lines if len(line) > 60)


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
    if _DIRECTIVE_OUT.search(text):
        problems.append("a dosing or start/stop directive")
    lowered = text.lower()
    if any(fp in lowered for fp in _prompt_fingerprints()):
        problems.append("system prompt text disclosed")
    return problems


def contains_directive(text: str) -> bool:
    return bool(_DIRECTIVE_OUT.search(text))
