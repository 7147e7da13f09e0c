"""The clarify-before-answering gate against the labelled sets (tests/data/clarify_cases.jsonl, clarify_fresh_v2.jsonl).

The product issue asked for F1 ≥ 0.95 for "needs clarification", false clarification ≤ 2% on complete messages,
the intended word among the offered completions for ≥ 90% of mid-word cuts of domain terms, and ≥ 90% of
multi-turn conversations passing end to end (gate → clarification → merged question). The gate does better;
tests/evals/baseline.json holds today's figures and the floors just under them. Each floor fails with the worst
cases listed. The focused tests of the reference messages and spelling corrections are in
tests/unit/test_clarify_gate.py.
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
from tests.conftest import read_jsonl
from tests.evals.baseline import Figure, check, share

CASES = Path(__file__).resolve().parents[1] / "data" / "clarify_cases.jsonl"
REFERENT_KINDS = ("drug", "treatment", "test")  # a history naming one of these gives "it" something to mean
FOCUS_KINDS = ("drug", "treatment", "condition", "test")
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
    check(
        "clarify/needs_clarification",
        {
            "f1": Figure(f1, len(outcomes)),
            "precision": share(tp, tp + len(fp)),
            "recall": share(tp, tp + len(fn)),
        },
        f"F1 {f1:.3f} (P {precision:.3f}, R {recall:.3f}):{_listing(worst)}",
    )


def test_false_clarification_floor(outcomes: list[Outcome]) -> None:
    complete = [o for o in outcomes if not o.gold]
    flagged = [o.describe() for o in complete if o.result.needs_clarification]
    rate = len(flagged) / len(complete)
    check(
        "clarify/false_clarification",
        {"false_clarification": share(len(flagged), len(complete))},
        f"false clarification {rate:.1%} of {len(complete)} complete messages:{_listing(flagged)}",
    )


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
    offered = 1 - len(missed) / len(cuts)
    check(
        "clarify/intended_word",
        {"intended_word_offered": share(len(cuts) - len(missed), len(cuts))},
        f"intended word offered for {offered:.1%} of {len(cuts)} domain-term cuts:{_listing(missed)}",
    )


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
    passing = 1 - len(failed) / len(conversations)
    check(
        "clarify/multiturn",
        {"conversations_passing": share(len(conversations) - len(failed), len(conversations))},
        f"{passing:.1%} of {len(conversations)} conversations pass:{_listing(failed)}",
    )


def test_a_fresh_set_written_without_seeing_the_gate(vocabulary) -> None:
    """tests/data/clarify_fresh_v2.jsonl: 120 first messages written by a helper session that never saw the gate.
    First run: precision 0.962, recall 0.833 (F1 0.893), 2/60 false clarifications. After general fixes it is a
    regression floor, with the misses that remain listed in docs/BENCHMARKS.md."""
    cases = read_jsonl("clarify_fresh_v2.jsonl")
    assert len(cases) == 120
    flagged = {c["message"]: assess_message(c["message"], vocabulary, (), has_referent=False) for c in cases}
    positives = [c for c in cases if c["needs_clarification"]]
    complete = [c for c in cases if not c["needs_clarification"]]
    caught = [c for c in positives if flagged[c["message"]].needs_clarification]
    false = [c["message"] for c in complete if flagged[c["message"]].needs_clarification]
    check(
        "clarify/fresh_v2",
        {"recall": share(len(caught), len(positives)), "false_clarification": share(len(false), len(complete))},
        f"false clarifications {false}\nmissed {[c['message'] for c in positives if c not in caught]}",
    )
