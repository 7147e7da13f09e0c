"""The cues a sentence is read by: who speaks ("I", "my sister"), questions and worry, where clauses and
treatment groups break, a treatment's status (current, past, planned) and its duration."""

from __future__ import annotations

import re

# --- who, whether asked, whether denied ------------------------------------------------------------
_PERSON_NOUNS = (
    r"mom|mum|mother|mommy|mummy|mama|dad|father|daddy|papa|sister|sis|brother|aunt|auntie|aunty|uncle|wife|"
    r"husband|hubby|partner|friend|bff|daughter|son|grandma|grandmother|granny|nan|nana|grandpa|grandfather|"
    r"cousin|neighbou?r|colleague|coworker|co-worker|boss|niece|nephew|fianc[eé]e?|girlfriend|boyfriend|"
    r"mother-in-law|sister-in-law|relative|patient|client"
)
SPEAKER = re.compile(
    rf"(?P<other>\b(?:my|our|her|his|their)\s+(?:(?:best|close|older|younger|little|big|elder|twin|late|dear|"
    rf"good|step|ex|old)[\s-]+)?(?:{_PERSON_NOUNS})s?\b|\b(?:she|he)(?:'s|'d|'ll)?\b|\bher\b(?![\s-]*2))"
    r"|(?P<me>\b(?:i|i'm|im|i've|ive|i'd|i'll|me|my|mine|myself)\b)",
    re.I,
)
ME_WORD = re.compile(r"\b(?:i|i'm|im|i've|ive|i'd|my|me|myself)\b", re.I)
CLAUSE_PUNCT = re.compile(r"(?:^|[,;:(]|\s[-–]\s)\s*")
QUESTION_ONSET = re.compile(
    r"(?:(?:so|and|but|then|ok|okay|well)\s+)?(?:what|what's|whats|how|why|which|who|whom|where|when|can|could|does|do|did|is|isn't|are|aren't|should|"
    r"will|would|am|was|were|has|have|any|anyone|anything|tell me|explain|wondering|wonder|curious)\b",
    re.I,
)
STRONG_ONSET = re.compile(
    r"(?:what|what's|whats|how|why|which|who|can you|could you|can i|could i|can it|does|do you|do i|"
    r"is it|is there|is that|is this|are there|should i|will i|would|explain|tell me)\b",
    re.I,
)
WORRY = re.compile(
    r"\b(?:worried|worry|worries|worrying|afraid|scared|concerned|nervous|fear|fears|risk|chance|chances|"
    r"prevent|preventing|avoid|avoiding|cause|causes|about\s+getting)\b(?:\s+\S+){0,3}\s*$",
    re.I,
)

# --- treatments ---------------------------------------------------------------------------------------
BOUNDARY = re.compile(
    r"[,;:()!?]|\s[-–]\s|\b(?:and|but|so|then|now|because|when|until|while|after|before|since|which|although|though|"
    r"whereas|also|plus)\b",
    re.I,
)
GROUP_JOIN = re.compile(
    r"(?:\s*(?:,|and|&|\+|/|w/?|with|plus|or|alongside|\d+\s*mg\b|\(|\)|weekly|daily)\s*)*",
    re.I,
)
STATUS_CUE = re.compile(
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
STARTING = re.compile(r"\b(?:start|starts|starting|started|began|begun|begin|getting|get)\b", re.I)
FUTURE_TIME = re.compile(
    r"\b(?:next|tomorrow|soon|later\s+this|this\s+coming|upcoming|in\s+(?:a|an|one|two|three|four|few|couple|"
    r"\d+)\b[^,.;]{0,12}\b(?:days?|weeks?|months?)|(?:on\s+)?(?:mon|tues|wednes|thurs|fri|satur|sun)day)\b",
    re.I,
)
ADJ_PAST = re.compile(
    r"\b(?:after|since|post|following)\s+(?:(?:my|the|a|an|finishing|completing|stopping|(?:\d+|a|an|one|two|"
    r"three|four|five|six|several)\s+(?:rounds?|cycles?|sessions?|years?|months?|weeks?|yrs?|wks?)\s+of)\s+)*$",
    re.I,
)
HOPE = re.compile(
    r"\b(?:hop(?:e|es|ing)|wants?|wanting|would\s+like|'d\s+like|plan(?:s|ning)?|going|will|gonna)\s+to\b", re.I
)
ADJ_PLANNED = re.compile(r"\bbefore\s+(?:(?:my|the|starting|having|any)\s+)*$", re.I)
TOPICAL = re.compile(
    r"\b(?:(?:project|paper|article|essay|report|research|researching|reading|info|information|question|"
    r"questions|video|podcast|book|studies|data)\s+(?:on|about|of|for)|about|regarding|like)\s+(?:the\s+)?$",
    re.I,
)
RIGHT_PAST = re.compile(
    r"^\W*(?:\w+\W+){0,2}?(?:finished|done|completed?|ended|over|stopped|was\s+given|were\s+given|"
    r"given)\b",
    re.I,
)
RIGHT_PLANNED = re.compile(
    r"^\W*(?:\w+\W+){0,2}?(?:starts|will|begins|is\s+planned|planned|scheduled|next|to\s+start|coming\s+up)\b", re.I
)
ANYMORE = re.compile(r"^[^,.;]{0,25}\b(?:anymore|any\s+more|any\s+longer)\b", re.I)
CONTINUATION = re.compile(r"^\s*(?:,|\+|&|\(|(?:and|then|plus|also)\b)", re.I)
PAUSE_WORD = re.compile(r"\b(?:break|hold|held|paused?|off)\b", re.I)
START_WORD = re.compile(r"\b(?:start|starts|starting|started|began|begun|begin)\b", re.I)
WEAK_PAST = re.compile(
    r"\b(?:in|back\s+in)\s+(?:19|20)\d\d\b|\blast\s+(?:year|month|spring|summer|fall|autumn|winter)\b|"
    r"\b(?:years?|months?)\s+ago\b|\bwas\s+(?:dx|diagnosed)\b",
    re.I,
)
QUESTION_TREATMENT_OK = re.compile(
    r"\b(?:i'?m|i\s+am|im|i've\s+been|ive\s+been|been|while|since)\s+(?:currently\s+|still\s+|also\s+|now\s+)?"
    r"(?:on|taking|getting)\b",
    re.I,
)
PRONOUN = re.compile(
    r"\b(?:on|off|stopped|stop|held|hold|paused|pause|started|restarted|quit|discontinued|reduced|lowered|cut|"
    r"continued|tolerating)\s+(it)\b",
    re.I,
)
ELLIPTIC_PAST = re.compile(
    r"^\W*(?:(?:and|but|then|so)\s+)*(?:\w+\s+){0,2}?(?:(?:i|we|they|she|he)\s+)?(?:had\s+to\s+)?(?:finished|completed|stopped|ended|"
    r"discontinued|quit|came\s+off|done)\b(?!\s+working)",
    re.I,
)
NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "eighteen": 18}  # fmt: skip
_NUM = r"(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|eighteen)"
_UNITS = r"(days?|weeks?|wks?|months?|mos?|mths?|years?|yrs?)"
UNIT = {"day": "day", "week": "week", "wk": "week", "month": "month", "mo": "month", "mth": "month",
         "year": "year", "yr": "year"}  # fmt: skip
_DUR_FILLER = (
    r"(?:\s+|,|\b(?:for|x|about|almost|nearly|over|around|approximately|now|so\s+far|the\s+past|the\s+last|just|"
    r"only|since|already|alone|too|also|maintenance|weekly|daily|monthly|shots?|injections?|infusions?|pills?|"
    r"tablets?|every\s+\w+(?:\s+(?:days?|weeks?|months?|wks?))?|\d+\s*mg)\b)*"
)
DUR_AFTER = re.compile(rf"^{_DUR_FILLER}\b{_NUM}[\s-]*{_UNITS}\b(?P<ago>\s+ago\b)?(?!\s*(?:break|later))", re.I)
DUR_BEFORE = re.compile(rf"\b{_NUM}[\s-]*{_UNITS}\s+(?:of|into|on)\s+(?:my\s+|the\s+)?$", re.I)
DUR_CLAUSE = re.compile(
    rf"^\W*(?:about|almost|nearly|over|around|approximately|~)?\s*{_NUM}[\s-]*{_UNITS}\s*(?:in|now|so\s+far|on\s+it)?\W*$",
    re.I,
)
