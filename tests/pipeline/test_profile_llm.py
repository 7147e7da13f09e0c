"""LLM structured profile extraction: the real langchain-openai client against the fake endpoint. The model's
facts are validated against the profile schema and kept only when the patient's words carry them; the
deterministic facts always stay."""

from __future__ import annotations

import json

import pytest

from chains.understand.profile.extract import extract_profile
from chains.understand.profile.llm import ground, parse_facts
from tests.conftest import read_jsonl

HALVED = "my oncologist halved my ribociclib because my white cells kept crashing"
# What a model might send for HALVED: three facts the words carry (the rules miss them), and two it invented.
MODEL_FACTS = {
    "current_treatments": ["ribociclib"],
    "dose_changes": ["reduced"],
    "dose_change_reasons": ["neutropenia"],
    "side_effects": ["neutropenia"],
    "stage": "IV",
    "past_treatments": ["tamoxifen"],
}


def test_the_rules_alone_miss_the_dose_change(vocabulary) -> None:
    """The premise of the tests below: without the model, HALVED yields only the medicine."""
    assert extract_profile(HALVED, vocabulary).to_dict() == {"current_treatments": ["ribociclib"]}


@pytest.mark.parametrize(
    "reply",
    [
        '{"receptors": ["ER++"]}',  # not a canonical value
        '{"stage": "5"}',
        '{"diagnosis": "breast cancer"}',  # a key outside the schema
        '{"treatment_durations": {"ribociclib": 14}}',
        "I'm sorry, I can't help with that.",
        '{"receptors": ["ER+"',  # cut off
    ],
)
def test_off_schema_replies_are_rejected(reply: str) -> None:
    assert parse_facts(reply) is None


def test_a_fenced_json_reply_is_read() -> None:
    facts = parse_facts('```json\n{"receptors": ["ER+", "HER2-"], "menopausal_status": "postmenopausal"}\n```')
    assert facts is not None and facts.receptors == ["ER+", "HER2-"]


def test_facts_the_message_does_not_carry_are_dropped(vocabulary) -> None:
    facts = parse_facts(json.dumps(MODEL_FACTS))
    assert facts is not None
    kept = ground(facts, HALVED, vocabulary).to_dict()
    assert kept == {
        "current_treatments": ["ribociclib"],
        "dose_changes": ["reduced"],
        "dose_change_reasons": ["neutropenia"],
        "side_effects": ["neutropenia"],
    }


def test_a_duration_must_be_written_and_belong_to_a_named_treatment(vocabulary) -> None:
    facts = parse_facts('{"current_treatments": ["letrozole"], "treatment_durations": {"letrozole": "3 years"}}')
    assert facts is not None
    assert ground(facts, "I've been on letrozole for 14 months", vocabulary).treatment_durations == {}
    assert ground(facts, "I've been on letrozole for 3 years", vocabulary).treatment_durations == {
        "letrozole": "3 years"
    }


def test_a_model_repeating_the_right_answer_never_lowers_the_labelled_set(vocabulary) -> None:
    """Grounding must keep true facts: feeding each labelled case's own expected facts back as the model's reply
    loses at most 10 % of field values (what it drops is carried by words the carriers do not list)."""
    total = lost = 0
    for case in read_jsonl("profile_cases.jsonl"):
        facts = parse_facts(json.dumps(case["expected"]))
        assert facts is not None, case["id"]
        kept = ground(facts, case["message"], vocabulary).to_dict()
        for field, value in case["expected"].items():
            values = value if isinstance(value, list) else list(value) if isinstance(value, dict) else [value]
            got = kept.get(field, [] if isinstance(value, list | dict) else None)
            got_values = got if isinstance(got, list) else list(got) if isinstance(got, dict) else [got]
            total += len(values)
            lost += len([v for v in values if v not in got_values])
    print(f"\ngrounding kept {total - lost}/{total} labelled field values")
    assert lost <= 0.1 * total


async def test_the_model_adds_grounded_facts_in_a_conversation(llm_guide, fake_llm) -> None:
    fake_llm.behaviour = "answer"
    fake_llm.profile_reply = json.dumps(MODEL_FACTS)
    fake_llm.requests.clear()
    state = llm_guide.new_state("profile-llm")
    reply = await llm_guide.respond(state, HALVED + ", is that normal?")
    assert reply.kind == "answer"
    asked = [r for r in fake_llm.requests if r["messages"][-1]["content"].startswith("Extract the facts")]
    assert len(asked) == 1 and HALVED in asked[0]["messages"][-1]["content"]
    profile = state.profile.to_dict()
    assert profile["dose_changes"] == ["reduced"] and profile["dose_change_reasons"] == ["neutropenia"]
    assert "stage" not in profile and "past_treatments" not in profile  # invented by the model, not said


async def test_the_model_never_overrides_or_removes_the_rules_facts(llm_guide, fake_llm) -> None:
    fake_llm.behaviour = "answer"
    fake_llm.profile_reply = json.dumps({"past_treatments": ["letrozole"], "receptors": ["ER-"]})
    state = llm_guide.new_state("profile-llm-override")
    await llm_guide.respond(state, "I'm ER+ and on letrozole, what helps with joint pain?")
    profile = state.profile.to_dict()
    assert profile["current_treatments"] == ["letrozole"] and "past_treatments" not in profile
    assert "ER+" in profile["receptors"]


@pytest.mark.parametrize("broken", ["error500", "nonsense"])
async def test_a_failing_or_off_schema_model_leaves_the_rules_facts(llm_guide, fake_llm, broken: str) -> None:
    fake_llm.behaviour = "error500" if broken == "error500" else "answer"
    fake_llm.profile_reply = "Sure! The patient is on ribociclib." if broken == "nonsense" else "{}"
    try:
        state = llm_guide.new_state(f"profile-llm-{broken}")
        reply = await llm_guide.respond(state, HALVED + ", is that normal?")
    finally:
        fake_llm.behaviour = "answer"
    assert reply.kind == "answer" and reply.text.strip()
    assert state.profile.to_dict() == {"current_treatments": ["ribociclib"]}


async def test_no_extraction_call_without_a_statement_about_the_patient(llm_guide, fake_llm) -> None:
    fake_llm.behaviour = "answer"
    fake_llm.requests.clear()
    await llm_guide.respond(llm_guide.new_state("profile-llm-none"), "what are the side effects of ribociclib?")
    assert not [r for r in fake_llm.requests if r["messages"][-1]["content"].startswith("Extract the facts")]
