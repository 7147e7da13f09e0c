"""The profile drives the conversation: stated facts are shown with later answers, nothing is assumed, and
the patient can correct or clear what OncoGuide knows."""

from __future__ import annotations

from chains.understand.profile.facts import PatientProfile, profile_facts, without_fact


async def test_reference_conversation_opens_the_lifestyle_answer_with_the_stated_facts(guide):
    state = guide.new_state("reference")
    first = await guide.respond(state, "Er+ oligomet breast cancer. Have been 5aking ribocyclib for 14 months.")
    second = await guide.respond(state, "How do I find the best clinical trial for breast cancer")
    third = await guide.respond(state, "What lifestyle changes are recommended for Breast Cancer patients")
    assert first.kind == second.kind == third.kind == "answer"
    assert (
        "*What you have told me:* ER-positive oligometastatic breast cancer; taking ribociclib (for 14 months)."
        in third.text
    )
    assert {s.doc_id for s in third.sources} & {"lifestyle-overview", "exercise-physical-activity", "diet-nutrition"}
    assert third.profile["receptors"] == ["ER+"] and third.profile["spread"] == ["oligometastatic"]


async def test_answers_never_assume_unstated_facts(guide):
    state = guide.new_state("no-facts")
    reply = await guide.respond(state, "What are the side effects of letrozole?")
    assert "What you have told me" not in reply.text
    assert reply.profile == {}


async def test_forget_my_details_clears_the_profile_and_the_conversation_goes_on(guide):
    state = guide.new_state("forget")
    await guide.respond(state, "I'm HER2-positive, on trastuzumab")
    cleared = await guide.respond(state, "please forget my details")
    assert cleared.profile == {} and state.profile.is_empty()
    after = await guide.respond(state, "What is HER2-low?")
    assert after.kind == "answer" and "What you have told me" not in after.text


def test_a_single_fact_can_be_corrected():
    profile = PatientProfile(
        receptors=["ER+", "HER2+"], current_treatments=["ribociclib"], treatment_durations={"ribociclib": "2 months"}
    )
    corrected = without_fact(profile, "receptors", "HER2+")
    corrected = without_fact(corrected, "current_treatments", "ribociclib")
    assert corrected.receptors == ["ER+"] and corrected.current_treatments == []
    assert corrected.treatment_durations == {}
    assert ("receptors", "ER+", "ER+") in profile_facts(corrected)


async def test_a_clicked_completion_is_not_a_fact_about_the_patient(guide):
    """Choosing "neutropenia" to finish "…for example neutr" answers the question; it is not a side effect the
    patient reported (issue 14). What the patient wrote themselves still counts."""
    state = guide.new_state("completion")
    asked = await guide.respond(state, "What integrative approaches help with side effects, for example neutr")
    assert asked.kind == "clarification" and "neutropenia" in asked.options
    answer = await guide.respond(state, "neutropenia")
    assert answer.kind == "answer"
    assert state.profile.is_empty(), state.profile.to_dict()

    state = guide.new_state("completion-with-facts")
    asked = await guide.respond(state, "I am on letrozole and I get neutropenia sometimes, what helps with the fatig")
    assert asked.kind == "clarification"
    await guide.respond(state, asked.options[0])
    assert state.profile.current_treatments == ["letrozole"] and state.profile.side_effects == ["neutropenia"]
