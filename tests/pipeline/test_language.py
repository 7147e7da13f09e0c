"""Messages in other languages: OncoGuide's rules and sources are English, so the patient is told so plainly,
with the urgent numbers, in English and (where we have it) in their language. English never trips it."""

from __future__ import annotations

import pytest

from chains.understand.language import check_language
from tests.conftest import read_jsonl

# (message, language code or script, a phrase of the patient's-language line we expect, or None)
NOT_ENGLISH = [
    ("tengo fiebre de 39 y estoy en quimioterapia", "es", "solo puedo leer y responder en inglés"),
    ("¿Cuáles son los efectos secundarios del ribociclib?", "es", "solo puedo leer"),
    ("J'ai un cancer du sein triple négatif, qu'est-ce que ça veut dire ?", "fr", "qu'en anglais"),
    ("je suis sous letrozole depuis deux ans et j'ai mal aux articulations", "fr", "qu'en anglais"),
    ("Ich habe Brustkrebs und nehme Letrozol, welche Nebenwirkungen gibt es?", "de", "nur Englisch"),
    ("Estou com febre e dor no peito desde ontem", "pt", "só consigo ler"),
    ("Ho la febbre e sono in chemioterapia, cosa devo fare?", "it", "solo in inglese"),
    ("ik heb koorts en krijg chemo, wat moet ik doen", "nl", "alleen Engels"),
    ("Mam gorączkę i jestem po chemii, co robić?", "pl", "tylko po angielsku"),
    ("Tôi bị ung thư vú giai đoạn hai, tôi nên hỏi bác sĩ điều gì?", "vi", "tiếng Anh"),
    ("我有乳腺癌，应该问医生什么？", "Cjk", "只能阅读和回答英文"),
    ("لدي سرطان الثدي وأشعر بالحمى", "Arabic", "باللغة الإنجليزية"),
    ("У меня рак груди, какие побочные эффекты у летрозола?", "Cyrillic", None),
    ("Έχω καρκίνο του μαστού και πυρετό", "Greek", None),
]


@pytest.mark.parametrize(("message", "language", "own_line"), NOT_ENGLISH)
async def test_other_languages_get_the_english_only_note_with_urgent_numbers(
    guide, settings, message: str, language: str, own_line: str | None
) -> None:
    assert check_language(message).language == language
    reply = await guide.respond(guide.new_state("language"), message)
    assert reply.kind == "out_of_scope"
    assert "only read and answer in English" in reply.text
    assert settings.emergency_number in reply.text and settings.care_team_line in reply.text
    if own_line:
        assert own_line in reply.text
    assert not reply.sources


def test_no_english_message_in_our_labelled_sets_is_taken_for_another_language() -> None:
    messages = []
    for name in (
        "safety_cases",
        "clarify_cases",
        "profile_cases",
        "retrieval_cases",
        "safety_fresh_v2",
        "safety_fresh_v3",
    ):
        for case in read_jsonl(f"{name}.jsonl"):
            messages += [case[k] for k in ("message", "question") if isinstance(case.get(k), str)]
            messages += [h if isinstance(h, str) else h.get("content", "") for h in case.get("history") or []]
            messages += [turn["message"] for turn in case.get("turns") or []]
    assert len(messages) >= 1500
    flagged = [m for m in messages if m and not check_language(m).english]
    assert not flagged, flagged[:10]


@pytest.mark.parametrize(
    "message",
    [
        "mi mama has breast cancer, what should I ask?",
        "gracias! what are the side effects of letrozole",
        "is ribociclib the same as kisqali",
        "de novo metastatic, what does that mean",
        "my oncologist said 'la dose' was lowered, is that normal?",
    ],
)
def test_english_with_a_foreign_word_stays_english(message: str) -> None:
    assert check_language(message).english


async def test_an_english_red_flag_in_a_mixed_message_still_gets_the_urgent_reply(guide) -> None:
    reply = await guide.respond(guide.new_state("language-mixed"), "tengo chest pain right now")
    assert reply.kind == "emergency"


async def test_the_conversation_continues_in_english_afterwards(guide) -> None:
    state = guide.new_state("language-memory")
    await guide.respond(state, "I'm on ribociclib")
    await guide.respond(state, "¿Cuáles son los efectos secundarios?")
    reply = await guide.respond(state, "what about its side effects?")
    assert reply.kind == "answer" and "ribociclib" in (reply.standalone_question or "").lower()
