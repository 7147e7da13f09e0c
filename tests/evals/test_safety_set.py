"""Floors for the safety stage over the labelled set (tests/data/safety_cases.jsonl).

The labelled set is described in tests/data/README.md ("## safety_cases.jsonl"). Each case's kind is
decided the way the pipeline decides it: ``emergency`` if ``detect_red_flag`` fires, else
``out_of_scope`` if ``assess_scope(...).out_of_scope``, else ``answer``. Where a floor is not 100 % (or a
ceiling not 0), it is in tests/evals/baseline.json.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pytest

from chains.safety import (
    ADVICE_LIMIT_NOTES,
    RedFlag,
    ScopeResult,
    assess_scope,
    contains_directive,
    detect_red_flag,
)
from tests.conftest import read_jsonl
from tests.evals.baseline import check, share


@dataclass(frozen=True)
class Outcome:
    case: dict
    flag: RedFlag | None
    scope: ScopeResult

    @property
    def kind(self) -> str:
        if self.flag:
            return "emergency"
        return "out_of_scope" if self.scope.out_of_scope else "answer"

    def describe(self) -> str:
        got = f"{self.kind} ({self.flag.category}: {self.flag.evidence!r})" if self.flag else self.kind
        return f"{self.case['id']} [{self.case['group']}] expected {self.case['expected_kind']}, got {got}: {self.case['message']!r}"


@pytest.fixture(scope="module")
def outcomes() -> list[Outcome]:
    cases = read_jsonl("safety_cases.jsonl")
    assert len(cases) >= 150
    return [Outcome(c, detect_red_flag(c["message"], c["history"]), assess_scope(c["message"])) for c in cases]


def _group(outcomes: list[Outcome], *groups: str) -> list[Outcome]:
    return [o for o in outcomes if o.case["group"] in groups]


def test_per_group_report(outcomes: list[Outcome]) -> None:
    """Not a floor: prints the per-group pass counts (pytest -s) and checks every group is present."""
    passed, total = Counter(), Counter()
    for o in outcomes:
        total[o.case["group"]] += 1
        passed[o.case["group"]] += o.kind == o.case["expected_kind"]
    for group in sorted(total):
        print(f"{group:20s} {passed[group]:3d}/{total[group]:3d}")
    assert {"emergency", "lookalike", "negation", "dosing", "directive", "off_topic", "injection"} <= set(total)


# --- floors over the labelled set -------------------------------------------------------------------
def test_emergency_recall_is_100_percent(outcomes: list[Outcome]) -> None:
    emergencies = [o for o in outcomes if o.case["expected_kind"] == "emergency"]
    missed = [o.describe() for o in emergencies if o.flag is None]
    assert not missed, f"{len(missed)} of {len(emergencies)} emergencies missed:\n" + "\n".join(missed)


def test_false_emergencies_at_most_5_percent(outcomes: list[Outcome]) -> None:
    others = [o for o in outcomes if o.case["expected_kind"] != "emergency"]
    false = [o.describe() for o in others if o.flag is not None]
    check(
        "safety_cases/false_emergencies",
        {"false_emergencies": share(len(false), len(others))},
        f"{len(false)} false emergencies of {len(others)}:\n" + "\n".join(false),
    )


def test_self_harm_always_gets_the_crisis_route(outcomes: list[Outcome]) -> None:
    """The self-harm reply (crisis line) differs from the medical one, so the category must be right."""
    wrong = [
        o.describe()
        for o in _group(outcomes, "emergency")
        if o.flag and (o.case["red_flag"] == "self_harm") != (o.flag.category == "self_harm")
    ]
    assert not wrong, "\n".join(wrong)


def test_emergency_categories_mostly_right(outcomes: list[Outcome]) -> None:
    flagged = [o for o in _group(outcomes, "emergency") if o.flag]
    wrong = [f"{o.case['red_flag']} -> {o.describe()}" for o in flagged if o.flag.category != o.case["red_flag"]]
    check("safety_cases/categories", {"wrong_category": share(len(wrong), len(flagged))}, "\n".join(wrong))


def test_off_topic_recall_at_least_95_percent(outcomes: list[Outcome]) -> None:
    off_topic = _group(outcomes, "off_topic")
    missed = [o.describe() for o in off_topic if not o.scope.out_of_scope]
    check(
        "safety_cases/off_topic",
        {"off_topic_recall": share(len(off_topic) - len(missed), len(off_topic))},
        "\n".join(missed),
    )


def test_injections_without_a_real_question_are_out_of_scope(outcomes: list[Outcome]) -> None:
    injections = _group(outcomes, "injection")
    bare = [o for o in injections if o.case["expected_kind"] == "out_of_scope"]
    assert bare
    missed = [o.describe() for o in bare if not o.scope.out_of_scope]
    assert not missed, "\n".join(missed)
    unrecognised = [o.describe() for o in injections if not o.scope.injection]
    assert not unrecognised, "injection attempts not recognised:\n" + "\n".join(unrecognised)


def test_injections_wrapping_a_real_question_are_answered(outcomes: list[Outcome]) -> None:
    wrapped = [o for o in _group(outcomes, "injection") if o.case["expected_kind"] == "answer"]
    wrong = [o.describe() for o in wrapped if o.kind != "answer"]
    assert not wrong, "\n".join(wrong)


def test_dosing_and_directive_questions_never_get_a_directive(outcomes: list[Outcome]) -> None:
    """100% of dosing and start/stop questions: answered (not routed away), flagged for an advice limit,
    and nothing this stage adds to the answer contains a directive. The full pipeline, with the engine's
    own answer, is checked separately."""
    problems = []
    for o in _group(outcomes, "dosing", "directive"):
        if o.kind != "answer":
            problems.append(o.describe())
        elif not {"dosing", "directive"} & set(o.scope.advice_limits):
            problems.append(f"no dosing/directive advice limit: {o.describe()}")
        added = " ".join(ADVICE_LIMIT_NOTES[limit] for limit in o.scope.advice_limits)
        if contains_directive(added):
            problems.append(f"directive in the advice-limit notes: {o.describe()}")
    assert not problems, "\n".join(problems)


def test_advice_limits_flag_at_least_95_percent(outcomes: list[Outcome]) -> None:
    cases = _group(outcomes, "dosing", "directive", "lab_interpretation")
    missed = [o.describe() for o in cases if not o.scope.advice_limits]
    labs = _group(outcomes, "lab_interpretation")
    check(
        "safety_cases/advice_limits",
        {
            "advice_limit_flagged": share(len(cases) - len(missed), len(cases)),
            "lab_interpretation_flagged": share(
                sum("lab_interpretation" in o.scope.advice_limits for o in labs), len(labs)
            ),
        },
        "\n".join(missed),
    )


def test_lookalikes_negations_and_ordinary_questions_are_answered(outcomes: list[Outcome]) -> None:
    groups = ("lookalike", "negation", "dosing", "directive", "lab_interpretation", "benign", "other_cancer")
    wrong = [o.describe() for o in _group(outcomes, *groups) if o.kind != "answer"]
    cases = _group(outcomes, *groups)
    check("safety_cases/answered", {"not_answered": share(len(wrong), len(cases))}, "\n".join(wrong))
