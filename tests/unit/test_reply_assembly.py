"""How an answer is put together for the patient: notes never split a lead from the list it opens."""

from __future__ import annotations

import pytest

from chains.answer.base import AnswerDraft
from chains.stages.replies import assemble

NOTE = "I can't interpret your own test or scan results."


def test_a_lead_that_opens_a_list_keeps_the_list_before_the_note() -> None:
    draft = AnswerDraft("Scans may include: [1]\n\n- PSMA PET scan. [1]\n- Bone scan. [1]\n\nMore detail. [2]", [])
    text = assemble(draft, [], [NOTE])
    assert text.index("- Bone scan.") < text.index(NOTE) < text.index("More detail.")


def test_a_lead_sentence_is_followed_by_the_note() -> None:
    draft = AnswerDraft("A PSMA PET scan finds prostate cancer cells. [1]\n\n- It uses a tracer. [1]", [])
    text = assemble(draft, [], [NOTE])
    assert text.index("finds prostate cancer cells") < text.index(NOTE) < text.index("It uses a tracer")


def test_an_opening_fits_a_money_worry_and_not_travel_insurance_or_a_treatments_benefits() -> None:
    from chains.answer.base import opening_line

    assert opening_line("how do i pay for this, the copay is $800 a month") is not None
    assert opening_line("can i claim benefits while im off work for chemo") is not None
    assert opening_line("going to thailand, any problems with travel insurance or vaccines on imatinib") is None
    assert opening_line("what are the benefits of radiotherapy after a lumpectomy") is None
    # set 25: who funds a treatment is a plain question, and a mother's fear is not the asker's feeling
    assert opening_line("does she have to be in hospital for it, and is it something the nhs will pay for") is None
    assert opening_line("when can she eat normally again, shes scared to eat anything incase it hurts") is None
    assert opening_line("im scared all the time since the diagnosis, is this normal") is not None
    assert opening_line("my wife is terrified and so am i, im scared of what comes next") is not None
    # sets 26 and 27: whether insurance covers a treatment or a trial is a practical question
    assert opening_line("Is that standard now, and does insurance usually cover it?") is None
    assert opening_line("could he get a placebo, and does insurance cover the travel and extra scans?") is None
    assert opening_line("insurance wont cover it and we cant afford $3000 a month") is not None


def test_a_sentence_about_another_subtype_of_the_patients_cancer_is_left_out() -> None:
    from chains.answer.selection import about_another_subtype, subtypes_named
    from chains.answer.units import Unit

    def unit(text: str) -> Unit:
        return Unit(text, "doc", "Heading", 0.5, 0, 0)

    cml = subtypes_named("been on imatinib for CML 3 years, can i have grapefruit juice")
    assert about_another_subtype(unit("Some people with early CLL never need treatment."), cml)
    assert not about_another_subtype(unit("CLL and CML are usually long-term illnesses."), cml)
    assert not about_another_subtype(unit("Grapefruit raises the level of a TKI in the blood."), cml)
    small_cell = subtypes_named("my sister has limited stage small cell lung cancer")
    assert about_another_subtype(unit("Osimertinib is for non-small cell lung cancer with an EGFR change."), small_cell)
    assert not about_another_subtype(unit("Small cell lung cancer often responds to chemo at first."), small_cell)
    # set 21 (spent): an outlook answer for extensive-stage small cell listed the kinds of non-small cell
    assert about_another_subtype(unit("**Adenocarcinoma.** This is the most common kind."), small_cell)
    assert not about_another_subtype(unit("Some people with early CLL never need treatment."), frozenset())


@pytest.mark.parametrize(
    ("question", "other_setting", "own_setting"),
    [  # the spent answer sets' wrong-setting lines (sets 19, 22, 25)
        (
            "my mum was just diagnosed with small cell lung cancer, extensive stage. how is it normally treated",
            "Limited stage: surgery, but only for some very small tumors that have not reached the lymph nodes",
            "Extensive-stage small cell lung cancer can rarely be cured.",
        ),
        (
            "dad has muscle invasive bladder cancer and theyre talking about removing the bladder",
            "Non-muscle-invasive means the cancer has not grown into the bladder's muscle wall.",
            "Cancer in the muscle is often treated with medicine first, then surgery to remove the bladder.",
        ),
        (
            "Done with chemo for stage 3C high grade serous ovarian cancer, now on niraparib. what does follow-up look like",
            "For low-grade serous cancer with a KRAS change, avutometinib plus defactinib is an option.",
            "Low-grade serous cancer grows slowly and responds less well to chemotherapy than high-grade serous cancer.",
        ),
        (
            "had a right hemicolectomy for bowel cancer last year, stage 2, just had my 1 year CT",
            "Some rectal cancers disappear with treatment, so surgery may not be needed.",
            "If your whole colon was not checked before surgery, you may need a colonoscopy within 3 to 6 months.",
        ),
        (  # set 27: a 3+3 man got Grade Group 2 surveillance lines
            "low risk prostate cancer, Gleason 3+3, PSA 5.8, they recommend active surveillance. how safe is that",
            "Active surveillance can be a safe choice for some men with Gleason 3+4=7 (Grade Group 2).",
            "Gleason 3+3 (Grade Group 1) cancer almost never spreads.",
        ),
        (  # set 27: "for a guy" got egg freezing
            "im 24 with hodgkin lymphoma, what does each treatment do to fertility for a guy",
            "There is often time to freeze eggs before stronger chemotherapy, such as escalated BEACOPP.",
            "Because the risk is not zero, men are usually offered sperm banking before starting.",
        ),
        (  # set 27: a 24-year-old was told how long treatment takes for children and teenagers
            "I'm 24 with stage 4B classical Hodgkin lymphoma and they're offering escalated BEACOPP",
            "Hodgkin lymphoma treatment for children and teenagers usually takes about 2 months of chemotherapy.",
            "Stronger chemotherapy, such as BEACOPP, carries a higher risk to fertility.",
        ),
        (
            "our 6 yr old has B-cell ALL, standard risk, what does maintenance involve",
            "Blinatumomab is used for adults with B-cell ALL that has come back.",
            "Most children feel fairly well during maintenance and can go back to school.",
        ),
        (
            "my daughter is 19 and starting chemo for ALL, can she still have kids later",
            "Because the risk is not zero, men are usually offered sperm banking before starting.",
            "The hormone injections for egg freezing can start at any point in the monthly cycle.",
        ),
    ],
)
def test_a_sentence_about_another_setting_of_the_same_cancer_is_left_out(
    question: str, other_setting: str, own_setting: str
) -> None:
    """Kinds and settings within one cancer (stage groups, muscle invasion, serous grade, colon or rectum) are read
    like the leukaemia subtypes: a sentence naming only another is left out, one naming both or neither stays."""
    from chains.answer.selection import about_another_subtype, subtypes_named
    from chains.answer.units import Unit

    asked = subtypes_named(question)
    assert about_another_subtype(Unit(other_setting, "doc", "Heading", 0.5, 0, 0), asked)
    assert not about_another_subtype(Unit(own_setting, "doc", "Heading", 0.5, 0, 0), asked)


def test_a_kind_told_earlier_in_the_conversation_counts_for_a_follow_up() -> None:
    """Spent sets 20-27: a second turn ("how often do they scan her after that") carries no kind of its own, so
    the kind the patient named earlier (limited stage small cell; AML; the UK) decides, unless the question names
    another of the same family."""
    from chains.answer.selection import about_another_subtype, subtypes_in_conversation
    from chains.answer.units import Unit

    def unit(text: str) -> Unit:
        return Unit(text, "doc", "Heading", 0.5, 0, 0)

    earlier = ("my sister has limited stage small cell lung cancer. shes had 4 rounds of carboplatin etoposide",)
    asked = subtypes_in_conversation("how often do they scan her after that, and for how long", earlier)
    assert about_another_subtype(unit("After treatment for early non-small cell cancer, a CT scan is done."), asked)
    assert not about_another_subtype(unit("Small cell lung cancer often comes back in the first 2 years."), asked)
    # the question's own kind wins over an earlier one of the same family
    switched = subtypes_in_conversation("and what about AML, is it the same?", ("my dad has CLL",))
    assert about_another_subtype(unit("Some people with early CLL never need treatment."), switched)
    assert subtypes_in_conversation("what is the outlook?") == frozenset()


def test_a_sentence_or_page_about_another_countrys_services_is_left_out() -> None:
    """Set 23's first run: "im in the US and just got a bill for $14,000" was answered from the UK money page
    (critical illness cover, PIP). Where the question says the country, the other country's pages and sentences
    are left out; a sentence naming both, or neither, stays."""
    from chains.answer.selection import about_another_subtype, subtypes_named
    from chains.answer.units import Unit

    def unit(text: str) -> Unit:
        return Unit(text, "doc", "Heading", 0.5, 0, 0)

    us = subtypes_named("im in the US and just got a bill for $14,000 for my first infusion. is there any help")
    uk_page = "Money Help in the UK: Benefits, Grants, Travel Costs and Insurance"
    assert about_another_subtype(unit("Critical illness cover pays a one-off sum."), us, uk_page)
    assert about_another_subtype(unit("In the UK, Universal Credit can help if your income drops."), us)
    assert not about_another_subtype(unit("Call 999 in the UK or 911 in the US."), us)
    assert not about_another_subtype(
        unit("A financial navigator can explain your bill."), us, "Costs and Money Worries"
    )
    uk = subtypes_named("im in the uk, can i get help with travel costs to the hospital")
    assert about_another_subtype(unit("In the US, COBRA lets you keep your work health plan for a time."), uk)


def test_a_follow_up_that_only_points_back_is_scored_with_the_question_before() -> None:
    from chains.answer.selection import FOLLOW_UP_MARK, own_words

    carried = f"is that good news?{FOLLOW_UP_MARK} my grandson's MRD was negative at day 29)"
    assert "MRD was negative" in own_words(carried)
    named = f"and when can i have my vaccinations again after ABVD{FOLLOW_UP_MARK} i finished ABVD last week)"
    assert own_words(named) == "and when can i have my vaccinations again after ABVD"


def test_am_i_allowed_opens_an_asking_clause() -> None:
    """Set 22: "…also am i allowed runny eggs and takeaways" was not read as a question of its own."""
    from chains.understand.asks import asking_clauses

    clauses = asking_clauses("can i still keep my cat? also am i allowed runny eggs and takeaways or is that a no")
    assert "also am i allowed runny eggs and takeaways" in clauses


def test_a_sentence_to_someone_supporting_a_friend_needs_a_friend_in_the_question() -> None:
    """Set 23's first run told a grandmother "If your friend seems very low for weeks…"."""
    from chains.answer.selection import about_another_person
    from chains.answer.units import Unit

    friend = Unit("If your friend seems very low for weeks, suggest talking to a GP.", "doc", "Heading", 0.5, 0, 0)
    assert about_another_person(friend, "will she go back to her normal self, my daughter is exhausted")
    assert not about_another_person(friend, "my friend finished treatment and has gone quiet, is that common")
    # set 25: a 24-year-old was told to ask "how long your child's treatment will take"; a parent keeps it
    child = Unit("Ask the team how long your child's treatment will take.", "doc", "Heading", 0.5, 0, 0)
    assert about_another_person(child, "im 24 female with hodgkins stage 3b, can i freeze eggs before starting")
    assert not about_another_person(child, "our 6yr old has hodgkin lymphoma. how long does treatment last")
    assert not about_another_person(child, "my son is 17 and just been diagnosed with hodgkin lymphoma")


def test_whose_body_the_question_is_about_keeps_sentences_for_both_or_neither() -> None:
    """A man's fertility question keeps lines about men and women alike, and lines naming no one; a question
    naming no sex keeps everything (the sex family is read like the subtypes)."""
    from chains.answer.selection import about_another_subtype, subtypes_named
    from chains.answer.units import Unit

    def unit(text: str) -> Unit:
        return Unit(text, "doc", "Heading", 0.5, 0, 0)

    guy = subtypes_named("what does each do to fertility for a guy")
    assert not about_another_subtype(
        unit("ABVD has a low risk of lasting infertility, and most men and women can have children after it."), guy
    )
    assert not about_another_subtype(unit("Ask for a fertility referral as soon as treatment is suggested."), guy)
    assert not about_another_subtype(unit("Eggs, beans and fish are good sources of protein."), guy)
    nobody = subtypes_named("will chemo affect my fertility")
    assert not about_another_subtype(unit("There is often time to freeze eggs before stronger chemotherapy."), nobody)
