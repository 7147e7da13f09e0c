"""Beyond breast cancer: the cancer-type catalogue, steering by the patient's cancer, the which-cancer question
and the library's notes. The floors over the labelled sets in tests/data/cancers/ are in
tests/evals/test_cancer_sets.py."""

from __future__ import annotations

import pytest

from chains.cancer_types import cancer_types
from chains.understand.profile.extract import extract_profile


def test_every_catalogue_example_reads_as_its_cancer() -> None:
    catalogue = cancer_types()
    for cancer in catalogue.types:
        assert cancer.examples, cancer.id
        for example in cancer.examples:
            found = catalogue.first_mentioned(example)
            assert found is not None and found.id == cancer.id, (cancer.id, example, found)


@pytest.mark.parametrize(
    "text",
    [
        "breast cancer spread to my lung",
        "the cervical spine",
        "liver mets",
        "i have an enlarged prostate",
        "gist of it",
    ],
)
def test_organ_words_alone_are_not_a_cancer_type(text: str) -> None:
    names = [c.id for c in cancer_types().mentioned(text, signals=False)]
    assert names in ([], ["breast"]), (text, names)


def test_a_test_or_operation_steers_but_never_becomes_a_diagnosis(vocabulary) -> None:
    assert cancer_types().first_mentioned("my psa went up to 9").id == "prostate"
    assert extract_profile("my psa went up to 9", vocabulary).cancer_type is None
    assert extract_profile("i have stage 2 bowel cancer", vocabulary).cancer_type == "bowel (colorectal) cancer"
    # set 21: "which cancer?" was asked after "my moms CT found a 3cm mass on her kidney"
    assert cancer_types().first_mentioned("my moms CT found a 3cm mass on her kidney by accident").id == "kidney"


def test_library_documents_name_known_cancer_types(kb_documents) -> None:
    known = {c.id for c in cancer_types().in_library()} | {"any"}
    for doc_id, about in kb_documents.items():
        assert about in known, (doc_id, about)
    assert {about for about in kb_documents.values()} == known
    for cancer in cancer_types().in_library():
        assert sum(1 for about in kb_documents.values() if about == cancer.id) >= 6, cancer.id


@pytest.fixture(scope="module")
def kb_documents(guide) -> dict[str, str]:
    return {doc_id: guide.kb.cancer_type_of(doc_id) for doc_id in guide.kb.document_ids()}


async def test_the_patients_cancer_steers_the_answer(guide) -> None:
    state = guide.new_state("steer")
    await guide.respond(state, "I have prostate cancer")
    reply = await guide.respond(state, "what are the side effects of my hormone therapy?")
    assert reply.kind == "answer"
    assert reply.sources and reply.sources[0].doc_id.startswith("prostate-"), [s.doc_id for s in reply.sources]
    assert reply.text.startswith("*This answer is about prostate cancer.*")


async def test_which_cancer_is_asked_when_it_matters_and_the_choice_answers(guide) -> None:
    state = guide.new_state("which")
    asked = await guide.respond(state, "what are the treatment options?")
    assert asked.kind == "clarification" and "Which cancer" in asked.text
    assert "Lung" in asked.options and asked.options[-1] == "Another cancer"
    reply = await guide.respond(state, "Lung")
    assert reply.kind == "answer" and reply.urgency == "green"
    assert reply.sources and reply.sources[0].doc_id.startswith("lung-"), [s.doc_id for s in reply.sources]
    assert "lung cancer" in reply.text.split("\n")[0]


async def test_another_cancer_gets_the_general_answer_not_the_same_question_again(guide) -> None:
    state = guide.new_state("another")
    await guide.respond(state, "what are the treatment options?")
    reply = await guide.respond(state, "Another cancer")
    assert reply.kind == "answer"


async def test_a_cancer_the_library_lacks_gets_an_honest_note_and_where_to_read(guide) -> None:
    reply = await guide.respond(guide.new_state("thyroid"), "what is thyroid cancer and how is it treated")
    assert reply.kind == "answer"
    assert "does not cover thyroid cancer yet" in reply.text
    assert "https://www.cancer.gov/types/thyroid" in reply.text


async def test_a_general_question_about_a_cancer_the_library_lacks_is_answered_from_the_general_pages(guide) -> None:
    """Set 9's reader saw "whats the difference between a ct and a pet scan? … for oesophageal cancer" refused: a
    scan is the same for every cancer, so the general pages answer it, after the note."""
    reply = await guide.respond(
        guide.new_state("scans"),
        "whats the difference between a ct and a pet scan? my dads having both for oesophageal cancer",
    )
    assert "does not cover oesophageal" in reply.text and "could not find" not in reply.text
    assert reply.sources and "PET" in reply.text


async def test_a_breast_clinic_deployment_reads_unnamed_questions_as_breast(breast_clinic_guide) -> None:
    reply = await breast_clinic_guide.respond(
        breast_clinic_guide.new_state("clinic"), "what are the treatment options?"
    )
    assert reply.kind == "answer"
    assert "breast cancer" in reply.text.split("\n")[0]
