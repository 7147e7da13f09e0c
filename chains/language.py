"""Is the message written in a language OncoGuide cannot read? (English-only content and safety rules.)

The red-flag patterns and the knowledge base are English. A message in another language would otherwise
fall through to a clarification or an unrelated answer; instead the patient is told plainly, in English
and in their language where we have it, that OncoGuide reads English only and how to get urgent help.
Detection is deliberately conservative: a script other than Latin for most letters, or several function
words of one other language outnumbering the English ones. A Spanish word in an English message is English.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Frequent function words that are NOT also English words (so "a", "me", "on", "die" are left out).
_STOPWORDS: dict[str, set[str]] = {
    "es": set(["el", "la", "los", "las", "que", "de", "del", "por", "para", "con", "una", "unos", "unas", "es", "son", "está", "estoy", "tengo", "tiene", "muy", "pero", "cómo", "qué", "cuál", "cuáles", "mi", "mis", "su", "sus", "porque", "también", "hay", "puedo", "puede", "debo", "sobre", "hace", "desde", "cuando", "donde", "dónde", "ya", "sí", "yo", "usted", "nos", "fiebre", "dolor", "tratamiento", "cáncer", "mama"]),
    "fr": set(["le", "la", "les", "des", "du", "un", "une", "est", "sont", "je", "j'ai", "suis", "avec", "pour", "dans", "pas", "mais", "comment", "quoi", "quel", "quelle", "quels", "mon", "ma", "mes", "son", "sa", "ses", "parce", "aussi", "il", "elle", "nous", "vous", "peut", "dois", "sur", "depuis", "quand", "où", "oui", "très", "fièvre", "douleur", "traitement", "cancer", "sein", "qu'est-ce"]),
    "de": set(["der", "die", "das", "und", "ist", "sind", "ich", "habe", "bin", "mit", "für", "nicht", "aber", "wie", "was", "welche", "mein", "meine", "sein", "seine", "weil", "auch", "es", "gibt", "kann", "muss", "auf", "seit", "wenn", "wo", "ja", "sehr", "fieber", "schmerzen", "behandlung", "krebs", "brustkrebs", "nebenwirkungen"]),
    "pt": set(["o", "os", "as", "que", "de", "do", "da", "dos", "das", "por", "para", "com", "uma", "é", "são", "estou", "tenho", "tem", "muito", "mas", "como", "qual", "quais", "meu", "minha", "seu", "sua", "porque", "também", "há", "posso", "pode", "devo", "sobre", "desde", "quando", "onde", "sim", "eu", "você", "febre", "dor", "tratamento", "câncer", "cancro", "mama"]),
    "it": set(["il", "lo", "la", "gli", "le", "che", "di", "del", "della", "per", "con", "una", "è", "sono", "sto", "ho", "ha", "molto", "ma", "come", "quale", "quali", "mio", "mia", "suo", "sua", "perché", "anche", "c'è", "posso", "può", "devo", "su", "da", "quando", "dove", "sì", "io", "lei", "febbre", "dolore", "trattamento", "cancro", "seno"]),
    "nl": set(["de", "het", "een", "en", "is", "zijn", "ik", "heb", "ben", "met", "voor", "niet", "maar", "hoe", "wat", "welke", "mijn", "zijn", "omdat", "ook", "er", "kan", "moet", "op", "sinds", "wanneer", "waar", "ja", "heel", "koorts", "pijn", "behandeling", "kanker", "borstkanker"]),
    "pl": set(["i", "w", "z", "na", "nie", "jest", "są", "mam", "jestem", "się", "co", "jak", "jaki", "jaka", "moje", "mój", "moja", "ale", "bo", "też", "czy", "mogę", "muszę", "od", "kiedy", "gdzie", "tak", "bardzo", "gorączka", "ból", "leczenie", "rak", "piersi"]),
    "vi": set(["tôi", "bị", "và", "của", "là", "có", "không", "được", "cho", "với", "những", "các", "một", "này", "khi", "nào", "gì", "bác", "sĩ", "ung", "thư", "vú", "sốt", "đau", "điều", "trị", "thuốc"]),
}  # fmt: skip
_ENGLISH = set(
    [
        "the",
        "and",
        "is",
        "are",
        "i",
        "i'm",
        "my",
        "me",
        "you",
        "it",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "what",
        "how",
        "can",
        "do",
        "does",
        "should",
        "will",
        "have",
        "has",
        "was",
        "not",
        "but",
        "this",
        "that",
        "about",
        "from",
        "at",
        "be",
        "been",
        "am",
        "when",
        "which",
        "who",
        "why",
        "where",
        "side",
        "effects",
        "treatment",
        "cancer",
        "breast",
        "pain",
        "fever",
    ]
)
_LANGUAGE_NAMES = {
    "es": "Spanish", "fr": "French", "de": "German", "pt": "Portuguese", "it": "Italian", "nl": "Dutch",
    "pl": "Polish", "vi": "Vietnamese", "Cjk": "Chinese or Japanese", "Arabic": "Arabic", "Hebrew": "Hebrew",
    "Greek": "Greek", "Hangul": "Korean", "Hiragana": "Japanese", "Katakana": "Japanese", "Thai": "Thai",
}  # fmt: skip
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


@dataclass(frozen=True)
class LanguageCheck:
    english: bool
    language: str | None = None  # a language code when we can tell ("es", or a script such as "Arabic")


def _script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return name.split(" ")[0] if name else ""


def check_language(text: str) -> LanguageCheck:
    """English (or too little to tell), or the other language the message is written in."""
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) < 6:
        return LanguageCheck(True)
    scripts: dict[str, int] = {}
    for ch in letters:
        script = _script(ch)
        scripts[script] = scripts.get(script, 0) + 1
    top, count = max(scripts.items(), key=lambda item: item[1])
    if top != "LATIN" and count / len(letters) > 0.5:
        return LanguageCheck(False, top.title())
    words = [w.lower() for w in _WORD.findall(text)]
    english = sum(1 for w in words if w in _ENGLISH)
    best, hits = max(((code, sum(1 for w in words if w in stop)) for code, stop in _STOPWORDS.items()),
                     key=lambda item: item[1])  # fmt: skip
    if hits >= 3 and hits >= 2 * max(english, 1) and hits / max(len(words), 1) >= 0.25:
        return LanguageCheck(False, best)
    return LanguageCheck(True)


def language_name(check: LanguageCheck) -> str:
    return _LANGUAGE_NAMES.get(check.language or "", "a language other than English")
