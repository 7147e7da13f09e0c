"""Patient profile: facts a patient states about themselves, extracted deterministically.

Only first-person statements count ("I'm on letrozole", "ER+ oligomet, 14 months on kisqali");
questions about a drug, negations ("no mets"), planned or refused treatments ("starting chemo next
week") and other people's facts ("my mum had ovarian cancer") add nothing. The profile is merged turn
by turn and can be corrected or cleared.

How a message is read: it is cut into sentences; in each sentence every position has an owner (the
last "I"/"my" or "my sister"/"she" before it), may sit inside a question or inside the scope of a
negation. Treatment mentions next to each other ("Ibrance and Faslodex") form a group that shares one
status (current, past, planned) and one duration, read from the words of its clause.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from chains.cancer_types import cancer_types
from chains.text import context
from chains.understand.vocabulary import EntityMention, Vocabulary

SINGLE_FIELDS = ("cancer_type", "stage", "histology", "grade", "menopausal_status", "sex")
LIST_FIELDS = (
    "receptors", "spread", "sites", "current_treatments", "past_treatments",
    "dose_changes", "dose_change_reasons", "side_effects", "goals",
)  # fmt: skip

# Knowledge-base entity names → the profile's canonical values.
TREATMENT_NAMES = {
    "radiation therapy": "radiation",
    "chemotherapy": "chemotherapy",
    "surgery": "surgery",
    "endocrine therapy": "endocrine therapy",
    "immunotherapy": "immunotherapy",
    "statins": "statins",
}
SIDE_EFFECT_NAMES = {
    "neutropenia": "neutropenia", "febrile neutropenia": "neutropenia", "anemia": "anemia",
    "low platelets": "low platelets", "fatigue": "fatigue", "nausea": "nausea", "diarrhea": "diarrhea",
    "hot flashes": "hot flashes", "joint pain": "joint pain", "neuropathy": "neuropathy",
    "hair loss": "hair loss", "mouth sores": "mouth sores", "liver problems": "liver problems",
    "qt prolongation": "qt prolongation", "lymphedema": "lymphedema", "rash": "rash",
    "high blood sugar": "high blood sugar", "insomnia": "insomnia", "bone pain": "bone pain",
    "headache": "headache",
}  # fmt: skip
NOT_TREATMENTS = {
    "grapefruit",
    "st john's wort",
    "turmeric",
    "vitamin d",
    "aspirin",
    "metformin",
    "ivermectin",
    "mebendazole",
}

# --- who, whether asked, whether denied ------------------------------------------------------------
_PERSON_NOUNS = (
    r"mom|mum|mother|mommy|mummy|mama|dad|father|daddy|papa|sister|sis|brother|aunt|auntie|aunty|uncle|wife|"
    r"husband|hubby|partner|friend|bff|daughter|son|grandma|grandmother|granny|nan|nana|grandpa|grandfather|"
    r"cousin|neighbou?r|colleague|coworker|co-worker|boss|niece|nephew|fianc[eé]e?|girlfriend|boyfriend|"
    r"mother-in-law|sister-in-law|relative|patient|client"
)
_SPEAKER = re.compile(
    rf"(?P<other>\b(?:my|our|her|his|their)\s+(?:(?:best|close|older|younger|little|big|elder|twin|late|dear|"
    rf"good|step|ex|old)[\s-]+)?(?:{_PERSON_NOUNS})s?\b|\b(?:she|he)(?:'s|'d|'ll)?\b|\bher\b(?![\s-]*2))"
    r"|(?P<me>\b(?:i|i'm|im|i've|ive|i'd|i'll|me|my|mine|myself)\b)",
    re.I,
)
ME_WORD = re.compile(r"\b(?:i|i'm|im|i've|ive|i'd|my|me|myself)\b", re.I)
_CLAUSE_PUNCT = re.compile(r"(?:^|[,;:(]|\s[-–]\s)\s*")
_QUESTION_ONSET = re.compile(
    r"(?:(?:so|and|but|then|ok|okay|well)\s+)?(?:what|what's|whats|how|why|which|who|whom|where|when|can|could|does|do|did|is|isn't|are|aren't|should|"
    r"will|would|am|was|were|has|have|any|anyone|anything|tell me|explain|wondering|wonder|curious)\b",
    re.I,
)
_STRONG_ONSET = re.compile(
    r"(?:what|what's|whats|how|why|which|who|can you|could you|can i|could i|can it|does|do you|do i|"
    r"is it|is there|is that|is this|are there|should i|will i|would|explain|tell me)\b",
    re.I,
)
_WORRY = re.compile(
    r"\b(?:worried|worry|worries|worrying|afraid|scared|concerned|nervous|fear|fears|risk|chance|chances|"
    r"prevent|preventing|avoid|avoiding|cause|causes|about\s+getting)\b(?:\s+\S+){0,3}\s*$",
    re.I,
)

# --- treatments ---------------------------------------------------------------------------------------
_BOUNDARY = re.compile(
    r"[,;:()!?]|\s[-–]\s|\b(?:and|but|so|then|now|because|when|until|while|after|before|since|which|although|though|"
    r"whereas|also|plus)\b",
    re.I,
)
_GROUP_JOIN = re.compile(
    r"(?:\s*(?:,|and|&|\+|/|w/?|with|plus|or|alongside|\d+\s*mg\b|\(|\)|weekly|daily)\s*)*",
    re.I,
)
_STATUS_CUE = re.compile(
    r"(?P<current_ord>\bhad\s+(?:my|the|our)\s+(?:\d+(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|"
    r"seventh|eighth|latest|most\s+recent)\b)"
    r"|(?P<past>\b(?:(?:have|i've|ive)\s+had|had(?!\s+to\b)|did|done\s+with|finished|finishing|completed?|"
    r"completing|was\s+(?:on|taking|getting|given)|were\s+(?:on|given)|used\s+to\s+(?:take|be\s+on|be|get|have)|"
    r"previously|formerly|stopped|stopping|switched\s+(?:me\s+)?(?:from|off)|came\s+off|come\s+off|went\s+off|quit|discontinued|tried|took|"
    r"received|failed|progressed\s+on|no\s+longer\s+(?:on|taking|getting))\b)"
    r"|(?P<planned>\b(?:will|going\s+to|gonna|about\s+to|plan(?:s|ned|ning)?(?:\s+to|\s+on)?|scheduled|"
    r"supposed\s+to|wants?\s+me(?:\s+on|\s+to\s+(?:start|take|try|go\s+on))?|want(?:s|ed)?\s+to\s+(?:try|start|go\s+on|switch)|would\s+like\s+to\s+(?:try|start)|"
    r"recommend\w*|suggest\w*|mention\w*|offer\w*|consider\w*|thinking\s+(?:about|of)|discuss\w*|"
    r"talk\w*\s+about|might|may\s+need|need\s+to\s+start|due\s+to\s+start|waiting\s+(?:for|to)|upcoming|next)\b)"
    r"|(?P<current>\b(?:on|taking|take|takes|getting|get|gets|receiving|doing|started|starting|start|starts|"
    r"begun|began|been|still|now|currently|continu\w+|into|alongside|using|having|switched\s+to|changed\s+to|"
    r"moved\s+to|added|restarted|back\s+on|tolerating|paused|held|hold|break\s+from|reduced|lowered|cut|"
    r"increased)\b)",
    re.I,
)
_STARTING = re.compile(r"\b(?:start|starts|starting|started|began|begun|begin|getting|get)\b", re.I)
_FUTURE_TIME = re.compile(
    r"\b(?:next|tomorrow|soon|later\s+this|this\s+coming|upcoming|in\s+(?:a|an|one|two|three|four|few|couple|"
    r"\d+)\b[^,.;]{0,12}\b(?:days?|weeks?|months?)|(?:on\s+)?(?:mon|tues|wednes|thurs|fri|satur|sun)day)\b",
    re.I,
)
_ADJ_PAST = re.compile(
    r"\b(?:after|since|post|following)\s+(?:(?:my|the|a|an|finishing|completing|stopping|(?:\d+|a|an|one|two|"
    r"three|four|five|six|several)\s+(?:rounds?|cycles?|sessions?|years?|months?|weeks?|yrs?|wks?)\s+of)\s+)*$",
    re.I,
)
_HOPE = re.compile(
    r"\b(?:hop(?:e|es|ing)|wants?|wanting|would\s+like|'d\s+like|plan(?:s|ning)?|going|will|gonna)\s+to\b", re.I
)
_ADJ_PLANNED = re.compile(r"\bbefore\s+(?:(?:my|the|starting|having|any)\s+)*$", re.I)
_TOPICAL = re.compile(
    r"\b(?:(?:project|paper|article|essay|report|research|researching|reading|info|information|question|"
    r"questions|video|podcast|book|studies|data)\s+(?:on|about|of|for)|about|regarding|like)\s+(?:the\s+)?$",
    re.I,
)
_RIGHT_PAST = re.compile(
    r"^\W*(?:\w+\W+){0,2}?(?:finished|done|completed?|ended|over|stopped|was\s+given|were\s+given|"
    r"given)\b",
    re.I,
)
_RIGHT_PLANNED = re.compile(
    r"^\W*(?:\w+\W+){0,2}?(?:starts|will|begins|is\s+planned|planned|scheduled|next|to\s+start|coming\s+up)\b", re.I
)
_ANYMORE = re.compile(r"^[^,.;]{0,25}\b(?:anymore|any\s+more|any\s+longer)\b", re.I)
_CONTINUATION = re.compile(r"^\s*(?:,|\+|&|\(|(?:and|then|plus|also)\b)", re.I)
_PAUSE_WORD = re.compile(r"\b(?:break|hold|held|paused?|off)\b", re.I)
_START_WORD = re.compile(r"\b(?:start|starts|starting|started|began|begun|begin)\b", re.I)
_WEAK_PAST = re.compile(
    r"\b(?:in|back\s+in)\s+(?:19|20)\d\d\b|\blast\s+(?:year|month|spring|summer|fall|autumn|winter)\b|"
    r"\b(?:years?|months?)\s+ago\b|\bwas\s+(?:dx|diagnosed)\b",
    re.I,
)
_QUESTION_TREATMENT_OK = re.compile(
    r"\b(?:i'?m|i\s+am|im|i've\s+been|ive\s+been|been|while|since)\s+(?:currently\s+|still\s+|also\s+|now\s+)?"
    r"(?:on|taking|getting)\b",
    re.I,
)
_PRONOUN = re.compile(
    r"\b(?:on|off|stopped|stop|held|hold|paused|pause|started|restarted|quit|discontinued|reduced|lowered|cut|"
    r"continued|tolerating)\s+(it)\b",
    re.I,
)
_ELLIPTIC_PAST = re.compile(
    r"^\W*(?:(?:and|but|then|so)\s+)*(?:\w+\s+){0,2}?(?:(?:i|we|they|she|he)\s+)?(?:had\s+to\s+)?(?:finished|completed|stopped|ended|"
    r"discontinued|quit|came\s+off|done)\b(?!\s+working)",
    re.I,
)
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "eighteen": 18}  # fmt: skip
_NUM = r"(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|eighteen)"
_UNITS = r"(days?|weeks?|wks?|months?|mos?|mths?|years?|yrs?)"
_UNIT = {"day": "day", "week": "week", "wk": "week", "month": "month", "mo": "month", "mth": "month",
         "year": "year", "yr": "year"}  # fmt: skip
_DUR_FILLER = (
    r"(?:\s+|,|\b(?:for|x|about|almost|nearly|over|around|approximately|now|so\s+far|the\s+past|the\s+last|just|"
    r"only|since|already|alone|too|also|maintenance|weekly|daily|monthly|shots?|injections?|infusions?|pills?|"
    r"tablets?|every\s+\w+(?:\s+(?:days?|weeks?|months?|wks?))?|\d+\s*mg)\b)*"
)
_DUR_AFTER = re.compile(rf"^{_DUR_FILLER}\b{_NUM}[\s-]*{_UNITS}\b(?P<ago>\s+ago\b)?(?!\s*(?:break|later))", re.I)
_DUR_BEFORE = re.compile(rf"\b{_NUM}[\s-]*{_UNITS}\s+(?:of|into|on)\s+(?:my\s+|the\s+)?$", re.I)
_DUR_CLAUSE = re.compile(
    rf"^\W*(?:about|almost|nearly|over|around|approximately|~)?\s*{_NUM}[\s-]*{_UNITS}\s*(?:in|now|so\s+far|on\s+it)?\W*$",
    re.I,
)

# --- disease ------------------------------------------------------------------------------------------
_POS = r"[\s-]*(?:\+|pos\b|positive|pos\.)"
_NEG = r"(?:[\s-]*(?:neg\b|negative)|\s*-(?![a-z0-9]))"
_ER = r"\b(?:er|estrogen[\s-]+receptor|oestrogen[\s-]+receptor|estrogen|oestrogen)"
_PR_WORD = r"(?:pr|pgr|progesterone[\s-]+receptor|progesterone)"
_PR = rf"\b{_PR_WORD}"
_HER2 = r"\bher[\s-]?2(?:/neu)?"
_RECEPTORS = [
    (re.compile(r"\btriple[\s-]*neg(?:ative)?\b|\btnbc\b", re.I), ["triple-negative"]),
    (re.compile(rf"{_HER2}[\s-]*(?:is\s+)?ultra[\s-]*low\b", re.I), ["HER2-ultralow"]),
    # IHC 2+ with a negative in-situ test (FISH/ISH not amplified) is HER2-low by the ASCO/CAP definition
    (
        re.compile(
            rf"{_HER2}[^.?!]{{0,40}}?\b2\+[^?!]{{0,80}}?\b(?:fish|ish|cish|sish)\b[^.?!]{{0,40}}?"
            r"(?:negative|neg\b|not amplified|non[\s-]?amplified|unamplified)",
            re.I,
        ),
        ["HER2-low"],
    ),
    (re.compile(rf"{_HER2}[\s-]*(?:is\s+)?(?:low\b|(?:ihc\s*)?(?:score\s*(?:of\s*)?)?1\+)", re.I), ["HER2-low"]),
    (re.compile(rf"{_HER2}\s*(?:ihc\s*)?(?:3\+|{_POS})", re.I), ["HER2+"]),
    (re.compile(rf"{_HER2}\s*(?:ihc\s*)?(?:0\b|{_NEG})", re.I), ["HER2-"]),
    (re.compile(rf"{_ER}\s*(?:/|and|&)\s*{_PR_WORD}{_POS}", re.I), ["ER+", "PR+"]),
    (re.compile(rf"{_ER}\s*(?:/|and|&)\s*{_PR_WORD}{_NEG}", re.I), ["ER-", "PR-"]),
    (re.compile(rf"{_ER}{_POS}", re.I), ["ER+"]),
    (re.compile(rf"{_ER}{_NEG}", re.I), ["ER-"]),
    (re.compile(rf"{_PR}{_POS}", re.I), ["PR+"]),
    (re.compile(rf"{_PR}{_NEG}", re.I), ["PR-"]),
    (re.compile(rf"\b(?:hr|hormone(?:[\s-]+receptor)?)(?:{_POS}|[\s-]+sensitive)", re.I), ["HR+"]),
    (re.compile(rf"\b(?:hr|hormone(?:[\s-]+receptor)?){_NEG}", re.I), ["HR-"]),
]
_BREAST_CANCER = re.compile(
    r"\b(?:breast\s+(?:cancer|ca|carcinoma)|mbc|tnbc|ibc|b/?c(?!\s+(?:i|i'm|im|my|it|its|it's|of|the|they|he|she|we|"
    r"you|that|this|there|when|if|idk)\b))\b",
    re.I,
)
# A tumour's grade as a pathology report or a patient writes it: "grade 2", "Grade II", "Nottingham grade 3".
_GRADE = re.compile(r"\bgrade\s*[:=]?\s*(iii|ii|i|[1-3]|one|two|three)\b(?!\s*(?:/|out of|of)\s*\d)", re.I)
_GRADE_VALUES = {"i": "1", "ii": "2", "iii": "3", "one": "1", "two": "2", "three": "3", "1": "1", "2": "2", "3": "3"}
HISTOLOGY_VALUES = tuple(
    line.strip()
    for line in (Path(__file__).parent / "vocab" / "histology.txt").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
)
_STAGE = re.compile(r"\b(?:stage|stg|st)\.?\s*(0|iv|iii|ii|i|[0-4]|zero|one|two|three|four)(?:[abc])?\b", re.I)
_ROMAN = {"0": "0", "1": "I", "2": "II", "3": "III", "4": "IV", "i": "I", "ii": "II", "iii": "III", "iv": "IV",
          "zero": "0", "one": "I", "two": "II", "three": "III", "four": "IV"}  # fmt: skip
_SPREAD = [
    ("oligometastatic", re.compile(r"\boligo[\s-]?met\w*", re.I)),
    ("locally advanced", re.compile(r"\blocally[\s-]advanced\b", re.I)),
    ("metastatic", re.compile(
        r"\b(?:metastatic|metastasi[sz]ed|metastases|metastasis|mets|mbc|(?:stage|st)\.?\s*(?:4|iv)\b|"
        r"secondary\s+breast\s+cancer|spread\s+to|has\s+spread|spread\s+into)", re.I)),
    ("early", re.compile(r"\bearly[\s-](?:stage|breast)\b", re.I)),
    ("recurrent", re.compile(
        r"\b(?:recurrent|recurrence(?!\s+(?:score|risk))|recurred|recurring|relapsed?|has\s+returned|(?:it'?s|it\s+is|cancer\s+is)\s+back|"
        r"(?<!results\s)(?<!scan\s)(?<!test\s)(?:came|come|coming)\s+back(?!\s+(?:negative|positive|clear|normal|fine|"
        r"benign|good|ok|okay|high|low)))\b", re.I)),
]  # fmt: skip
_SITE_WORDS = {
    "bone": r"bones?|spine|spinal|vertebrae?|vertebral|hips?|ribs?|pelvis|pelvic|sternum|skull|femur|skeletal|osseous",
    "liver": r"liver|hepatic",
    "lung": r"lungs?|pulmonary|pleura\w*",
    "brain": r"brain",
    "lymph nodes": r"lymph[\s-]+nodes?|(?:axillary\s+)?nodes?|nodal",
    "skin": r"skin",
    "chest wall": r"chest[\s-]+wall",
}
SITE = re.compile("|".join(rf"(?P<s{i}>\b(?:{w})\b)" for i, w in enumerate(_SITE_WORDS.values())), re.I)
_SITE_NAMES = list(_SITE_WORDS)
_SITE_JOIN = re.compile(r"^(?:\s*(?:,|and|or|&|\+|/|\(|\)|the|my|both)\s*)+$", re.I)
_SITE_AFTER = re.compile(
    r"[\s-]*(?:(?:mets?|metastas[ie]s|metastatic|lesions?|spots?|tumou?rs?|involvement|deposits?|disease)\b|"
    r"(?:nodes?\s+)?(?:positive|involved)\b)",
    re.I,
)
_SITE_BEFORE = re.compile(
    r"\b(?:mets?|metastas[ie]s|metastasi[sz]ed|metastatic|spread|spreading|recurred|recurrence|recurrent|came\s+back|"
    r"come\s+back|returned|cancer|found|spots?|lesions?|disease|oligomet\w*|tumou?rs?|it'?s|it\s+is)\s+"
    r"(?:\w+\s+){0,2}?(?:to|in|into|within|at|as)\s+(?:(?:the|my|both|several|a\s+few|few|many|some|multiple|\d+|"
    r"one|two|three|four|five|six|seven|eight|nine|ten|a|an|her|his)\s+)*$",
    re.I,
)

# --- dose changes, side effects, other facts ------------------------------------------------------------
_DOSE_CHANGE = [
    ("reduced", re.compile(
        r"\b(?:dose|doses|dosage)\W+(?:\w+\W+){0,4}?(?:reduc\w*|lower\w*|decreas\w*|cut|dropped|down)\b|"
        r"\b(?:reduc\w*|lower\w*|decreas\w*|cut|dropped)\W+(?:\w+\W+){0,3}?(?:dose|dosage)\b|"
        r"\b(?:was|were|got|been|be|is)\s+(?:reduced|lowered|decreased|cut)\s+(?:to|from|down)\b", re.I)),
    ("paused", re.compile(
        r"\b(?:on\s+hold|paused?|pausing|held|holding\s+(?:off|it|my|the)|hold(?:ing)?\s+off|interrupt(?:ed|ion)|"
        r"(?:a|an)\s+(?:\d+|one|two|three|four)?[\s-]*(?:day|week|wk|month)?[\s-]*break|break\s+from|"
        r"skip(?:ped)?\s+(?:a|the|my|one)\s+(?:dose|cycle|week|infusion)|delayed)\b", re.I)),
    ("stopped", re.compile(
        r"\b(?:stopped|discontinued|came\s+off|come\s+off|taken\s+off|took\s+me\s+off|quit|switched\s+(?:me\s+)?(?:from|off|to)|no\s+longer\s+(?:on|taking|getting)|"
        r"had\s+to\s+stop)\b(?!\s+(?:working|responding|helping|growing|spreading))", re.I)),
    ("increased", re.compile(
        r"\b(?:dose|dosage)\W+(?:\w+\W+){0,4}?(?:increas\w*|raised|went\s+up|back\s+up|bumped)\b|"
        r"\b(?:increas\w*|raised|bumped\s+up)\W+(?:\w+\W+){0,3}?(?:dose|dosage)\b", re.I)),
]  # fmt: skip
_DOSE_OBJECT = re.compile(
    r"\b(?:dose|dosage|infusion|cycle|treatment|meds|medication|pills?|tablets?|therapy|it)\b", re.I
)
_REASON_AFTER = re.compile(
    r"\b(?:because(?:\s+of)?|due\s+to|for|from|after|as|since|b/c|caused\s+by|thanks\s+to|owing\s+to)\b", re.I
)
_REASON_BEFORE = re.compile(r"\b(?:because(?:\s+of)?|due\s+to|owing\s+to|thanks\s+to|after)\b", re.I)
_REASON_END = re.compile(r"[,;.]|\b(?:but|so|then|and\s+(?:then|i|my|now|also))\b", re.I)
_SO_LINK = re.compile(
    r"(?:,\s*|\s)(?:so|which\s+is\s+why|and\s+so)\s+(?:they|i|my|the|he|she|we|dr\.?|doc|doctor|onc\w*|it|her|his|"
    r"that|now)\b",
    re.I,
)
_LAB = {
    "neutropenia": r"white\s+(?:blood\s+)?(?:cell\s+)?counts?|wbc|anc|neutrophils?|neuts|white\s+cells",
    "low platelets": r"platelets?|plts",
    "anemia": r"hemoglobin|haemoglobin|hgb|hb|red\s+(?:blood\s+)?cells?|red\s+counts?",
}
_LAB_WORD = "|".join(_LAB.values())
_LAB_LOW = re.compile(
    rf"\b(?:{_LAB_WORD})\b(?:\s*(?:,|and|&)\s*(?:my\s+|the\s+)?(?:{_LAB_WORD})\b)*(?:\s+(?:counts?|levels?))?"
    r"(?:\s+(?:is|are|was|were|got|went|have|has|been|dropped|fell|came\s+back|running|both|all|really|very|super|"
    r"quite|too|a\s+bit|pretty|so|still|kept|keep|keeps|keeping))*\s+(?:low|down|dropped|dropping|tanked|tanking|"
    r"falling|fell)\b(?:\s*\([^)]*\))?",
    re.I,
)
_LAB_PARTS = [(value, re.compile(rf"\b(?:{words})\b", re.I)) for value, words in _LAB.items()]
_SIDE_EFFECT_PATTERNS = [
    ("liver problems", re.compile(
        r"\b(?:liver\s+(?:enzymes|function|tests|numbers|counts|levels)|lfts?|alt|ast|transaminases)\b"
        r"(?:\s+(?:is|are|was|were|got|went|go|have|has|been|gone|came|being|all|really|very|super|so|levels?))*\s+"
        r"(?:up|high|higher|raised|elevated|rose|increased|abnormal|spiked)\b", re.I)),
    ("high blood sugar", re.compile(
        r"\b(?:blood\s+sugars?|blood\s+glucose|glucose|sugars?)\b(?:\s+(?:levels?|readings?))?"
        r"(?:\s+(?:is|are|was|were|got|went|have|has|been|gone|running|being|all|really|very|super|so|too))*\s+"
        r"(?:up|high|higher|raised|elevated|rose|spiked)\b", re.I)),
    ("hair loss", re.compile(
        r"\bhair\b(?:\s+\w+){0,2}?\s+(?:falling|coming|fell|came)\s+out\b|\blosing\s+(?:my\s+|some\s+|a\s+lot\s+of\s+)?hair\b|"
        r"\blost\s+(?:my\s+|all\s+my\s+|some\s+of\s+my\s+)?hair\b|\bhair\s+(?:is\s+)?thinning\b", re.I)),
    ("joint pain", re.compile(
        r"\bjoints?\b(?:\s+\w+)?\s+(?:ache|aches|aching|hurt|hurts|hurting|are\s+sore|pain|are\s+killing\s+me|are\s+stiff)\b|"
        r"\b(?:achy|sore|painful|aching|stiff)\s+joints\b", re.I)),
    ("neuropathy", re.compile(
        r"\b(?:fingers|toes|hands|feet|fingertips)\b(?:\s+\w+){0,2}?\s+(?:numb|tingly|tingling)\b|"
        r"\bnumb\s+(?:fingers|toes|hands|feet)\b", re.I)),
]  # fmt: skip
_MENOPAUSE = [
    ("perimenopausal", re.compile(r"\bperi[\s-]?meno\w*", re.I)),
    ("premenopausal", re.compile(r"\bpre[\s-]?meno\w*|\bstill\s+(?:have|get)\s+(?:my\s+)?periods\b|\bbefore\s+menopause\b", re.I)),
    ("postmenopausal", re.compile(
        r"\bpost[\s-]?meno\w*|\b(?:after|through|past|went\s+through|gone\s+through|in)\s+(?:the\s+)?menopause\b", re.I)),
]  # fmt: skip
_DESIRE = re.compile(
    r"\b(?:i|i'm|im|i'd|my|me|want|wanting|wanna|interested|looking|like|love|hoping|hope|join|enrol\w*|enroll\w*|"
    r"try|eligible|qualify|consider\w*|thinking|open\s+to|find)\b",
    re.I,
)
_GOALS = [
    ("integrative options", re.compile(
        r"\b(?:integrative|complementary|holistic|alternative\s+(?:therap\w*|medicine|treatments?|options)|"
        r"natural\s+(?:\w+\s+)?(?:options|approaches|remedies|treatments|therap\w*|stuff|things|ways|supplements|"
        r"alternatives)|acupuncture|naturopath\w*|herbal)\b", re.I)),
    ("clinical trials", re.compile(r"\b(?:clinical\s+)?trials?\b(?!\s+and\s+error)", re.I)),
    ("fertility", re.compile(
        r"\b(?:fertility|freeze\s+(?:my\s+)?eggs|egg\s+freezing|freezing\s+(?:my\s+)?eggs|get(?:ting)?\s+pregnant|"
        r"(?:have|having|want)\s+(?:a\s+|another\s+)?(?:baby|babies|kids|children|child)|pregnan\w+)\b", re.I)),
    ("second opinion", re.compile(r"\b(?:second|2nd|another)\s+opinion\b", re.I)),
    ("keep working", re.compile(
        r"\b(?:keep|continue|stay|staying|keeping|continuing|go\s+back\s+to|return\s+to|get\s+back\s+to|back\s+to)\s+"
        r"(?:working|at\s+work|work|my\s+job)\b", re.I)),
    ("remission", re.compile(
        r"\b(?:stay|remain|staying|remaining|keep|be|get|getting|go|achieve|reach|reaching)\s+(?:in\s+|into\s+)?remission\b|"
        r"\b(?:hoping|hope|want|goal)\b[^.?]{0,30}\bremission\b|\bbeat\s+(?:this|it|cancer)\b", re.I)),
    ("lifestyle", re.compile(
        r"\b(?:want|wanting|wanna|like|love|interested|looking|hoping|plan|planning|help\s+with|tips)\b[^.?]{0,40}"
        r"\b(?:diet|exercise|lifestyle|lose\s+weight|weight\s+loss|nutrition|healthier|fitness|"
        r"eat(?:ing)?\s+(?:better|healthy|healthier)|work(?:ing)?\s+out)\b", re.I)),
]  # fmt: skip
# Cheap pre-checks: most sentences mention no receptor, menopause or goal at all.
RECEPTOR_HINT = re.compile(r"\b(?:er|pr|pgr|her|hr|hormone|estrogen|oestrogen|progesterone|triple|tnbc)", re.I)
MENOPAUSE_HINT = re.compile(r"meno|periods", re.I)
GOAL_HINT = re.compile(
    r"trial|integrative|complementary|holistic|alternative|natural|acupunct|naturopath|herbal|fertil|eggs|pregnan|"
    r"baby|babies|kids|child|opinion|work|job|remission|beat|diet|exercise|lifestyle|weight|nutrition|health|fitness|eat",
    re.I,
)
_GOALS_NEED_DESIRE = {"clinical trials", "integrative options"}
_MALE = re.compile(
    r"\b(?:i'?m|i\s+am|im|as)\s+an?\s+(?:\d+[\s-]?(?:yo|y/o|year[\s-]old)\s+)?(?:man|male|guy|dude)\b|"
    r"^\W*(?:male|man|guy)\s*[,/]?\s*\d{2}\b|^\W*\d{2}\s*(?:yo\s*|y/o\s*)?(?:male|m)\b|"
    r"\b(?:i\s+have|i've\s+got|diagnosed\s+with|my)\s+male\s+breast\s+cancer\b",
    re.I,
)


@dataclass
class PatientProfile:
    """What the patient has told OncoGuide about themselves (canonical values, see tests/data)."""

    cancer_type: str | None = None
    receptors: list[str] = field(default_factory=list)
    stage: str | None = None
    histology: str | None = None
    grade: str | None = None
    spread: list[str] = field(default_factory=list)
    sites: list[str] = field(default_factory=list)
    current_treatments: list[str] = field(default_factory=list)
    past_treatments: list[str] = field(default_factory=list)
    treatment_durations: dict[str, str] = field(default_factory=dict)
    dose_changes: list[str] = field(default_factory=list)
    dose_change_reasons: list[str] = field(default_factory=list)
    side_effects: list[str] = field(default_factory=list)
    menopausal_status: str | None = None
    goals: list[str] = field(default_factory=list)
    sex: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PatientProfile:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def is_empty(self) -> bool:
        return not self.to_dict()

    def merge(self, new: PatientProfile) -> PatientProfile:
        """Later statements add to lists and override single values; a drug moves from current to past."""
        merged = PatientProfile.from_dict(self.to_dict())
        for name in SINGLE_FIELDS:
            if getattr(new, name):
                setattr(merged, name, getattr(new, name))
        for name in LIST_FIELDS:
            current = getattr(merged, name)
            current.extend(v for v in getattr(new, name) if v not in current)
        merged.treatment_durations.update(new.treatment_durations)
        merged.current_treatments = [t for t in merged.current_treatments if t not in new.past_treatments]
        merged.past_treatments = [t for t in merged.past_treatments if t not in new.current_treatments]
        if "oligometastatic" in merged.spread and "metastatic" in merged.spread:
            merged.spread.remove("metastatic")
        return merged

    def describe(self) -> list[str]:
        """Plain-language facts, for the opening of an answer and the profile panel."""
        facts: list[str] = []
        receptor_words = {"ER+": "ER-positive", "PR+": "PR-positive", "HR+": "hormone receptor-positive",
                          "HER2+": "HER2-positive", "HER2-": "HER2-negative", "HER2-low": "HER2-low",
                          "HER2-ultralow": "HER2-ultralow", "triple-negative": "triple-negative",
                          "ER-": "ER-negative", "PR-": "PR-negative"}  # fmt: skip
        disease = " ".join(
            [", ".join(receptor_words.get(r, r) for r in self.receptors if r in receptor_words)]
            + [s for s in self.spread if s != "recurrent"]
            + ([f"stage {self.stage}"] if self.stage and "metastatic" not in self.spread else [])
        ).strip()
        if disease or self.cancer_type:
            # Hormone receptors and HER2 are read for breast cancer; with neither, the type was not said.
            default = "breast cancer" if self.receptors else "cancer"
            facts.append(f"{disease} {self.cancer_type or default}".strip())
        tumour = ", ".join(
            ([self.histology] if self.histology else []) + ([f"grade {self.grade}"] if self.grade else [])
        )
        if tumour:
            facts.append(tumour[0].lower() + tumour[1:])
        if self.sites:
            facts.append("spread to the " + " and ".join(self.sites))
        if self.current_treatments:
            facts.append("your current treatment with " + " and ".join(self._treatments_with_durations()))
        if self.dose_changes:
            facts.append(f"a dose that was {' and '.join(self.dose_changes)}{self._dose_reason()}")
        if self.side_effects and not self.dose_changes:
            facts.append("side effects you mentioned (" + ", ".join(self.side_effects) + ")")
        if self.menopausal_status:
            facts.append(f"being {self.menopausal_status}")
        return facts

    def _dose_reason(self) -> str:
        return f" because of {', '.join(self.dose_change_reasons)}" if self.dose_change_reasons else ""

    def _treatments_with_durations(self) -> list[str]:
        return [
            f"{drug} (for {self.treatment_durations[drug]})" if self.treatment_durations.get(drug) else drug
            for drug in self.current_treatments
        ]

    def disease_phrase(self) -> str | None:
        """The patient's disease as they described it ("metastatic HER2-positive breast cancer"), if known."""
        if not (self.receptors or self.stage or self.cancer_type or set(self.spread) - {"recurrent"}):
            return None
        return self.describe()[0]

    def noun_phrases(self) -> list[str]:
        """The same facts as short phrases that read correctly in any list ("taking letrozole", "postmenopausal")."""
        disease = self.disease_phrase()
        phrases = [disease] if disease else []
        if self.sites:
            phrases.append("spread to the " + " and ".join(self.sites))
        if self.current_treatments:
            phrases.append("taking " + " and ".join(self._treatments_with_durations()))
        if self.dose_changes:
            phrases.append(f"a dose {' and '.join(self.dose_changes)}{self._dose_reason()}")
        elif self.side_effects:
            phrases.append("side effects: " + ", ".join(self.side_effects))
        if self.menopausal_status:
            phrases.append(self.menopausal_status)
        return phrases

    def applies_to_tags(self) -> set[str]:
        """The knowledge base's ``applies_to`` values this profile matches."""
        tags = {"all"}
        r = set(self.receptors)
        if "triple-negative" in r:
            tags.add("TNBC")
        if r & {"HER2+"}:
            tags.add("HER2+")
        if r & {"HER2-low", "HER2-ultralow"}:
            tags.add("HER2-low")
        if r & {"ER+", "PR+", "HR+"} and "HER2+" not in r:
            tags.add("ER+/HER2-")
        if set(self.spread) & {"metastatic", "oligometastatic"} or self.stage == "IV":
            tags.add("metastatic")
        if "early" in self.spread or self.stage in {"0", "I", "II", "III"}:
            tags.add("early")
        if self.menopausal_status == "premenopausal":
            tags.add("premenopausal")
        if self.sex == "male":
            tags.add("male")
        return tags


# --- reading a message ---------------------------------------------------------------------------------
@dataclass
class _Mention:
    """A treatment named (or pointed at with "it") in a sentence."""

    name: str | None
    start: int
    end: int


@dataclass
class _Group:
    """Treatments joined by "and", "+", "," or "with"; they share one status and one duration."""

    members: list[_Mention]
    status: str = ""
    explicit: bool = False

    @property
    def start(self) -> int:
        return self.members[0].start

    @property
    def end(self) -> int:
        return self.members[-1].end


@dataclass
class _Reading:
    """What has been read so far across the sentences of one message."""

    last_treatment: str | None = None
    statuses: dict[str, list[tuple[int, str, bool]]] = field(default_factory=dict)
    durations: dict[str, str] = field(default_factory=dict)
    breast: bool = False
    other_cancer: str | None = None


class _Sentence:
    """One sentence: who each position is about, where a question starts, which spans are negated."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.speakers = [(m.start(), m.lastgroup == "me") for m in _SPEAKER.finditer(text)]
        self.question_at = _question_start(text)
        self.negations = context.fact_negation_spans(text)
        self.boundaries = [m.start() for m in _BOUNDARY.finditer(text)]

    def about_me(self, pos: int) -> bool:
        owner = True
        for start, is_me in self.speakers:
            if start > pos:
                break
            owner = is_me
        return owner

    def stated(self, pos: int) -> bool:
        """A first-person statement (not a question, not about someone else) at ``pos``."""
        return pos < self.question_at and self.about_me(pos)

    def negated(self, pos: int) -> bool:
        return any(start <= pos < end for start, end in self.negations)

    def affirmed(self, pos: int) -> bool:
        return self.stated(pos) and not self.negated(pos)

    def clause_start(self, pos: int, floor: int = 0) -> int:
        return max([b for b in self.boundaries if b < pos] + [floor])

    def clause_end(self, pos: int) -> int:
        return min([b for b in self.boundaries if b >= pos] + [len(self.text)])


def _normalise(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"[ \t]+", " ", text)


def _sentences(text: str) -> list[str]:
    pieces = [s.strip() for s in re.split(r"(?<=[.!?;])\s+|\n+|\s+[-–—]\s+", text) if s.strip()]
    merged: list[str] = []
    for piece in pieces:  # "St. John's wort", "Dr. Smith" are not sentence ends
        if merged and re.search(r"\b(?:st|dr|vs|mr|mrs|ms|e\.g|i\.e)\.$", merged[-1], re.I):
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    return merged


def _question_start(text: str) -> int:
    """Where the question part of a sentence starts (``len(text)`` when nothing is asked)."""
    onsets = [m.end() for m in _CLAUSE_PUNCT.finditer(text)]
    if text.rstrip().endswith("?"):
        asked = [pos for pos in onsets if _QUESTION_ONSET.match(text, pos)]
        if asked:
            return asked[-1]
        return len(text) if ME_WORD.search(text) else 0
    asked = [pos for pos in onsets if _STRONG_ONSET.match(text, pos)]
    return asked[0] if asked else len(text)


def _add(values: list[str], value: str) -> None:
    if value not in values:
        values.append(value)


def _duration(amount_text: str, unit_text: str) -> str:
    amount = int(amount_text) if amount_text.isdigit() else _NUMBER_WORDS[amount_text.lower()]
    unit = unit_text.lower()
    unit = _UNIT.get(unit if unit in _UNIT else unit.rstrip("s"), "month")
    return f"{amount} {unit}" + ("" if amount == 1 else "s")


def extract_profile(message: str, vocabulary: Vocabulary) -> PatientProfile:
    """Facts the patient states about themselves in one message."""
    profile = PatientProfile()
    reading = _Reading()
    for index, text in enumerate(_sentences(_normalise(message))):
        sentence = _Sentence(text)
        entities = vocabulary.find_entities(text)
        _disease(sentence, profile, reading)
        _histology(sentence, entities, profile)
        _sites(sentence, profile)
        effects = _side_effects(sentence, entities, profile)
        mentions = _treatment_mentions(sentence, entities, reading)
        _dose_changes(sentence, mentions, effects, profile)
        _treatments(sentence, mentions, reading, index * 100_000)
        _personal(sentence, profile)
    _finish(profile, reading)
    return profile


def _finish(profile: PatientProfile, reading: _Reading) -> None:
    """Resolve treatment statuses and apply the cross-field rules."""
    if reading.breast:
        profile.cancer_type = "breast cancer"
    elif reading.other_cancer:
        profile.cancer_type = reading.other_cancer
    for name, entries in reading.statuses.items():
        known = [e for e in entries if e[1] in ("current", "past")]
        chosen = [e for e in known if e[2]] or known
        if not chosen:
            continue
        _add(profile.current_treatments if chosen[-1][1] == "current" else profile.past_treatments, name)
    for name, duration in reading.durations.items():
        if name in profile.current_treatments or name in profile.past_treatments:
            profile.treatment_durations[name] = duration
    if profile.stage == "IV":
        _add(profile.spread, "metastatic")
    if "oligometastatic" in profile.spread and "metastatic" in profile.spread:
        profile.spread.remove("metastatic")
    if "triple-negative" in profile.receptors:
        profile.receptors = [r for r in profile.receptors if r not in ("ER-", "PR-", "HR-", "HER2-")]
    if {"HER2-low", "HER2-ultralow"} & set(profile.receptors) and "HER2-" in profile.receptors:
        profile.receptors.remove("HER2-")
    if not profile.dose_changes:
        profile.dose_change_reasons = []


# --- disease facts ---------------------------------------------------------------------------------------
def _disease(sentence: _Sentence, profile: PatientProfile, reading: _Reading) -> None:
    text = sentence.text
    if any(sentence.affirmed(m.start()) for m in _BREAST_CANCER.finditer(text)):
        reading.breast = True
    for start, cancer in cancer_types().spans(text):
        if cancer.id != "breast" and sentence.affirmed(start):
            reading.other_cancer = cancer.name

    masked = text
    for pattern, values in _RECEPTORS if RECEPTOR_HINT.search(text) else ():
        for match in pattern.finditer(masked):
            if sentence.affirmed(match.start()):
                for value in values:
                    _add(profile.receptors, value)
            masked = masked[: match.start()] + " " * (match.end() - match.start()) + masked[match.end() :]

    for match in _STAGE.finditer(text):
        if sentence.affirmed(match.start()):
            profile.stage = _ROMAN[match.group(1).lower()]
    for match in _GRADE.finditer(text):
        if sentence.affirmed(match.start()):
            profile.grade = _GRADE_VALUES[match.group(1).lower()]
    for value, pattern in _SPREAD:
        for match in pattern.finditer(text):
            worried = _WORRY.search(text[max(0, match.start() - 40) : match.start()])
            if sentence.affirmed(match.start()) and not worried:
                _add(profile.spread, value)


def _histology(sentence: _Sentence, entities: list[EntityMention], profile: PatientProfile) -> None:
    """The tumour type a record or the patient names ("invasive ductal carcinoma", "IDC")."""
    for mention in entities:
        if mention.kind == "condition" and mention.canonical in HISTOLOGY_VALUES and sentence.affirmed(mention.start):
            profile.histology = mention.canonical


def _sites(sentence: _Sentence, profile: PatientProfile) -> None:
    """Sites only where the cancer is: "bone mets", "spread to my liver", "3 nodes positive"."""
    text = sentence.text
    chains: list[list[re.Match[str]]] = []
    for match in SITE.finditer(text):
        if chains and _SITE_JOIN.fullmatch(text[chains[-1][-1].end() : match.start()]):
            chains[-1].append(match)
        else:
            chains.append([match])
    spread_said = any(p.search(text) for v, p in _SPREAD if v in ("metastatic", "oligometastatic"))
    for chain in chains:
        start, end = chain[0].start(), chain[-1].end()
        if not sentence.affirmed(start):
            continue
        clause = text[sentence.clause_start(start) : sentence.clause_end(end)]
        bare = spread_said and re.fullmatch(r"[\W\s]*" + re.escape(text[start:end]) + r"[\W\s]*", clause)
        if not (_SITE_AFTER.match(text, end) or _SITE_BEFORE.search(text[max(0, start - 80) : start]) or bare):
            continue
        for match in chain:
            _add(profile.sites, _SITE_NAMES[int(str(match.lastgroup)[1:])])


# --- side effects and dose changes ------------------------------------------------------------------------
def _side_effects(
    sentence: _Sentence, entities: list[EntityMention], profile: PatientProfile
) -> list[tuple[int, int, str]]:
    """Side effects the patient has (or had); questions, worries and denials add nothing."""
    text = sentence.text
    found: list[tuple[int, int, str]] = []
    for mention in entities:
        if mention.kind == "condition" and mention.canonical in SIDE_EFFECT_NAMES:
            found.append((mention.start, mention.end, SIDE_EFFECT_NAMES[mention.canonical]))
    for match in _LAB_LOW.finditer(text):
        for value, part in _LAB_PARTS:
            if part.search(match.group()):
                found.append((match.start(), match.end(), value))
    for value, pattern in _SIDE_EFFECT_PATTERNS:
        found.extend((m.start(), m.end(), value) for m in pattern.finditer(text))
    effects = []
    for start, end, value in sorted(found):
        if not sentence.affirmed(start) or _WORRY.search(text[max(0, start - 40) : start]):
            continue
        effects.append((start, end, value))
        _add(profile.side_effects, value)
    return effects


def _dose_changes(
    sentence: _Sentence, mentions: list[_Mention], effects: list[tuple[int, int, str]], profile: PatientProfile
) -> None:
    """Reduced / paused / stopped / increased, and the side effects the message links to the change."""
    text = sentence.text
    if not mentions and not _DOSE_OBJECT.search(text):
        return
    changes = []
    for value, pattern in _DOSE_CHANGE:
        for match in pattern.finditer(text):
            if sentence.affirmed(match.start()):
                changes.append((match.start(), match.end(), value))
                _add(profile.dose_changes, value)
    if not changes:
        return
    reasons: set[str] = set()
    for start, end, _value in changes:
        link = _REASON_AFTER.search(text, end)
        if link and not re.search(r"[.;]", text[end : link.start()]):
            stop = _REASON_END.search(text, link.end())
            limit = stop.start() if stop else len(text)
            reasons.update(v for s, _e, v in effects if link.start() <= s < limit)
        for s, e, v in effects:
            if e > start or re.search(r"[.;]", text[e:start]):
                continue
            before = text[max(0, s - 40) : s]
            cause = [
                m for m in _REASON_BEFORE.finditer(before) if re.fullmatch(r"\W*(?:\w+\W+){0,3}", before[m.end() :])
            ]
            if cause:
                reasons.add(v)
        so_links = [m for m in _SO_LINK.finditer(text, 0, start)]
        so_links += [m for m in re.finditer(r"\bso\b", text[:start], re.I) if start - m.end() <= 25]
        for link in so_links:
            previous = [m.end() for m in _SO_LINK.finditer(text, 0, link.start())]
            floor = previous[-1] if previous else 0
            reasons.update(v for s, _e, v in effects if floor <= s < link.start())
    for value in (v for _s, _e, v in effects if v in reasons):
        _add(profile.dose_change_reasons, value)


# --- treatments ---------------------------------------------------------------------------------------
def _treatment_mentions(sentence: _Sentence, entities: list[EntityMention], reading: _Reading) -> list[_Mention]:
    """Treatments named in the sentence, plus "it" after "on/stopped/held" resolved to the last one named."""
    found = []
    for mention in entities:
        if mention.kind == "drug" and mention.canonical not in NOT_TREATMENTS:
            found.append(_Mention(mention.canonical, mention.start, mention.end))
        elif mention.kind == "treatment" and mention.canonical in TREATMENT_NAMES:
            found.append(_Mention(TREATMENT_NAMES[mention.canonical], mention.start, mention.end))
    found.extend(_Mention(None, m.start(1), m.end(1)) for m in _PRONOUN.finditer(sentence.text))
    mentions = []
    for mention in sorted(found, key=lambda m: m.start):
        if mention.name is None:
            mention.name = reading.last_treatment
            if mention.name is None:
                continue
        reading.last_treatment = mention.name
        mentions.append(mention)
    return mentions


def _treatments(sentence: _Sentence, mentions: list[_Mention], reading: _Reading, offset: int) -> None:
    """Current / past / planned for each group of treatments, and its duration."""
    text = sentence.text
    groups: list[_Group] = []
    for mention in mentions:
        joiner = text[groups[-1].end : mention.start] if groups else ""
        own_verb = joiner.strip() == "," and _right_cue(text[mention.end : sentence.clause_end(mention.end)])
        if groups and _GROUP_JOIN.fullmatch(joiner) and not own_verb:
            groups[-1].members.append(mention)
        else:
            groups.append(_Group([mention]))
    previous: _Group | None = None
    for group in groups:
        left = text[sentence.clause_start(group.start, previous.end if previous else 0) : group.start]
        right = text[group.end : sentence.clause_end(group.end)]
        group.status, group.explicit = _status(sentence, group, left, right, previous)
        for member in group.members:
            status = group.status
            if status == "default":
                status = "past" if member.name == "surgery" else "current"
            reading.statuses.setdefault(str(member.name), []).append((offset + member.start, status, group.explicit))
        if group.status in ("current", "past", "default"):
            _group_duration(group, left, text, reading)
        previous = group
    _clause_followups(sentence, groups, reading, offset)


def _status(sentence: _Sentence, group: _Group, left: str, right: str, previous: _Group | None) -> tuple[str, bool]:
    text = sentence.text
    if not sentence.about_me(group.start) or _TOPICAL.search(left):
        return "skip", False
    if _ANYMORE.search(text[group.end :]):
        return "past", True
    if sentence.negated(group.start):
        return "negated", True
    if group.start >= sentence.question_at and not _QUESTION_TREATMENT_OK.search(left):
        return "skip", False
    hoped = _HOPE.search(text[max(0, group.start - 60) : group.start])
    if (_ADJ_PAST.search(left) or _ADJ_PLANNED.search(left)) and hoped:
        return "planned", True
    if _ADJ_PAST.search(left):
        return "past", True
    if _ADJ_PLANNED.search(left) and not any(m.lastgroup == "past" for m in _STATUS_CUE.finditer(text)):
        return "planned", True
    cues = list(_STATUS_CUE.finditer(left))
    if cues:
        kind = str(cues[-1].lastgroup)
        if kind == "current_ord" or (
            kind == "past" and re.search(r"\bso\s+far\b", text[group.end : group.end + 25], re.I)
        ):
            return "current", True
        starting = _STARTING.fullmatch(cues[-1].group())
        if kind == "current" and (_FUTURE_TIME.search(right) or (starting and _FUTURE_TIME.search(left))):
            return "planned", True
        return kind, True
    if _right_cue(right):
        return _right_cue(right), True
    if previous and previous.explicit and previous.status in ("current", "past") and _CONTINUATION.match(left):
        return previous.status, True
    if _WEAK_PAST.search(text):
        return "past", False
    return "default", False


def _right_cue(right: str) -> str:
    """A status said after the treatment: "radiation starts Monday", "chemo done"."""
    if _RIGHT_PLANNED.search(right) or _FUTURE_TIME.search(right):
        return "planned"
    return "past" if _RIGHT_PAST.search(right) else ""


def _group_duration(group: _Group, left: str, text: str, reading: _Reading) -> None:
    after = None if _PAUSE_WORD.search(left) else _DUR_AFTER.match(text[group.end :])
    if after and (not after.group("ago") or _START_WORD.search(left)):
        duration = _duration(after.group(1), after.group(2))
        for member in group.members:
            reading.durations[str(member.name)] = duration
        return
    before = _DUR_BEFORE.search(left)
    if before:
        reading.durations[str(group.members[0].name)] = _duration(before.group(1), before.group(2))


def _clause_followups(sentence: _Sentence, groups: list[_Group], reading: _Reading, offset: int) -> None:
    """Clauses without a treatment that continue the previous one: ", finished last month", ", 9 months in"."""
    text = sentence.text
    cuts = sorted({0, *sentence.boundaries, len(text)})
    for start, end in itertools.pairwise(cuts):
        if any(start <= g.start < end for g in groups) or not sentence.affirmed(start):
            continue
        before = [g for g in groups if g.end <= start and g.status in ("current", "past", "default")]
        if not before:
            continue
        segment = text[start:end]
        if _ELLIPTIC_PAST.match(segment):
            for member in before[-1].members:
                reading.statuses.setdefault(str(member.name), []).append((offset + start, "past", True))
        duration = _DUR_CLAUSE.match(segment)
        if duration and all(str(m.name) not in reading.durations for m in before[-1].members):
            for member in before[-1].members:
                reading.durations[str(member.name)] = _duration(duration.group(1), duration.group(2))


# --- menopause, goals, sex ---------------------------------------------------------------------------------
def _personal(sentence: _Sentence, profile: PatientProfile) -> None:
    text = sentence.text
    for value, pattern in _MENOPAUSE if MENOPAUSE_HINT.search(text) else ():
        if any(sentence.affirmed(m.start()) for m in pattern.finditer(text)):
            profile.menopausal_status = value
    wants = bool(_DESIRE.search(text)) and not re.search(r"\bin\s+general\b", text, re.I)
    for value, pattern in _GOALS if GOAL_HINT.search(text) else ():
        for match in pattern.finditer(text):
            if not sentence.about_me(match.start()) or sentence.negated(match.start()):
                continue
            if value in _GOALS_NEED_DESIRE and not wants:
                continue
            _add(profile.goals, value)
    male = _MALE.search(text)
    if male and sentence.affirmed(male.start()):
        profile.sex = "male"


def profile_facts(profile: PatientProfile) -> list[tuple[str, str, str]]:
    """Each stored fact as (field, value, plain label), for showing and removing one at a time."""
    labels = {"receptors": "", "spread": "", "sites": "spread to ", "current_treatments": "taking ",
              "past_treatments": "had ", "dose_changes": "dose ", "dose_change_reasons": "dose change because of ",
              "side_effects": "side effect: ", "goals": "interested in "}  # fmt: skip
    facts: list[tuple[str, str, str]] = []
    for name in SINGLE_FIELDS:
        value = getattr(profile, name)
        if value:
            facts.append((name, value, f"{name} {value}" if name in ("stage", "grade") else value))
    for name in LIST_FIELDS:
        for value in getattr(profile, name):
            duration = profile.treatment_durations.get(value) if name == "current_treatments" else None
            label = f"{labels.get(name, '')}{value}" + (f" (for {duration})" if duration else "")
            facts.append((name, value, label))
    return facts


def without_fact(profile: PatientProfile, field_name: str, value: str) -> PatientProfile:
    """A copy of the profile with one fact removed (the patient corrected it)."""
    data = profile.to_dict()
    current = data.get(field_name)
    if isinstance(current, list):
        data[field_name] = [v for v in current if v != value]
    elif current == value:
        data.pop(field_name)
    if field_name in ("current_treatments", "past_treatments"):
        data.get("treatment_durations", {}).pop(value, None)
    return PatientProfile.from_dict(data)


# --- the schema, shared by the deterministic extractor and the optional LLM extractor -----------------------
RECEPTOR_VALUES = (
    "ER+",
    "ER-",
    "PR+",
    "PR-",
    "HR+",
    "HR-",
    "HER2+",
    "HER2-",
    "HER2-low",
    "HER2-ultralow",
    "triple-negative",
)
STAGE_VALUES = ("0", "I", "II", "III", "IV")
GRADE_VALUES = ("1", "2", "3")
SPREAD_VALUES = tuple(value for value, _ in _SPREAD)
SITE_VALUES = tuple(_SITE_NAMES)
DOSE_CHANGE_VALUES = tuple(value for value, _ in _DOSE_CHANGE)
SIDE_EFFECT_VALUES = tuple(
    dict.fromkeys([*SIDE_EFFECT_NAMES.values(), *_LAB, *(value for value, _ in _SIDE_EFFECT_PATTERNS)])
)
MENOPAUSE_VALUES = tuple(value for value, _ in _MENOPAUSE)
GOAL_VALUES = tuple(value for value, _ in _GOALS)
DURATION_PATTERN = r"^[1-9]\d{0,2} (?:day|week|month|year)s?$"


def named_treatments(text: str, vocabulary: Vocabulary) -> set[str]:
    """Canonical treatment names the text itself names (drugs and treatment types)."""
    names = set()
    for mention in vocabulary.find_entities(_normalise(text)):
        if mention.kind == "drug" and mention.canonical not in NOT_TREATMENTS:
            names.add(mention.canonical)
        elif mention.kind == "treatment" and mention.canonical in TREATMENT_NAMES:
            names.add(TREATMENT_NAMES[mention.canonical])
    return names
