"""The answer-sentence ranker: how likely each candidate sentence is to answer the question (grade 2), to support
the answer (grade 1) or to be about something else (grade 0), learned from people's labels of candidate sentences
(``chains/answer/ranker_training/``, trained by ``chains.answer.train_ranker``).

Its features are the hand-made signals the selector always used (the page's and the sentence's closeness to the
question, the rare question words shared, heading, place, length) and the element-wise product of the question's
and the sentence's vectors, which lets it learn what kind of sentence answers what kind of question.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression

MODEL_PATH = Path(__file__).with_name("ranker.joblib")
SIGNALS = (
    "hand_score",
    "passage",
    "fit",
    "words",
    "heading",
    "doc_rank",
    "order",
    "length",
    "definition",
    "repeated",
    "key_points",
    "list_item",
    "opening",
    "study_talk",
    "numbers",
    "passage_below_best",
    "fit_below_best",
    "words_below_best",
    "fit_ask",
    "fit_whole",
    "fit_ask_below_best",
    "own_words",
    "own_words_below_best",
)
VECTOR_SIZE = 384


@dataclass(frozen=True)
class Grades:
    """Per candidate, the probability of each grade."""

    answers: np.ndarray
    supports: np.ndarray
    off: np.ndarray

    def score(self) -> np.ndarray:
        """What the lead is chosen by: the chance the sentence answers, half credit for support."""
        return self.answers + 0.5 * self.supports


def feature_matrix(
    signals: list[dict[str, float]], question_vector: np.ndarray, vectors: list[np.ndarray | None]
) -> np.ndarray:
    """One row per candidate: its signals, then the product of its vector and the question's (zeros without one)."""
    rows = np.zeros((len(signals), len(SIGNALS) + VECTOR_SIZE), dtype=np.float32)
    for i, (signal, vector) in enumerate(zip(signals, vectors, strict=True)):
        rows[i, : len(SIGNALS)] = [signal[name] for name in SIGNALS]
        if vector is not None:
            rows[i, len(SIGNALS) :] = vector * question_vector
    return rows


class AnswerRanker:
    """A multinomial logistic regression over ``feature_matrix`` rows (classes 0, 1, 2)."""

    def __init__(self, model: LogisticRegression) -> None:
        self.model = model

    def grades(self, features: np.ndarray) -> Grades:
        probabilities = self.model.predict_proba(features)
        column = {int(label): i for i, label in enumerate(self.model.classes_)}
        return Grades(probabilities[:, column[2]], probabilities[:, column[1]], probabilities[:, column[0]])


@lru_cache(maxsize=1)
def default_ranker() -> AnswerRanker | None:
    """The shipped ranker, loaded once per process; None when the file is missing (the hand scores are used)."""
    if not MODEL_PATH.exists():
        return None
    return AnswerRanker(joblib.load(MODEL_PATH))
