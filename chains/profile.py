"""Patient profile: facts a patient states about themselves, extracted deterministically.

Only first-person statements count ("I'm on letrozole", "ER+ oligomet, 14 months on kisqali");
questions about a drug, negations ("no mets") and other people's facts ("my mum had ovarian
cancer") add nothing. The profile is merged turn by turn and can be corrected or cleared.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from chains.vocabulary import Vocabulary

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
NOT_TREATMENTS = {"grapefruit", "st john's wort", "turmeric", "vitamin d", "aspirin", "metformin", "ivermectin", "mebendazole"}

_OTHER_PERSON = re.compile(
    r"\b(my|our|her|his)\s+(mom|mum|mother|dad|father|sister|brother|aunt|uncle|wife|husband|partner|"
    r"friend|daughter|son|grandma|grandmother|cousin|neighbou?r|colleague)\b|\b(she|he)\s+(is|was|has|had)\b",
    re.IGNORECASE,
)
_FIRST_PERSON = re.compile(r"\b(i|i'm|im|i've|ive|i'd|my|me|mine|myself)\b", re.IGNORECASE)
_QUESTION_START = re.compile(
    r"^\s*(what|how|why|when|where|which|who|can|could|does|do|is|are|should|will|would|tell|explain|any)\b",
    re.IGNORECASE,
)
_NEGATION = re.compile(r"\b(no|not|never|without|n't|dont|don't|didnt|didn't|isnt|havent|haven't|wasn't|arent)\b[^.,;]{0,25}$", re.IGNORECASE)
_PAST = re.compile(
    r"\b(had|finished|completed|done with|was on|were on|used to|previously|before|in 20\d\d|last year|"
    r"years ago|months ago|stopped|came off|took|did)\b",
    re.IGNORECASE,
)
_CURRENT = re.compile(r"\b(now|currently|current|on|taking|take|takes|started|starting|been on|been taking|getting|receiving|having)\b", re.IGNORECASE)
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "eighteen": 18}  # fmt: skip
_DURATION = re.compile(
    r"\b(\d+(?=\s*[a-z])|(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|eighteen)(?=\s))\s*"
    r"(days?|weeks?|wks?|months?|mos?|mths?|years?|yrs?)\b",
    re.IGNORECASE,
)
_UNIT = {"d": "day", "wk": "week", "mo": "month", "mth": "month", "yr": "year", "y": "year"}
_RECEPTORS = [
    (re.compile(r"\btriple[\s-]*neg(ative)?\b|\btnbc\b", re.I), ["triple-negative"]),
    (re.compile(r"\bher[\s-]?2[\s-]*ultra[\s-]*low\b", re.I), ["HER2-ultralow"]),
    (re.compile(r"\bher[\s-]?2[\s-]*low\b", re.I), ["HER2-low"]),
    (re.compile(r"\bher[\s-]?2\s*(\+|pos\b|positive|3\+)", re.I), ["HER2+"]),
    (re.compile(r"\bher[\s-]?2\s*(-(?!\s*low|\s*ultra)|neg\b|negative|0\b)", re.I), ["HER2-"]),
    (re.compile(r"\b(er|estrogen receptor|oestrogen receptor)\s*/\s*pr\s*(\+|pos\b|positive)", re.I), ["ER+", "PR+"]),
    (re.compile(r"\b(er|estrogen receptor|oestrogen receptor)\s*/\s*pr\s*(-|neg\b|negative)", re.I), ["ER-", "PR-"]),
    (re.compile(r"\ber\s+and\s+pr\s*(\+|pos\b|positive)", re.I), ["ER+", "PR+"]),
    (re.compile(r"\b(er|estrogen[\s-]receptor|oestrogen[\s-]receptor|estrogen)\s*(\+|pos\b|positive)", re.I), ["ER+"]),
    (re.compile(r"\b(er|estrogen[\s-]receptor|oestrogen[\s-]receptor)\s*(-|neg\b|negative)", re.I), ["ER-"]),
    (re.compile(r"\b(pr|progesterone[\s-]receptor|progesterone)\s*(\+|pos\b|positive)", re.I), ["PR+"]),
    (re.compile(r"\b(pr|progesterone[\s-]receptor)\s*(-|neg\b|negative)", re.I), ["PR-"]),
    (re.compile(r"\b(hr\s*\+|hr[\s-]pos(itive)?|hormone[\s-](receptor[\s-])?pos(itive)?|hormone\s+sensitive)", re.I), ["HR+"]),
    (re.compile(r"\b(hr\s*-(?!\w)|hormone[\s-](receptor[\s-])?neg(ative)?)", re.I), ["HR-"]),
]
_STAGE = re.compile(r"\b(?:stage|stg|st\.?)\s*(0|iv|iii|ii|i|[1-4])(?:[abc])?\b", re.I)
_ROMAN = {"0": "0", "1": "I", "2": "II", "3": "III", "4": "IV", "i": "I", "ii": "II", "iii": "III", "iv": "IV"}
_SPREAD = [
    ("oligometastatic", re.compile(r"\boligo[\s-]?met\w*", re.I)),
    ("locally advanced", re.compile(r"\blocally[\s-]advanced\b", re.I)),
    ("metastatic", re.compile(r"\b(metastatic|metastasi[sz]ed|metastases|mets|mbc|stage\s*(4|iv)\b|secondary breast cancer|spread to|has spread|spread into)", re.I)),
    ("early", re.compile(r"\bearly[\s-](stage|breast)\b", re.I)),
    ("recurrent", re.compile(r"\b(recurrent|recurrence|came back|has returned|relapsed?)\b", re.I)),
]
_SITES = {
    "bone": r"bones?|spine|hip|ribs?|skeletal|osseous",
    "liver": r"liver|hepatic",
    "lung": r"lungs?|pulmonary|pleura\w*",
    "brain": r"brain",
    "lymph nodes": r"(lymph\s+)?nodes?|nodal",
    "skin": r"skin",
    "chest wall": r"chest\s+wall",
}
_SITE_CONTEXT = re.compile(r"\b(mets?|metastas[ie]s|spread|lesions?|disease|involvement|positive)\b", re.I)
_DOSE_CHANGE = [
    ("reduced", re.compile(r"\b(dose|doses|dosage)\b[^.;]{0,30}\b(reduc\w*|lower\w*|decreas\w*|cut|dropped|down)\b|\b(reduc\w*|lower\w*|decreas\w*|cut|dropped)\b[^.;]{0,20}\b(dose|dosage)\b|\bdose reduction\b", re.I)),
    ("paused", re.compile(r"\b(on hold|paused?|held|holding|break from|interrupt\w*|skip(ped)? a cycle)\b", re.I)),
    ("increased", re.compile(r"\b(dose|dosage)\b[^.;]{0,30}\b(increas\w*|raised|went up)\b|\bincreas\w* (my |the )?dose\b", re.I)),
]
_MENOPAUSE = [
    ("perimenopausal", re.compile(r"\bperi[\s-]?menopaus\w*", re.I)),
    ("premenopausal", re.compile(r"\bpre[\s-]?menopaus\w*|\bstill (have|get) (my )?periods\b|\bbefore menopause\b", re.I)),
    ("postmenopausal", re.compile(r"\bpost[\s-]?menopaus\w*|\b(after|through|past|went through) (the )?menopause\b", re.I)),
]
_GOALS = [
    ("integrative options", re.compile(r"\b(integrative|complementary|holistic|natural (options|approaches|remedies|treatments))\b", re.I)),
    ("clinical trials", re.compile(r"\b(interested in|looking (for|into)|want(ing)? to (join|find|try)|join|find|enrol\w*|enroll\w*|consider\w*)\b[^.?]{0,30}\b(clinical )?trials?\b", re.I)),
    ("fertility", re.compile(r"\b(have (a )?(baby|babies|kids|children)|get pregnant|fertility|freeze (my )?eggs)\b", re.I)),
    ("second opinion", re.compile(r"\bsecond opinion\b", re.I)),
    ("keep working", re.compile(r"\b(keep|continue|stay|back to) (working|at work|my job)\b", re.I)),
    ("remission", re.compile(r"\b(remission|push\w* (it|cancer|the cancer) back|stop (the )?progression|beat (it|this|cancer))\b", re.I)),
    ("lifestyle", re.compile(r"\b(interested in|want to|looking for|make|making)\b[^.?]{0,20}\blifestyle\b", re.I)),
]
_MALE = re.compile(r"\b(i'?m|i am|as) an? (\d+[\s-]?(yo|year[\s-]old)\s+)?(man|male|guy)\b|\bmale breast cancer\b.*\b(i|my)\b|\b(i|my)\b.*\bmale breast cancer\b", re.I)


@dataclass
class PatientProfile:
    """What the patient has told OncoGuide about themselves (canonical values, see tests/data)."""

    cancer_type: str | None = None
    receptors: list[str] = field(default_factory=list)
    stage: str | None = None
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
        for name in ("cancer_type", "stage", "menopausal_status", "sex"):
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
            facts.append(f"{disease} {self.cancer_type or 'breast cancer'}".strip())
        if self.sites:
            facts.append("spread to the " + " and ".join(self.sites))
        if self.current_treatments:
            treatments = []
            for drug in self.current_treatments:
                duration = self.treatment_durations.get(drug)
                treatments.append(f"{drug} (for {duration})" if duration else drug)
            facts.append("your current treatment with " + " and ".join(treatments))
        if self.dose_changes:
            reason = f" because of {', '.join(self.dose_change_reasons)}" if self.dose_change_reasons else ""
            facts.append(f"a dose that was {' and '.join(self.dose_changes)}{reason}")
        if self.side_effects and not self.dose_changes:
            facts.append("side effects you mentioned (" + ", ".join(self.side_effects) + ")")
        if self.menopausal_status:
            facts.append(f"being {self.menopausal_status}")
        return facts

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


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?;\n])\s+|\s+-\s+", text) if s.strip()]


def _is_about_me(sentence: str) -> bool:
    if _OTHER_PERSON.search(sentence) and not re.search(r"\b(i|i'm|im|i've)\b", sentence, re.I):
        return False
    if _FIRST_PERSON.search(sentence):
        return True
    # Telegraphic statements ("ER+ oligomet breast cancer.") are about the writer; questions are not.
    return not sentence.rstrip().endswith("?") and not _QUESTION_START.match(sentence)


def _negated(sentence: str, start: int) -> bool:
    return bool(_NEGATION.search(sentence[max(0, start - 30) : start]))


def _duration_after(sentence: str, end: int) -> str | None:
    window = sentence[end : end + 30]
    match = re.match(r"\s*(?:for|x|since|about|almost|over|now)?\s*(?:the\s+(?:past|last)\s+)?", window, re.I)
    tail = window[match.end() if match else 0 :]
    found = _DURATION.match(tail)
    before = _DURATION.search(sentence[max(0, end - 60) : end])
    if not found and before and re.search(r"\b(been|for)\b", sentence[max(0, end - 60) : end], re.I):
        found = before
    if not found:
        return None
    amount_text, unit = found.group(1).lower(), found.group(2).lower()
    amount = int(amount_text) if amount_text.isdigit() else _NUMBER_WORDS[amount_text]
    unit = _UNIT.get(unit.rstrip("s"), unit.rstrip("s"))
    unit = {"mo": "month", "yr": "year", "wk": "week"}.get(unit, unit)
    return f"{amount} {unit}" + ("" if amount == 1 else "s")


def extract_profile(message: str, vocabulary: Vocabulary) -> PatientProfile:
    """Facts the patient states about themselves in one message."""
    profile = PatientProfile()
    for sentence in _sentences(message):
        if not _is_about_me(sentence):
            continue
        _extract_sentence(sentence, vocabulary, profile)
    if _MALE.search(message):
        profile.sex = "male"
    if "oligometastatic" in profile.spread and "metastatic" in profile.spread:
        profile.spread.remove("metastatic")
    return profile


def _add(values: list[str], value: str) -> None:
    if value not in values:
        values.append(value)


def _extract_sentence(sentence: str, vocabulary: Vocabulary, profile: PatientProfile) -> None:
    lowered = sentence.lower()
    if re.search(r"\b(breast cancer|bc|mbc|tnbc|breast ca)\b", lowered) or re.search(
        r"\b(er|her2|hr)\s*[+-]|\boligomet", lowered
    ):
        profile.cancer_type = profile.cancer_type or "breast cancer"
    other = re.search(r"\b(i have|i've got|i was diagnosed with|diagnosed with|my)\s+(\w+ )?(ovarian|lung|colon|prostate|pancreatic|skin|thyroid|cervical|uterine|bladder|kidney|stomach|liver) cancer\b", lowered)
    if other and "breast" not in lowered:
        profile.cancer_type = f"{other.group(3)} cancer"

    for pattern, values in _RECEPTORS:
        for match in pattern.finditer(sentence):
            if _negated(sentence, match.start()) and not values[0].endswith("-"):
                continue
            if "HER2-" in values and any(v in profile.receptors for v in ("HER2-low", "HER2-ultralow")):
                continue
            for value in values:
                _add(profile.receptors, value)
            sentence = sentence[: match.start()] + " " * (match.end() - match.start()) + sentence[match.end() :]
    if "triple-negative" in profile.receptors:
        profile.receptors = [r for r in profile.receptors if r in ("triple-negative",)]

    stage = _STAGE.search(sentence)
    if stage:
        profile.stage = _ROMAN[stage.group(1).lower()]
    for value, pattern in _SPREAD:
        match = pattern.search(sentence)
        if match and not _negated(sentence, match.start()):
            _add(profile.spread, value)
    for site, words in _SITES.items():
        pattern = re.compile(rf"\b({words})\b", re.I)
        for match in pattern.finditer(sentence):
            window = sentence[max(0, match.start() - 40) : match.end() + 25]
            if site == "lymph nodes" and not re.search(r"lymph|nodes? (positive|involved)|positive nodes?|spread", window, re.I):
                continue
            if _SITE_CONTEXT.search(window) and not _negated(sentence, match.start()):
                _add(profile.sites, site)

    dose_change_found = False
    for value, pattern in _DOSE_CHANGE:
        if pattern.search(sentence):
            _add(profile.dose_changes, value)
            dose_change_found = True

    for mention in vocabulary.find_entities(sentence):
        if _negated(sentence, mention.start):
            continue
        if mention.kind == "condition" and mention.canonical in SIDE_EFFECT_NAMES:
            effect = SIDE_EFFECT_NAMES[mention.canonical]
            _add(profile.side_effects, effect)
            if dose_change_found and re.search(r"\b(because|due to|from|caused by|for|as|since)\b", sentence[: mention.start], re.I):
                _add(profile.dose_change_reasons, effect)
            continue
        if mention.kind == "drug" and mention.canonical not in NOT_TREATMENTS:
            name = mention.canonical
        elif mention.kind == "treatment" and mention.canonical in TREATMENT_NAMES:
            name = TREATMENT_NAMES[mention.canonical]
        else:
            continue
        clause_start = max(sentence.rfind(",", 0, mention.start), sentence.rfind(" and ", 0, mention.start), sentence.rfind(" but ", 0, mention.start), 0)
        clause_end_candidates = [i for i in (sentence.find(",", mention.end), sentence.find(" now ", mention.end), sentence.find(" but ", mention.end)) if i != -1]
        clause = sentence[clause_start : min(clause_end_candidates) if clause_end_candidates else len(sentence)]
        before = sentence[clause_start : mention.start]
        is_past = bool(_PAST.search(clause)) and not re.search(r"\b(now|currently|still)\b", before, re.I)
        if is_past:
            _add(profile.past_treatments, name)
        elif _CURRENT.search(clause) or _FIRST_PERSON.search(sentence) or not _QUESTION_START.match(sentence):
            _add(profile.current_treatments, name)
            duration = _duration_after(sentence, mention.end)
            if duration:
                profile.treatment_durations[name] = duration
    profile.current_treatments = [t for t in profile.current_treatments if t not in profile.past_treatments]

    for value, pattern in _MENOPAUSE:
        if pattern.search(sentence):
            profile.menopausal_status = value
            break
    for value, pattern in _GOALS:
        if pattern.search(sentence):
            _add(profile.goals, value)
