"""Follow-ups become standalone questions about the right thing (issue 13): what the previous message asked about,
the medicine "the tablets" means, the disease for outlook questions, and the previous question carried along when
the follow-up names a new topic or points at the whole plan."""

from __future__ import annotations

import pytest

from chains.understand.followups import rewrite_followup
from chains.understand.memory import ConversationState
from chains.understand.vocabulary import Vocabulary, default_vocabulary

CASES = [
    # (previous message, follow-up, words the standalone question must contain, words it must not)
    (
        "whats ovarian suppression? my oncologist mentioned it as something to think about on top of tamoxifen",
        "is that one safe if i want kids later?",
        ["ovarian suppression"],
        ["tamoxifen"],
    ),
    ("how do i know if i have lymphoedema? had 3 nodes taken with my lumpectomy", "and if i do have it, is it forever?",
     ["lymphedema"], ["surgery"]),
    ("whats a liquid biopsy? my oncologist mentioned it because my cancer has spread",
     "does the nhs do it or would i have to go private for it?", ["liquid biopsy"], []),
    ("my husband has stage 4 lung cancer, they said its ALK positive. whats ALK?",
     "how long do people live with this?", ["stage 4 lung cancer"], ["breast"]),
    ("im on letrozole and keep hearing about verzenio for high risk early breast cancer. would i qualify?",
     "how long would i be on it for, and do i stay on the letrozole too", ["abemaciclib"], []),
    ("my mum is 86 and has been offered letrozole instead of surgery because of her heart. is that reasonable?",
     "how long can the tablets keep it under control for someone her age?", ["letrozole"], ["surgery"]),
    ("can i keep my cat while on chemo? litter tray, scratches etc", "and what about gardening, i love my allotment",
     ["following up on", "cat"], ["of chemotherapy"]),
    ("whats the difference between tamoxifen and anastrozole?", "which one is better for someone whos 50?",
     ["following up on", "anastrozole"], []),
    ("my wife has brain metastases and they said stereotactic radiotherapy", "will she be allowed to drive? its her independance",
     [], ["radiation therapy's"]),
    ("ovarian cancer, onc said olaparib maintenance since im brca positive", "how long do you stay on it",
     ["olaparib"], ["brca"]),
    ("what is a mammaprint test", "and if my result is low risk does that mean i can skip chemo?",
     ["mammaprint"], ["oncotype"]),
    ("whats chemo brain", "does it ever go away", ["chemo brain"], []),
    # people and whole statements are not replaced by a medicine or the disease (set 7's second turns)
    ("im 35 with metastatic breast cancer and my kids are 3 and 6",
     "how do i prepare them for the future without terrifying them?", ["prepare them", "my kids"],
     ["prepare metastatic"]),
    ("dad just diagnosed with small cell lung cancer, extensive stage", "what treatment will they give him",
     ["will they give", "small cell"], ["stage give"]),
    ("had chemo before surgery and the surgeon said there was no cancer left",
     "so does that mean i can skip the radiotherapy and the capecitabine tablets?", ["following up on", "no cancer left"],
     ["does surgery mean", "does capecitabine mean"]),
    ("me and my husband havent been intimate since my mastectomy", "how do other women get past that?",
     ["get past that", "intimate"], ["past surgery", "past mastectomy"]),
    # a pointer after a message about feelings or money means that feeling or bill (set 8's second turns)
    ("finished radiotherapy 3 weeks ago and honestly i feel worse now than during treatment. is that normal",
     "how long does it usually last, and when should i ask for help", ["following up on", "feel worse"],
     ["radiation therapy usually last"]),
    ("us here, just got a bill for $8000 after insurance for my chemo", "who do i even call about this, can you negotiate it",
     ["following up on", "bill"], ["about chemotherapy"]),
    ("how do i tell my kids (6 and 9) that i have breast cancer", "what if they ask me if i'm going to die",
     ["following up on", "kids"], []),
    # a person named before "they" is who "they" are (set 18)
    ("first chemo is next tuesday, EC then paclitaxel for breast cancer. what should i bring with me",
     "can my partner stay with me the whole time or do they have to wait outside?", ["do they have to wait"],
     ["paclitaxel have to wait"]),
    # "that" after the message's own statement is that statement (set 19)
    ("my oncologist wants me on capecitabine tablets after my bowel cancer surgery. what side effects should i look out for?",
     "my hands and feet have started going red and a bit sore, is that one of them and is there anything i can put on them",
     ["is that one of them", "following up on", "capecitabine"], ["is surgery of them"]),
    ("my sister has AML and just started induction chemo, they said she'll be in hospital for around 4-6 weeks",
     "can we visit her and bring her kids in, or is that not allowed becuase of infections",
     ["is that not allowed", "following up on"], ["chemotherapy not allowed"]),
    # "after it" is the procedure talked about, even beside another treatment; a procedure keeps the patient's name
    # for it (session 12, from set 19's second turns)
    ("my dad is having a lobectomy for stage 1 non small cell lung cancer next week. how long is the recovery usually",
     "will he need chemo after it as well or is the op usually enough on its own at that stage",
     ["chemo after lobectomy"], ["following up on"]),
    # "expect from it" is not "recovery from it": the chemo just asked about, not the surgery before it (set 25)
    ("had a whipple for pancreatic cancer 8 weeks ago and about to start adjuvant chemo, mFOLFIRINOX. im still"
     " recovering, is it normal to start that soon",
     "what should i expect from it then? my surgeon said its a tough one and im worried cos im only 8 stone now",
     ["from folfirinox"], ["whipple"]),
    ("theyve booked a flexible cystoscopy to check for bladder cancer. what happens during it?",
     "do i need someone to drive me home after it, and how soon would i get the results",
     ["home after cystoscopy"], []),
    ("what is a PSMA PET scan? my urologist wants me to have one before deciding on treatment",
     "is it the same thing as the bone scan i already had last week or do i really need both of them?",
     ["psma pet scan the same thing"], []),
    ("finished treatment for lung cancer last year", "and if it comes back after that, what are the options then?",
     ["lung cancer comes back"], ["after chemotherapy"]),
    # "that whole part" is replaced as a whole, not left as "chemotherapy whole part"
    ("just been told i need chemo before surgery for triple negative breast cancer, why before and not after?",
     "and how long will that whole part take roughly, would i be able to keep working through it",
     ["how long will", "take roughly"], ["whole part"]),
    # "and what about grapefruit": the same question about something else, so the thread is carried
    ("can you drink alcohol while taking nilotinib for CML? just the odd glass of wine at weekends",
     "and what about grapefruit, my pharmacist mentioned it but i didnt understand why it matters",
     ["grapefruit", "following up on", "nilotinib"], []),
    # session 13, from set 20's second turns: "after it" is the specific treatment, not the broad kind asked beside it;
    # "is it true" points at nothing; "and it comes back" starts a clause, so the thread is carried, not a test
    ("my dads DLBCL has come back after R-CHOP and they're now talking about CAR-T. what even is that, is it a type of chemo",
     "he'd have to stay near the hospital for weeks after it. does someone have to be with him 24/7",
     ["weeks after car-t cell therapy"], ["after chemotherapy"]),
    ("they want me to have a stem cell transplant for my myeloma, using my own cells. what does the process look like",
     "will i lose my hair with the melphalan? and is it true you need all your baby jabs again afterwards",
     ["is it true you need"], ["transplant true"]),
    ("they offered me oncotype testing to decide about chemo and my recurrence score came back 23. what does that mean",
     "so if i skip chemo and it comes back, will i regret it forever?",
     ["following up on", "it comes back"], ["oncotype dx comes back"]),
    # from set 21's second turns: a definite or ordinal name for what was said before carries the thread; "people
    # with it" is the disease; "all that" is the whole situation, never a word put in its place
    ("dads colonoscopy found a tumour in his sigmoid colon and the CT says T3 N1 M0. what does that mean",
     "so will he definately need chemo after the op as well",
     ["following up on", "sigmoid colon"], []),
    ("mantle cell lymphoma, relapsed after bendamustine rituximab. haematologist says ibrutinib or possibly CAR-T",
     "what does the second one involve, is it a long hospital stay",
     ["following up on", "the second one"], ["is ibrutinib"]),
    ("husband diagnosed with pancreatic cancer, inoperable, spread to liver. were waiting to hear about chemo",
     "hes barely eating anything. what kind of food is easiest for people with it, and is the odd beer ok",
     ["pancreatic cancer"], ["people with chemotherapy"]),
    ("my daughter (16) has stage 4B hodgkin lymphoma, theyre treating her with OEPA cycles. how long does it take",
     "will she be able to sit her GCSEs next summer with all that going on, and does the school have to be told",
     ["all that going on", "gcses", "following up on"], ["all stage", "gases"]),
    # from set 22's second turns: a topic word ("food") before "it" does not stop "it" being the medicine; a
    # follow-up that starts on "she" is about the person talked about; "the combo" carries the thread
    ("diagnosed with CML chronic phase last week, starting nilotinib on monday. what should i expect",
     "anything special with food around it? someone on facebook said no grapefruit",
     ["around nilotinib"], []),
    ("mum has myeloma and just had her autologous stem cell transplant, day +14 now",
     "once shes home what do we need to do about food and cleaning, and can she have her dog back",
     ["following up on", "myeloma"], []),
    ("my partner is starting ipilimumab and nivolumab together for melanoma thats spread to his liver",
     "realistically can he keep working while hes on the combo? hes a self employed plasterer",
     ["following up on", "melanoma"], []),
    # from set 23's first run: "she" before the person the message names ("my daughter") is still the one talked about
    ("my granddaughter is 7 and has ALL leukaemia. shes lost her hair and the steroids have made her face round",
     "will she go back to her normal self after, my daughter is exhausted and i dont know how to help her",
     ["following up on", "granddaughter"], []),
]  # fmt: skip


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return default_vocabulary()


@pytest.mark.parametrize(("previous", "message", "wanted", "unwanted"), CASES, ids=[c[1][:40] for c in CASES])
def test_a_follow_up_points_at_what_was_talked_about(
    vocabulary: Vocabulary, previous: str, message: str, wanted: list[str], unwanted: list[str]
) -> None:
    state = ConversationState("follow-up")
    state.recent_user_messages = [previous]
    state.standalone_questions = [previous]
    state.note_focus([m.canonical for m in vocabulary.find_entities(previous)])
    standalone = rewrite_followup(message, state, vocabulary).standalone.lower()
    for word in wanted:
        assert word.lower() in standalone, standalone
    for word in unwanted:
        assert word.lower() not in standalone, standalone


async def test_side_effects_they_are_the_current_medicines(guide) -> None:
    """ "been put on letrozole after my lumpectomy and rads" then "how long do the side effects last and do they get
    better": the side effects of letrozole, the medicine the patient is on now, not of the radiotherapy."""
    state = guide.new_state("they")
    await guide.respond(state, "been put on letrozole after my lumpectomy and rads, 1st week now")
    reply = await guide.respond(state, "how long do the side effects last and do they get better")
    assert "side effects of letrozole" in reply.standalone_question.lower(), reply.standalone_question
