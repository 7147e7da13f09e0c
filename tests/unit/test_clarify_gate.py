"""The clarify-before-answering gate on focused cases: the reference messages, referents, abbreviations and
numbers, complete and incomplete messages, spelling corrections. The floors over the labelled sets
(tests/data/clarify_cases.jsonl, clarify_fresh_v2.jsonl) are in tests/evals/test_clarify_sets.py.
"""

from __future__ import annotations

import pytest

from chains.understand.clarify.gate import assess_message
from chains.understand.clarify.reply import clarification_message, merge_reply
from chains.understand.clarify.shape import ends_trailing
from chains.understand.memory import PendingClarification
from chains.understand.vocabulary import Vocabulary, default_vocabulary

REFERENCE = (
    "Can you suggest integrative approaches? Possibly i can stop the progression. With offlabels for example neutr"
)


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    """The process-wide vocabulary, built once for this module."""
    return default_vocabulary()


# --- focused cases ---------------------------------------------------------------------------------
def test_reference_cut_off_message(vocabulary: Vocabulary) -> None:
    result = assess_message(REFERENCE, vocabulary, has_referent=False)
    assert result.kind == "cut_off"
    assert result.fragment == "neutr"
    assert any(c.startswith("neutrophil") for c in result.candidates), result.candidates
    clarification = clarification_message(result)
    assert '"neutr"' in clarification.text and "integrative approaches" in clarification.text
    assert any(option.startswith("neutrophil") for option in clarification.options)


def test_reference_cut_off_merges_with_the_chosen_completion(vocabulary: Vocabulary) -> None:
    result = assess_message(REFERENCE, vocabulary)
    pending = PendingClarification(REFERENCE, result.kind, result.fragment, list(result.candidates))
    merged = merge_reply(pending, "yes, neutrophil-related", vocabulary)
    assert merged.resolved and merged.question.endswith("for example neutrophils")


def test_reference_trailing_off_message(vocabulary: Vocabulary) -> None:
    message = "Er+ oligomet breast cancer. Have been 5aking ribocyclib for 14 months. Because of my low neutrophils the dose was..."
    result = assess_message(message, vocabulary)
    assert result.kind == "trailing_off"
    assert "reduced" in result.candidates
    assert assess_message("Because of my low neutrophils the dose was...", vocabulary).kind == "trailing_off"


@pytest.mark.parametrize(
    "message", ["what about its side effects?", "is it safe?", "how does it work", "what are their side effects?"]
)
def test_referent_less_first_message(vocabulary: Vocabulary, message: str) -> None:
    assert assess_message(message, vocabulary, has_referent=False).kind == "no_referent"
    assert assess_message(message, vocabulary, has_referent=True).kind == "none"


@pytest.mark.parametrize(
    ("previous", "message"),
    [
        ("my partner finished treatment 6 months ago and is still anxious every single day",
         "is it normal for it to last this long? when should she get help"),
        ("how do i tell my 7 yr old i have cancer", "and what if she asks if im going to die"),
    ],
)  # fmt: skip
def test_a_pointer_after_a_message_about_a_situation_is_not_asked_about(
    vocabulary: Vocabulary, previous: str, message: str
) -> None:
    """The last message is what it points at (set 8's needless "which medicine do you mean?")."""
    assert assess_message(message, vocabulary, [previous], has_referent=False).kind == "none"


def test_referent_from_history(vocabulary: Vocabulary) -> None:
    history = ["I have lymphedema in my right arm", "Lymphedema is swelling caused by a build-up of lymph fluid."]
    assert assess_message("will it go away", vocabulary, history, has_referent=False).kind == "none"
    greeting = ["hi", "Hello! I'm here to help with questions about breast cancer and its treatment."]
    assert assess_message("is it safe?", vocabulary, greeting, has_referent=False).kind == "no_referent"


@pytest.mark.parametrize(
    "message",
    [
        "ER+ PR+ HER2 neg, stage 2",
        "HER2-low and TNBC",
        "Ki-67 was 30%",
        "mets to bone only",
        "chemo starts monday, onc says rads in march",
        "My ANC was 0.9",
        "ribociclib 400 mg",
        "tamoxifen 20 mg daily for 5 yrs",
        "just started T-DXd",
        "MBC dx 2 yrs ago, ER pos",
        "WBC 2.8 today",
    ],
)
def test_abbreviations_and_numbers_are_not_flagged(vocabulary: Vocabulary, message: str) -> None:
    result = assess_message(message, vocabulary, has_referent=False)
    assert result.kind == "none", (result.kind, result.reason)


@pytest.mark.parametrize(
    "message",
    [
        "this is so hard",
        "I'm angry that this happened to me",
        "Thank you for explaining that.",
        "what is this port used for",
        "my ALT is 60, is that something to worry about",
        "nobody understands what I'm going through",
        "my onc says I should exercise more but I don't think I can",
        "I just don't know anymore...",
        "is it normal to be tired all the time on letrozole",
        # A wh-question's stranded preposition, idioms and pronoun uses end complete questions (issue 13).
        "started enhertu for her2 low mets, on my 3rd cycle. what should i be keeping an eye on",
        "my husband starts capox. what are the main side effects i should know about",
        "dabrafenib and trametinib or the immunotherapy drips, which one is better to start with",
        "bcg washes for my bladder, what are the side effects like",
        "why does my friend get tamoxifen and i get the other",
        "she had heart problems on herceptin and they had to stop it for a while",
        "whats a gleason score and what does grade group 2 mean if it turns out to be",
        "starting dara-vtd before a stem cell transplant. whats each drug actually for",
        # a wh-question ending on its copula is complete (set 8)
        "if the cancer comes back, what would the next step be",
        "how bad will the side effects be",
        # set 10's needless "your message seems to stop partway" (a spent set once run)
        "my oncologist mentioned adding abemaciclib. what does it add and whats the diarrhoea like",
        "starting prostap injections. what side effects, my mate said it made him emotional and put weight on",
        "my wife is on tamoxifen. would venlafaxine interfere with the tamoxifen though",
        "starting folfox. what's the cold sensitivity thing they keep warning us about",
        "my parents are in their 80s and i havent told them about my cancer yet. should i, and how",
        # set 17's (a spent set once run)
        "my ca125 was 450 and its 18 now. does that mean the cancer is gone? what number should it be at",
        "what is midostaurin and what is the stem cell transplant thing theyre talking about for later on",
        # set 19's (a spent set once run): a comparison's auxiliary, and "the treatment" of a named cancer
        "whats BCG treatment for bladder cancer? they want to put it in my bladder every week. does it make you feel "
        "ill like chemo does",
        "my 6 year old has just been diagnosed with ALL. how long does the treatment last?",
        # set 23's first run: "what is X and is it…" names its own antecedent in a later sentence too
        "my BCR-ABL result was 0.08% which the nurse said is MMR. what is MMR and is it good?",
        # set 25's first run: "to do" is the verb itself, not do-support waiting for its subject
        "they said chemo might affect my fertility. can i freeze eggs before starting and is there even time to do it",
        "i want to stop smoking before my op but how am i meant to do it",
    ],
)
def test_complete_messages_are_not_flagged(vocabulary: Vocabulary, message: str) -> None:
    result = assess_message(message, vocabulary, has_referent=False)
    assert result.kind == "none", (result.kind, result.reason)


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("Can I combine fulvestrant with", "trailing_off"),
        ("Does Enhertu cause", "trailing_off"),
        ("how long does it", "trailing_off"),
        ("she said it would be", "trailing_off"),
        ("i was going to ask you about", "trailing_off"),
        ("help", "too_little"),
    ],
)
def test_incomplete_messages_are_flagged(vocabulary: Vocabulary, message: str, kind: str) -> None:
    assert assess_message(message, vocabulary).kind == kind


@pytest.mark.parametrize(("typed", "intended"), [("ribocyclib", "ribociclib"), ("5aking", "taking"), ("pysh", "push")])
def test_misspellings_are_corrected(vocabulary: Vocabulary, typed: str, intended: str) -> None:
    assert vocabulary.correction(typed) == intended


@pytest.mark.parametrize("message", ["Have been 5aking ribocyclib for 14 months", "how to pysh cancer into remission"])
def test_misspelt_messages_are_not_clarified(vocabulary: Vocabulary, message: str) -> None:
    assert assess_message(message, vocabulary).kind == "none"


@pytest.mark.parametrize(
    "message", ["we dont really understand what we're aiming for", "not sure what they're looking for"]
)
def test_a_preposition_stranded_after_a_contracted_subject_is_complete(vocabulary: Vocabulary, message: str) -> None:
    """Set 22: "…we dont really understand what we're aiming for" was asked to finish its thought."""
    assert assess_message(message, vocabulary).kind == "none"


def test_capitalised_names_the_patient_typed_are_not_corrected(vocabulary: Vocabulary) -> None:
    """Set 21: "sit her GCSEs next summer" became "sit her Gases"."""
    from chains.understand.spelling import correct_spelling

    text = "will she be able to sit her GCSEs next summer, and can an HGV driver go back to work"
    assert correct_spelling(text, vocabulary) == (text, [])


def test_known_words_are_not_corrected(vocabulary: Vocabulary) -> None:
    for word in ("ribociclib", "taking", "neutropenia", "her2-low", "kisqali"):
        assert vocabulary.correction(word) is None, word


def test_an_auxiliary_after_a_frequency_adverb_ends_a_clause() -> None:
    """Set 19: "…what are the options then? i've heard it often does" was asked to finish its thought."""
    assert not ends_trailing("and if it comes back, what are the options then? i've heard it often does")[0]


def test_the_treatment_without_a_named_cancer_still_asks_which(vocabulary: Vocabulary) -> None:
    assert assess_message("how long does the treatment last", vocabulary, has_referent=False).kind == "no_referent"
