"""The deterministic patient-profile extractor on focused cases: negations, other people, questions, tense, merges.
Precision and recall over the labelled set (tests/data/profile_cases.jsonl) are in tests/evals/test_profile_set.py.
"""

from __future__ import annotations

import pytest

from chains.understand.profile.extract import extract_profile
from chains.understand.profile.facts import PatientProfile
from chains.understand.vocabulary import Vocabulary, default_vocabulary


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return default_vocabulary()


def test_negations_add_nothing(vocabulary: Vocabulary) -> None:
    profile = extract_profile("No mets, not on chemo and never had radiation. I'm on letrozole.", vocabulary)
    assert profile.current_treatments == ["letrozole"]
    assert profile.past_treatments == []
    assert profile.spread == []
    side = extract_profile("I don't have hot flashes but my joints ache all the time on Aromasin", vocabulary)
    assert side.side_effects == ["joint pain"]
    assert extract_profile("I don't have lymphedema or neuropathy, thankfully.", vocabulary).is_empty()
    # set 28: the treatment a plan replaces is not taken ("What you have told me: taking osimertinib and chemotherapy")
    instead = extract_profile("The oncologist says I'll have osimertinib tablets instead of chemo.", vocabulary)
    assert instead.current_treatments == ["osimertinib"]
    rather = extract_profile("Mum had a lumpectomy. They suggested letrozole rather than chemo.", vocabulary)
    assert "chemotherapy" not in rather.current_treatments


def test_other_people_and_questions_add_nothing(vocabulary: Vocabulary) -> None:
    assert extract_profile(
        "My sister is HER2 positive and on Herceptin. How does that drug work?", vocabulary
    ).is_empty()
    assert extract_profile("Is Kisqali better than Ibrance?", vocabulary).is_empty()
    mixed = extract_profile(
        "My mom had ovarian cancer and I was just diagnosed with breast cancer, stage 1, HER2+.", vocabulary
    )
    assert mixed.cancer_type == "breast cancer"
    assert mixed.receptors == ["HER2+"]
    assert mixed.stage == "I"


def test_past_current_and_planned(vocabulary: Vocabulary) -> None:
    profile = extract_profile("I finished chemo last year and now I'm on letrozole.", vocabulary)
    assert profile.current_treatments == ["letrozole"]
    assert profile.past_treatments == ["chemotherapy"]
    assert extract_profile("I start chemo in two weeks and I'm worried about losing my hair.", vocabulary).is_empty()
    shared = extract_profile("Taking Ibrance and Faslodex for 10 months.", vocabulary)
    assert shared.treatment_durations == {"palbociclib": "10 months", "fulvestrant": "10 months"}


def test_pronoun_dose_change_with_linked_reason(vocabulary: Vocabulary) -> None:
    profile = extract_profile("On Kadcyla since June. My liver enzymes went up so they held it.", vocabulary)
    assert profile.current_treatments == ["trastuzumab emtansine"]
    assert profile.dose_changes == ["paused"]
    assert profile.dose_change_reasons == ["liver problems"]
    assert profile.treatment_durations == {}


def test_merge_moves_a_drug_from_current_to_past(vocabulary: Vocabulary) -> None:
    before = extract_profile("HR+ MBC, on Kisqali and letrozole.", vocabulary)
    assert set(before.current_treatments) == {"ribociclib", "letrozole"}
    update = extract_profile("ECG showed QT prolongation on Kisqali so they stopped it. Now on Verzenio.", vocabulary)
    merged = before.merge(update)
    assert set(merged.current_treatments) == {"letrozole", "abemaciclib"}
    assert merged.past_treatments == ["ribociclib"]
    assert merged.dose_changes == ["stopped"]
    assert PatientProfile.from_dict(merged.to_dict()) == merged


def test_describe_reference_patient(vocabulary: Vocabulary) -> None:
    message = (
        "Er+ oligomet breast cancer. Have been 5aking ribocyclib for 14 months. "
        "Because of my low neutrophils the dose was reduced"
    )
    profile = extract_profile(message, vocabulary)
    assert profile.describe() == [
        "ER-positive oligometastatic breast cancer",
        "your current treatment with ribociclib (for 14 months)",
        "a dose that was reduced because of neutropenia",
    ]


@pytest.mark.parametrize(
    ("message", "receptors"),
    [
        (
            "my biopsy said her2 is 2+ and then they sent it off for FISH which came back not amplified. "
            "so am i her2 positive or not??",
            ["HER2-low"],
        ),
        ("so is it her2 positive?", []),
    ],
)
def test_a_question_is_not_a_fact_and_ihc_2_plus_with_negative_fish_is_her2_low(
    vocabulary: Vocabulary, message: str, receptors: list[str]
) -> None:
    assert extract_profile(message, vocabulary).receptors == receptors
