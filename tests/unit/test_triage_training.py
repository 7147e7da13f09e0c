"""What ``chains.triage.train`` reads: the training files by default, candidates only when named, with weights."""

from __future__ import annotations

from collections import Counter

from chains.triage.train import CANDIDATES_DIR, read_training, weights_of


def test_candidates_are_not_trained_on_unless_named() -> None:
    authors = {row["author"] for row in read_training()}
    assert "answer_sets" not in authors and "author15" not in authors
    assert weights_of(read_training()) is None  # every weight 1: the unweighted fit, bit for bit


def test_a_named_candidate_is_one_more_author_with_its_weight() -> None:
    rows = read_training({CANDIDATES_DIR / "answer_sets.jsonl": 0.25})
    extra = [row for row in rows if row["author"] == "answer_sets"]
    assert len(extra) == 1116 and {row["weight"] for row in extra} == {0.25}
    assert Counter(row["label"] for row in extra) == {"green": 1088, "amber": 28}
    weights = weights_of(rows)
    assert weights is not None and weights.min() == 0.25 and weights.max() == 1.0


def test_every_candidate_row_is_labelled_like_the_guide() -> None:
    for path in sorted(CANDIDATES_DIR.glob("*.jsonl")):
        for row in read_training({path: 1.0}):
            assert row["label"] in {"red", "amber", "green"}, row
            assert row["category"] and isinstance(row["message"], str) and row["message"].strip(), row
            assert (row.get("trap") is not None) == (row["label"] == "green"), row
