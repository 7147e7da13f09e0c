"""Triage like an oncology advice line: red / amber / green / unsure, through the whole pipeline.

The quality floors over the held-out sets in tests/data/triage/ are in tests/evals/test_triage_heldout.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from chains.pipeline import OncoGuide, PipelineHooks
from chains.retrieval.embeddings import embed_text
from chains.settings import Settings
from chains.triage.classifier import default_classifier
from chains.triage.grading import Triager, load_catalogue
from chains.understand.memory import ConversationState
from tests.fake_openai import FakeOpenAI

TRIAGE_DATA = Path(__file__).resolve().parents[1] / "data" / "triage"


def read(name: str) -> list[dict]:
    return [json.loads(line) for line in (TRIAGE_DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def test_fast_path_gives_exactly_scikit_learns_probabilities() -> None:
    classifier = default_classifier()
    for item in read("heldout_v1.jsonl")[:60]:
        embedding = embed_text(item["message"])
        fast = classifier.predict(item["message"], embedding)
        features = classifier.features([item["message"]], embedding.reshape(1, -1))
        reference = dict(
            zip(classifier.urgency_model.classes_, classifier.urgency_model.predict_proba(features)[0], strict=True)
        )
        assert np.isclose(fast.red, reference["red"]) and np.isclose(fast.amber, reference["amber"])


def test_every_category_has_a_reason_and_a_question_whose_options_map_to_urgencies() -> None:
    categories, rule_categories = load_catalogue()
    assert set(rule_categories.values()) <= set(categories)
    for category in categories.values():
        assert len(category.reason) > 40, category.id
        assert category.question.options and set(category.question.urgencies) <= {"red", "amber", "green"}
        assert "red" in category.question.urgencies and "green" in category.question.urgencies


async def test_an_amber_answer_is_led_by_contact_your_team_today(guide, settings) -> None:
    """Redness at a port: the advice line asks about fever and swelling first; without those it is amber,
    and the answer opens with the note to contact the team today."""
    state = guide.new_state("amber")
    question = await guide.respond(state, "my port looks different today")
    assert question.kind == "clarification" and question.urgency == "unsure"
    assert "temperature" in question.text and question.options[1].startswith("No, just redness")
    reply = await guide.respond(state, question.options[1])
    assert reply.kind != "emergency" and reply.urgency == "amber"  # the library has little on ports yet (issue 16)
    assert reply.text.splitlines()[0].startswith("**📞 Contact your care team today about redness or soreness around")
    assert settings.care_team_line in reply.text


async def test_unsure_asks_one_question_with_buttons_and_the_answer_routes_it(guide) -> None:
    triager: Triager = guide.triager
    message = "my back has been aching more this week and my legs feel a bit odd, I have bone mets"
    assert triager.assess(message).urgency in ("unsure", "red")
    state = guide.new_state("unsure")
    state.pending_triage = {"message": message, "category": "spinal_cord_compression"}
    options = triager.category("spinal_cord_compression").question.options
    red = await guide.respond(ConversationState.from_dict(state.to_dict()), options[0])  # survives a resume
    assert red.kind == "emergency" and red.urgency == "red"
    green = await guide.respond(state, options[-1])
    assert green.kind == "answer" and green.urgency == "green" and state.pending_triage is None


async def test_the_spinal_cord_question_presupposes_no_back_pain(guide) -> None:
    """Answer set 18: sore feet and loose stools on cabozantinib got "Along with the back pain, are your legs
    weak…", about pain nobody mentioned. The question asks about the legs and bladder alone; new back pain on
    its own still has its amber answer."""
    state = guide.new_state("spinal wording")
    message = (
        "dad is on cabozantinib for kidney cancer that spread to his lungs, his feet are sore and he has loose "
        "stools most days. do they usually lower the dose or does he just put up with it"
    )
    state.pending_triage = {"message": message, "category": "spinal_cord_compression"}
    question = guide.triager.category("spinal_cord_compression").question
    assert "back pain" not in question.text.lower() and "legs" in question.text
    amber = next(option for option in question.options if "back pain" in option)
    reply = await guide.respond(state, amber)
    assert reply.kind == "answer" and reply.urgency == "amber" and state.pending_triage is None


async def test_a_new_emergency_wins_over_a_pending_triage_question(guide) -> None:
    state = guide.new_state("pending")
    state.pending_triage = {"message": "my mouth is a bit sore", "category": "mouth_sores"}
    reply = await guide.respond(state, "actually now I have crushing chest pain")
    assert reply.kind == "emergency" and state.pending_triage is None


async def test_a_new_question_typed_instead_of_an_answer_is_the_one_answered(guide) -> None:
    """The patient ignores the triage question and asks something else: the new question is answered (set 6 of
    the cancer sets saw "gemcitabine and cisplatin, what side effects should we expect" answered as if it were
    the held-back "Mum is on chemo for bladder cancer"); typed words that answer the question still route the
    held-back message."""
    state = guide.new_state("ignored")
    state.pending_triage = {"message": "Mum is on chemo for bladder cancer", "category": "none"}
    seen: list[str] = []

    async def on_retrieval_start(query: str) -> None:
        seen.append(query)

    hooks = PipelineHooks(on_retrieval_start=on_retrieval_start)
    reply = await guide.respond(state, "gemcitabine and cisplatin, what side effects should we expect", hooks)
    assert reply.kind == "answer" and state.pending_triage is None
    assert "gemcitabine" in seen[-1].lower() and "bladder" in (state.profile.cancer_type or ""), (seen, state.profile)
    state.pending_triage = {"message": "what side effects does cisplatin have", "category": "none"}
    reply = await guide.respond(state, "no, just asking in general", hooks)
    assert reply.kind == "answer" and "cisplatin" in seen[-1].lower()


async def test_the_fever_threshold_is_a_setting(guide, settings) -> None:
    message = "I'm on chemo, my temperature is 37.7 and I feel fine otherwise. can I still go to work?"
    assert (await guide.respond(guide.new_state("us"), message)).urgency == "amber"
    ukons = Settings(data_dir=settings.data_dir, fever_threshold_c=37.5)
    local = OncoGuide(ukons, guide.kb, guide.vocabulary, guide.engine)
    reply = await local.respond(local.new_state("uk"), message)
    assert reply.kind == "emergency" and reply.urgency == "red"


async def test_sign_offs_and_lab_results_without_symptoms_are_not_emergencies(guide) -> None:
    for message in ("thanks for your help, bye", "ok thank you, goodbye", "my neutrophils were low last week"):
        reply = await guide.respond(guide.new_state("calm"), message)
        assert reply.kind != "emergency", message


# --- with an LLM configured: a second opinion that may only raise the urgency ---------------------------
SESSION_LOOP = pytest.mark.asyncio(loop_scope="session")  # the LLM client lives on the session's loop


def _triage_requests(fake_llm) -> list[dict]:
    return [r for r in fake_llm.requests if r["messages"][-1]["content"].startswith("Triage this message")]


@contextmanager
def model_triage(fake_llm, reply: str, behaviour: str = "answer") -> Iterator[None]:
    """The fake endpoint answers triage checks with ``reply`` inside the block, then as by default."""
    fake_llm.behaviour, fake_llm.triage_reply = behaviour, reply
    try:
        yield
    finally:
        fake_llm.behaviour, fake_llm.triage_reply = "answer", FakeOpenAI.triage_reply


@SESSION_LOOP
async def test_the_models_red_raises_an_offline_green(llm_guide, fake_llm) -> None:
    with model_triage(fake_llm, '{"urgency": "red", "category": "crs_icans", "reason": "word-finding after CAR-T"}'):
        reply = await llm_guide.respond(llm_guide.new_state("llm-red"), "what are the side effects of ribociclib?")
    assert reply.kind == "emergency" and reply.urgency == "red" and "CAR-T" in reply.text


@SESSION_LOOP
async def test_the_models_amber_raises_green_to_amber_but_never_lowers(llm_guide, fake_llm) -> None:
    with model_triage(fake_llm, '{"urgency": "amber", "category": "diarrhoea", "reason": "loose stools"}'):
        amber = await llm_guide.respond(llm_guide.new_state("llm-amber"), "what are the side effects of ribociclib?")
    with model_triage(fake_llm, '{"urgency": "green", "category": "none", "reason": "fine"}'):
        fake_llm.requests.clear()
        red = await llm_guide.respond(llm_guide.new_state("llm-green"), "I'm on chemo and my temperature is 38.9")
    assert amber.kind == "answer" and amber.urgency == "amber" and amber.text.startswith("**📞 Contact your care team")
    assert red.kind == "emergency" and not _triage_requests(fake_llm), "an offline red never waits for the model"


@SESSION_LOOP
@pytest.mark.parametrize(
    "behaviour, triage_reply",
    [("answer", "I think this is fine!"), ("answer", '{"urgency": "purple"}'), ("error500", "{}")],
)
async def test_model_faults_leave_the_offline_decision(llm_guide, fake_llm, behaviour, triage_reply) -> None:
    with model_triage(fake_llm, triage_reply, behaviour):
        fake_llm.requests.clear()
        reply = await llm_guide.respond(llm_guide.new_state("llm-fault"), "what are the side effects of ribociclib?")
    assert _triage_requests(fake_llm), "the model was asked"
    assert reply.kind == "answer" and reply.urgency == "green" and "[1]" in reply.text


@pytest.mark.parametrize(
    "message",
    [
        "been sick 3 times today and had 4 runny poos since breakfast",
        "my port site is a bit red and sore, and mouth ulcers again but still eating",
    ],
)
def test_two_different_ambers_in_one_message_make_a_red(message: str) -> None:
    triage = Triager().assess(message, ["I'm on chemo"])
    assert triage.urgency == "red", triage
    assert triage.source in {"two ambers", "classifier", "rule"}


@pytest.mark.parametrize(
    "message",
    [
        "been sick 3 times today, on chemo, no temp, drinking ok",
        "itchy rash on my arms since my keytruda, no blisters, otherwise fine",
    ],
)
def test_one_amber_with_background_and_reassurance_stays_amber(message: str) -> None:
    assert len(Triager().amber_features(message)) <= 1, Triager().amber_features(message)


def test_feature_split_leaves_out_denials_and_reassurance() -> None:
    from chains.text.context import split_features

    assert split_features("sick 3 times and 4 runny poos, no temp, feel ok") == ["sick 3 times", "4 runny poos"]


# A worry, not a symptom that has just come on: a red from the classifier alone is asked about first, as an advice
# line would; the exact rules (a temperature) still decide. Set 22: something read about; set 23's first run: the
# nurse's warning about diarrhoea on ipilimumab and nivolumab, and diarrhoea a husband has had for months.
NOT_A_NEW_SYMPTOM = [
    ([], "started ibrutinib for CLL 2 months ago, bruising really easy now. also read online about heart rhythm "
     "problems and now im scared every time i feel my pulse", "unsure"),
    ([], "i keep reading on the forum about people going septic and now its me, 38.6 and shivering on chemo", "red"),
    ([], "on ipi and nivo combo for melanoma that spread to my lungs. the nurse keeps going on about ringing straight"
     " away about any diarrhoea", "unsure"),
    (["my husbands been on lenalidomide maintenance for a year now"],
     "is the tiredness and the diarrhoea from that? hes had both for months and its really getting him down", "unsure"),
    ([], "had the shivers on and off for months but tonight its 38.9 and im on chemo", "red"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("history", "message", "urgency"), NOT_A_NEW_SYMPTOM, ids=[m[:40] for _, m, _ in NOT_A_NEW_SYMPTOM]
)
def test_a_worry_read_or_heard_about_is_asked_about_and_a_rule_still_decides(
    history: list[str], message: str, urgency: str
) -> None:
    assert Triager().assess(message, history).urgency == urgency
