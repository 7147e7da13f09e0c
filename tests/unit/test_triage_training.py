"""What ``chains.triage.train`` reads: the training files with their weights from ``training/weights.yaml``, and
candidates only when named."""

from __future__ import annotations

from collections import Counter

from chains.triage.train import CANDIDATES_DIR, TRAINING_DIR, read_training, weights_of


def test_the_answer_sets_are_trained_on_at_their_weight_and_candidates_are_not() -> None:
    rows = read_training()
    authors = {row["author"] for row in rows}
    assert "author15" not in authors
    answer_sets = [row for row in rows if row["author"] == "answer_sets"]
    assert len(answer_sets) == 1116 and {row["weight"] for row in answer_sets} == {0.25}
    assert Counter(row["label"] for row in answer_sets) == {"green": 1088, "amber": 28}
    later_sets = [row for row in rows if row["author"] == "answer_sets_c"]
    assert len(later_sets) == 616 and {row["weight"] for row in later_sets} == {0.25}
    assert Counter(row["label"] for row in later_sets) == {"green": 593, "amber": 17, "red": 6}
    assert {row["weight"] for row in rows if row["author"] not in ("answer_sets", "answer_sets_c")} == {1.0}
    weights = weights_of(rows)
    assert weights is not None and weights.min() == 0.25 and weights.max() == 1.0


def test_a_named_candidate_is_one_more_author_with_its_weight() -> None:
    rows = read_training({CANDIDATES_DIR / "author15.jsonl": 0.5})
    extra = [row for row in rows if row["author"] == "author15"]
    assert len(extra) == 98 and {row["weight"] for row in extra} == {0.5}


def test_every_training_and_candidate_row_is_labelled_like_the_guide() -> None:
    for path in [*sorted(CANDIDATES_DIR.glob("*.jsonl")), *sorted(TRAINING_DIR.glob("answer_sets*.jsonl"))]:
        for row in read_training({path: 1.0}):
            if row["author"] != path.stem:
                continue
            assert row["label"] in {"red", "amber", "green"}, row
            assert row["category"] and isinstance(row["message"], str) and row["message"].strip(), row
            assert (row.get("trap") is not None) == (row["label"] == "green"), row
