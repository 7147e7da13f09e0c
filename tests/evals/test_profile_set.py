"""The deterministic patient-profile extractor against the labelled set in tests/data/profile_cases.jsonl.

Micro precision and recall are computed over (field, value) pairs: list fields compare as sets,
treatment_durations as (drug, duration) pairs, single values as one pair each. Floors: tests/evals/baseline.json.
"""

from __future__ import annotations

from typing import Any

import pytest

from chains.understand.profile.extract import extract_profile
from chains.understand.vocabulary import Vocabulary, default_vocabulary
from tests.conftest import read_jsonl
from tests.evals.baseline import check, share


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return default_vocabulary()


def _cases() -> list[dict[str, Any]]:
    return read_jsonl("profile_cases.jsonl")


def _pairs(profile: dict[str, Any]) -> set[tuple[str, ...]]:
    pairs: set[tuple[str, ...]] = set()
    for name, value in profile.items():
        if isinstance(value, list):
            pairs |= {(name, item) for item in value}
        elif isinstance(value, dict):
            pairs |= {(name, key, item) for key, item in value.items()}
        else:
            pairs.add((name, value))
    return pairs


def test_micro_precision_and_recall(vocabulary: Vocabulary) -> None:
    true_pos = false_pos = false_neg = 0
    failures = []
    for case in _cases():
        got = _pairs(extract_profile(case["message"], vocabulary).to_dict())
        expected = _pairs(case["expected"])
        true_pos += len(got & expected)
        false_pos += len(got - expected)
        false_neg += len(expected - got)
        if got != expected:
            failures.append(
                (len(got ^ expected), case["id"], case["message"], sorted(got - expected), sorted(expected - got))
            )
    precision = true_pos / max(1, true_pos + false_pos)
    recall = true_pos / max(1, true_pos + false_neg)
    failures.sort(key=lambda f: -f[0])
    report = "\n".join(
        f"{case_id} ({errors} wrong): {message[:120]!r}\n    extra: {extra}\n    missing: {missing}"
        for errors, case_id, message, extra, missing in failures[:15]
    )
    print(f"precision {precision:.3f} recall {recall:.3f}; {len(failures)} imperfect cases\n{report}")
    check(
        "profile/extraction",
        {"precision": share(true_pos, true_pos + false_pos), "recall": share(true_pos, true_pos + false_neg)},
        f"precision {precision:.3f} / recall {recall:.3f}; worst cases:\n{report}",
    )
