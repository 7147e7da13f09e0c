"""The shipped answer-sentence ranker fits the features the selector computes, and grades them sensibly."""

from __future__ import annotations

import numpy as np

from chains.answer.ranking import SIGNALS, VECTOR_SIZE, default_ranker, feature_matrix


def test_the_shipped_ranker_reads_the_features_the_selector_writes() -> None:
    ranker = default_ranker()
    assert ranker is not None, "chains/answer/ranker.joblib is missing: run chains.answer.train_ranker"
    assert ranker.model.n_features_in_ == len(SIGNALS) + VECTOR_SIZE
    assert sorted(int(c) for c in ranker.model.classes_) == [0, 1, 2]


def test_a_sentence_close_to_the_question_outranks_one_far_from_it() -> None:
    ranker = default_ranker()
    assert ranker is not None
    question = np.ones(VECTOR_SIZE, dtype=np.float32) / np.sqrt(VECTOR_SIZE)
    near = {name: 0.0 for name in SIGNALS} | {
        "passage": 0.6,
        "fit": 0.7,
        "fit_ask": 0.7,
        "fit_whole": 0.7,
        "words": 3.0,
    }
    near |= {"own_words": 3.0, "heading": 1.0, "hand_score": 1.6}
    far = {name: 0.0 for name in SIGNALS} | {"passage": 0.6, "fit": 0.05, "fit_ask": 0.05, "fit_whole": 0.05}
    far |= {"fit_below_best": 0.65, "fit_ask_below_best": 0.65, "words_below_best": 3.0, "own_words_below_best": 3.0}
    far |= {"doc_rank": 3.0, "hand_score": 0.4, "study_talk": 2.0}
    grades = ranker.grades(feature_matrix([near, far], question, [question, None]))
    assert grades.score()[0] > grades.score()[1]
    assert grades.off[1] > grades.off[0]
