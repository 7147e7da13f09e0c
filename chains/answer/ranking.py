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
from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

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


def linear_form(model: Pipeline) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """The trained pipeline (scaled signals, PCA-cut and scaled products, multinomial logistic regression) is linear
    up to the softmax, so it folds into one weight matrix and bias: the same probabilities, one matrix product
    instead of sklearn's per-call validation and transformer dispatch (4 ms of a turn's 20 ms answer stage)."""
    columns, regression = model.steps[0][1], model.steps[-1][1]
    weights = np.zeros((len(SIGNALS) + VECTOR_SIZE, regression.coef_.shape[0]))
    bias = regression.intercept_.astype(np.float64).copy()
    used = 0
    for _, transformer, indices in columns.transformers_:
        steps = transformer.steps if isinstance(transformer, Pipeline) else [("", transformer)]
        # each step maps x to x @ matrix + shift; chain them, then into this block's share of the coefficients
        matrix, shift = np.eye(len(indices)), np.zeros(len(indices))
        for _, step in steps:
            if isinstance(step, StandardScaler):
                scale = step.scale_ if step.scale_ is not None else np.ones_like(shift)
                mean = step.mean_ if step.mean_ is not None else np.zeros_like(shift)
                matrix, shift = matrix / scale, (shift - mean) / scale
            elif isinstance(step, PCA) and not step.whiten:
                matrix, shift = matrix @ step.components_.T, (shift - step.mean_) @ step.components_.T
            else:
                raise TypeError(f"the ranker's {type(step).__name__} step is not a known linear step")
        coef = regression.coef_[:, used : used + matrix.shape[1]].T
        weights[indices] += matrix @ coef
        bias += shift @ coef
        used += matrix.shape[1]
    if used != regression.coef_.shape[1]:
        raise ValueError("the ranker's transformers do not cover its coefficients")
    return weights, bias, [int(label) for label in regression.classes_]


class AnswerRanker:
    """A multinomial logistic regression over ``feature_matrix`` rows (classes 0, 1, 2), applied in its folded
    linear form (``linear_form``)."""

    def __init__(self, model: Pipeline) -> None:
        self.model = model
        self.weights, self.bias, classes = linear_form(model)
        self._column = {label: i for i, label in enumerate(classes)}

    def grades(self, features: np.ndarray) -> Grades:
        logits = features.astype(np.float64) @ self.weights + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        probabilities = exp / exp.sum(axis=1, keepdims=True)
        column = self._column
        return Grades(probabilities[:, column[2]], probabilities[:, column[1]], probabilities[:, column[0]])


@lru_cache(maxsize=1)
def default_ranker() -> AnswerRanker | None:
    """The shipped ranker, loaded once per process; None when the file is missing (the hand scores are used)."""
    if not MODEL_PATH.exists():
        return None
    return AnswerRanker(joblib.load(MODEL_PATH))
