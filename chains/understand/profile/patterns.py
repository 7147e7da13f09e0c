"""The facts' own patterns: treatment and side-effect names, receptors, grade, histology, stage, spread, sites,
dose changes and their reasons, blood counts, side effects, menopause, goals; and the values each field takes,
shared with the optional LLM extractor."""

from __future__ import annotations

import re
from pathlib import Path

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


# --- disease ------------------------------------------------------------------------------------------
_POS = r"[\s-]*(?:\+|pos\b|positive|pos\.)"
_NEG = r"(?:[\s-]*(?:neg\b|negative)|\s*-(?![a-z0-9]))"
_ER = r"\b(?:er|estrogen[\s-]+receptor|oestrogen[\s-]+receptor|estrogen|oestrogen)"
_PR_WORD = r"(?:pr|pgr|progesterone[\s-]+receptor|progesterone)"
_PR = rf"\b{_PR_WORD}"
_HER2 = r"\bher[\s-]?2(?:/neu)?"
RECEPTORS = [
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
BREAST_CANCER = re.compile(
    r"\b(?:breast\s+(?:cancer|ca|carcinoma)|mbc|tnbc|ibc|b/?c(?!\s+(?:i|i'm|im|my|it|its|it's|of|the|they|he|she|we|"
    r"you|that|this|there|when|if|idk)\b))\b",
    re.I,
)
# A tumour's grade as a pathology report or a patient writes it: "grade 2", "Grade II", "Nottingham grade 3".
GRADE = re.compile(r"\bgrade\s*[:=]?\s*(iii|ii|i|[1-3]|one|two|three)\b(?!\s*(?:/|out of|of)\s*\d)", re.I)
GRADE_WORDS = {"i": "1", "ii": "2", "iii": "3", "one": "1", "two": "2", "three": "3", "1": "1", "2": "2", "3": "3"}
HISTOLOGY_VALUES = tuple(
    line.strip()
    for line in Path(__file__).with_name("histology.txt").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
)
STAGE = re.compile(r"\b(?:stage|stg|st)\.?\s*(0|iv|iii|ii|i|[0-4]|zero|one|two|three|four)(?:[abc])?\b", re.I)
ROMAN = {"0": "0", "1": "I", "2": "II", "3": "III", "4": "IV", "i": "I", "ii": "II", "iii": "III", "iv": "IV",
          "zero": "0", "one": "I", "two": "II", "three": "III", "four": "IV"}  # fmt: skip
SPREAD = [
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
SITE_NAMES = list(_SITE_WORDS)
SITE_JOIN = re.compile(r"^(?:\s*(?:,|and|or|&|\+|/|\(|\)|the|my|both)\s*)+$", re.I)
SITE_AFTER = re.compile(
    r"[\s-]*(?:(?:mets?|metastas[ie]s|metastatic|lesions?|spots?|tumou?rs?|involvement|deposits?|disease)\b|"
    r"(?:nodes?\s+)?(?:positive|involved)\b)",
    re.I,
)
SITE_BEFORE = re.compile(
    r"\b(?:mets?|metastas[ie]s|metastasi[sz]ed|metastatic|spread|spreading|recurred|recurrence|recurrent|came\s+back|"
    r"come\s+back|returned|cancer|found|spots?|lesions?|disease|oligomet\w*|tumou?rs?|it'?s|it\s+is)\s+"
    r"(?:\w+\s+){0,2}?(?:to|in|into|within|at|as)\s+(?:(?:the|my|both|several|a\s+few|few|many|some|multiple|\d+|"
    r"one|two|three|four|five|six|seven|eight|nine|ten|a|an|her|his)\s+)*$",
    re.I,
)

# --- dose changes, side effects, other facts ------------------------------------------------------------
DOSE_CHANGE = [
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
DOSE_OBJECT = re.compile(
    r"\b(?:dose|dosage|infusion|cycle|treatment|meds|medication|pills?|tablets?|therapy|it)\b", re.I
)
REASON_AFTER = re.compile(
    r"\b(?:because(?:\s+of)?|due\s+to|for|from|after|as|since|b/c|caused\s+by|thanks\s+to|owing\s+to)\b", re.I
)
REASON_BEFORE = re.compile(r"\b(?:because(?:\s+of)?|due\s+to|owing\s+to|thanks\s+to|after)\b", re.I)
REASON_END = re.compile(r"[,;.]|\b(?:but|so|then|and\s+(?:then|i|my|now|also))\b", re.I)
SO_LINK = re.compile(
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
LAB_LOW = re.compile(
    rf"\b(?:{_LAB_WORD})\b(?:\s*(?:,|and|&)\s*(?:my\s+|the\s+)?(?:{_LAB_WORD})\b)*(?:\s+(?:counts?|levels?))?"
    r"(?:\s+(?:is|are|was|were|got|went|have|has|been|dropped|fell|came\s+back|running|both|all|really|very|super|"
    r"quite|too|a\s+bit|pretty|so|still|kept|keep|keeps|keeping))*\s+(?:low|down|dropped|dropping|tanked|tanking|"
    r"falling|fell)\b(?:\s*\([^)]*\))?",
    re.I,
)
LAB_PARTS = [(value, re.compile(rf"\b(?:{words})\b", re.I)) for value, words in _LAB.items()]
SIDE_EFFECT_PATTERNS = [
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
MENOPAUSE = [
    ("perimenopausal", re.compile(r"\bperi[\s-]?meno\w*", re.I)),
    ("premenopausal", re.compile(r"\bpre[\s-]?meno\w*|\bstill\s+(?:have|get)\s+(?:my\s+)?periods\b|\bbefore\s+menopause\b", re.I)),
    ("postmenopausal", re.compile(
        r"\bpost[\s-]?meno\w*|\b(?:after|through|past|went\s+through|gone\s+through|in)\s+(?:the\s+)?menopause\b", re.I)),
]  # fmt: skip
DESIRE = re.compile(
    r"\b(?:i|i'm|im|i'd|my|me|want|wanting|wanna|interested|looking|like|love|hoping|hope|join|enrol\w*|enroll\w*|"
    r"try|eligible|qualify|consider\w*|thinking|open\s+to|find)\b",
    re.I,
)
GOALS = [
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
GOALS_NEED_DESIRE = {"clinical trials", "integrative options"}
MALE = re.compile(
    r"\b(?:i'?m|i\s+am|im|as)\s+an?\s+(?:\d+[\s-]?(?:yo|y/o|year[\s-]old)\s+)?(?:man|male|guy|dude)\b|"
    r"^\W*(?:male|man|guy)\s*[,/]?\s*\d{2}\b|^\W*\d{2}\s*(?:yo\s*|y/o\s*)?(?:male|m)\b|"
    r"\b(?:i\s+have|i've\s+got|diagnosed\s+with|my)\s+male\s+breast\s+cancer\b",
    re.I,
)


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
SPREAD_VALUES = tuple(value for value, _ in SPREAD)
SITE_VALUES = tuple(SITE_NAMES)
DOSE_CHANGE_VALUES = tuple(value for value, _ in DOSE_CHANGE)
SIDE_EFFECT_VALUES = tuple(
    dict.fromkeys([*SIDE_EFFECT_NAMES.values(), *_LAB, *(value for value, _ in SIDE_EFFECT_PATTERNS)])
)
MENOPAUSE_VALUES = tuple(value for value, _ in MENOPAUSE)
GOAL_VALUES = tuple(value for value, _ in GOALS)
DURATION_PATTERN = r"^[1-9]\d{0,2} (?:day|week|month|year)s?$"
