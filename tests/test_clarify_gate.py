"""The clarify-before-answering gate against the labelled set (tests/data/clarify_cases.jsonl).

Floors from the product issue: F1 ≥ 0.95 for "needs clarification", false clarification ≤ 2% on complete
messages, the intended word among the offered completions for ≥ 90% of mid-word cuts of domain terms, and
≥ 90% of multi-turn conversations passing end to end (gate → clarification → merged question). Each floor
fails with the worst cases listed. Plus focused tests of the reference messages and spelling corrections.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chains.understand.clarify.gate import GateResult, assess_message
from chains.understand.clarify.reply import clarification_message, merge_reply
from chains.understand.followups import rewrite_followup
from chains.understand.memory import ConversationState, PendingClarification
from chains.understand.vocabulary import Vocabulary, default_vocabulary

CASES = Path(__file__).resolve().parent / "data" / "clarify_cases.jsonl"
REFERENT_KINDS = ("drug", "treatment", "test")  # a history naming one of these gives "it" something to mean
FOCUS_KINDS = ("drug", "treatment", "condition", "test")
REFERENCE = (
    "Can you suggest integrative approaches? Possibly i can stop the progression. With offlabels for example neutr"
)
SHOW = 15  # worst cases listed in a failure message


@dataclass(frozen=True)
class Outcome:
    """One single-message case with the gate's decision."""

    record: dict[str, Any]
    result: GateResult

    @property
    def gold(self) -> bool:
        return bool(self.record["needs_clarification"])

    def describe(self) -> str:
        r = self.record
        return f"{r['id']} [{r['kind']} → {self.result.kind}: {self.result.reason}] {r['message']!r} {self.result.candidates}"


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    """The process-wide vocabulary, built once for this module."""
    return default_vocabulary()


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines() if line.strip()]


def _has_referent(history: list[str], vocabulary: Vocabulary) -> bool:
    return any(vocabulary.find_entities(text, kinds=REFERENT_KINDS) for text in history)


@pytest.fixture(scope="module")
def outcomes(records: list[dict[str, Any]], vocabulary: Vocabulary) -> list[Outcome]:
    found = []
    for record in records:
        if record["group"] == "multiturn":
            continue
        history = [turn["content"] for turn in record.get("history", [])]
        result = assess_message(record["message"], vocabulary, history, has_referent=_has_referent(history, vocabulary))
        found.append(Outcome(record, result))
    return found


def _listing(cases: list[str]) -> str:
    more = f"\n  … and {len(cases) - SHOW} more" if len(cases) > SHOW else ""
    return "\n  " + "\n  ".join(cases[:SHOW]) + more


def _same_word(candidate: str, intended: str) -> bool:
    return candidate.lower().rstrip("s") == intended.lower().rstrip("s")


# --- floors over the labelled set -------------------------------------------------------------------
def test_labelled_set_size(outcomes: list[Outcome], records: list[dict[str, Any]]) -> None:
    assert len(records) >= 400
    assert sum(r["group"] == "multiturn" for r in records) >= 30
    assert sum(o.record["group"].startswith("hand_") for o in outcomes) >= 100


def test_needs_clarification_f1_floor(outcomes: list[Outcome]) -> None:
    tp = sum(o.gold and o.result.needs_clarification for o in outcomes)
    fp = [o for o in outcomes if not o.gold and o.result.needs_clarification]
    fn = [o for o in outcomes if o.gold and not o.result.needs_clarification]
    precision = tp / (tp + len(fp)) if tp + len(fp) else 0.0
    recall = tp / (tp + len(fn)) if tp + len(fn) else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    worst = [f"FP {o.describe()}" for o in fp] + [f"FN {o.describe()}" for o in fn]
    assert f1 >= 0.95, f"F1 {f1:.3f} (P {precision:.3f}, R {recall:.3f}) below 0.95:{_listing(worst)}"


def test_false_clarification_floor(outcomes: list[Outcome]) -> None:
    complete = [o for o in outcomes if not o.gold]
    flagged = [o.describe() for o in complete if o.result.needs_clarification]
    rate = len(flagged) / len(complete)
    assert rate <= 0.02, f"false clarification {rate:.1%} of {len(complete)} complete messages:{_listing(flagged)}"


def test_intended_word_among_completions_floor(outcomes: list[Outcome]) -> None:
    cuts = [
        o
        for o in outcomes
        if o.record["kind"] == "cut_off" and o.record.get("domain_term") and o.record.get("intended")
    ]
    missed = [
        f"{o.describe()} intended {o.record['intended']!r}"
        for o in cuts
        if not any(_same_word(c, o.record["intended"]) for c in o.result.candidates)
    ]
    share = 1 - len(missed) / len(cuts)
    assert share >= 0.90, f"intended word offered for {share:.1%} of {len(cuts)} domain-term cuts:{_listing(missed)}"


def test_every_cut_off_offers_at_most_three_distinct_words(outcomes: list[Outcome]) -> None:
    for outcome in outcomes:
        candidates = outcome.result.candidates
        if outcome.result.kind == "cut_off":
            assert len(candidates) <= 3 and len(set(candidates)) == len(candidates), outcome.describe()


# --- multi-turn: gate → clarification → merged (standalone) question --------------------------------
def _mentions(question: str, word: str, vocabulary: Vocabulary) -> bool:
    """``word`` is in the question, or names an entity whose canonical name is ("enhertu" ~ trastuzumab deruxtecan)."""
    text, word = question.lower(), word.lower()
    entity = vocabulary.alias_to_entity.get(word)
    return word in text or (entity is not None and entity.canonical in text)


def _run_conversation(record: dict[str, Any], vocabulary: Vocabulary) -> list[str]:
    """Play the turns through the gate, the merge and memory's follow-up rewrite; return the failures."""
    failures: list[str] = []
    history: list[str] = []
    state = ConversationState("multiturn-test")
    pending: PendingClarification | None = None
    for number, turn in enumerate(record["turns"], 1):
        message = turn["message"]
        question: str | None = None
        if pending is not None:
            question = merge_reply(pending, message, vocabulary).question
            pending, kind = None, "answer"
        else:
            result = assess_message(message, vocabulary, history, has_referent=_has_referent(history, vocabulary))
            if result.needs_clarification:
                kind = "clarification"
                pending = PendingClarification(message, result.kind, result.fragment, list(result.candidates))
                options = clarification_message(result).options
                wanted = turn.get("expect_option")
                if wanted and not any(wanted.lower() in option.lower() for option in options):
                    failures.append(f"turn {number}: option {wanted!r} not in {options}")
            else:
                kind = "answer"
                question = rewrite_followup(message, state, vocabulary).standalone
        if kind != turn["expect_kind"]:
            failures.append(f"turn {number}: {message!r} gave {kind}, expected {turn['expect_kind']}")
        for word in turn.get("expect_standalone_contains") or []:
            if question is None or not _mentions(question, word, vocabulary):
                failures.append(f"turn {number}: {word!r} not in standalone {question!r}")
        if question:
            state.note_focus([m.canonical for m in vocabulary.find_entities(question, kinds=FOCUS_KINDS)])
        history.append(message)
    return failures


def test_multiturn_conversations_floor(records: list[dict[str, Any]], vocabulary: Vocabulary) -> None:
    conversations = [r for r in records if r["group"] == "multiturn"]
    failed = []
    for record in conversations:
        failures = _run_conversation(record, vocabulary)
        if failures:
            failed.append(f"{record['id']}: " + "; ".join(failures))
    share = 1 - len(failed) / len(conversations)
    assert share >= 0.90, f"{share:.1%} of {len(conversations)} conversations pass:{_listing(failed)}"


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


@pytest.mark.parametrize("message", ["what about its side effects?", "is it safe?", "how does it work"])
def test_referent_less_first_message(vocabulary: Vocabulary, message: str) -> None:
    assert assess_message(message, vocabulary, has_referent=False).kind == "no_referent"
    assert assess_message(message, vocabulary, has_referent=True).kind == "none"


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


def test_known_words_are_not_corrected(vocabulary: Vocabulary) -> None:
    for word in ("ribociclib", "taking", "neutropenia", "her2-low", "kisqali"):
        assert vocabulary.correction(word) is None, word


def test_a_fresh_set_written_without_seeing_the_gate(vocabulary) -> None:
    """tests/data/clarify_fresh_v2.jsonl: 120 first messages written by a helper session that never saw the gate.
    First run: precision 0.962, recall 0.833 (F1 0.893), 2/60 false clarifications. After general fixes it is a
    regression floor, with the misses that remain listed in docs/BENCHMARKS.md."""
    from tests.conftest import read_jsonl

    cases = read_jsonl("clarify_fresh_v2.jsonl")
    assert len(cases) == 120
    flagged = {c["message"]: assess_message(c["message"], vocabulary, (), has_referent=False) for c in cases}
    positives = [c for c in cases if c["needs_clarification"]]
    complete = [c for c in cases if not c["needs_clarification"]]
    caught = [c for c in positives if flagged[c["message"]].needs_clarification]
    false = [c["message"] for c in complete if flagged[c["message"]].needs_clarification]
    assert len(false) <= 0.05 * len(complete), false
    assert len(caught) >= 0.9 * len(positives), [c["message"] for c in positives if c not in caught]
