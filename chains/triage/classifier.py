"""The learned triage detector: logistic regression over the message's sentence embedding (the vector
retrieval uses too, computed once) joined with word and character n-gram TF-IDF features.

Trained by ``python -m chains.triage.train`` on ``chains/triage/training/*.jsonl``; the fitted model is
shipped as ``chains/triage/model.joblib`` (scikit-learn, pinned in requirements.txt).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import joblib
import numpy as np
import scipy.sparse as sp

# The pickled model names these classes. Importing them here, when the app imports the pipeline on its
# main thread, keeps their imports out of the background thread that builds the pipeline at start-up
# (concurrent first imports of the same packages from two threads can fail).
import sklearn.feature_extraction.text
import sklearn.linear_model
import sklearn.pipeline  # noqa: F401

MODEL_PATH = Path(__file__).with_name("model.joblib")
CONTEXT_TURNS = 2  # earlier patient messages joined to the message, as in training


def window_text(message: str, history: list[str] | tuple[str, ...] = ()) -> str:
    """The text the classifier reads: the last few earlier messages, then this one."""
    return " ".join([*history[-CONTEXT_TURNS:], message])


@dataclass(frozen=True)
class Prediction:
    red: float
    amber: float
    green: float
    category: str
    category_probability: float


class TriageClassifier:
    """Urgency and category probabilities for one message (and its recent context)."""

    def __init__(self, bundle: dict) -> None:
        self.vectorizer = bundle["vectorizer"]
        self.urgency_model = bundle["urgency_model"]
        self.category_model = bundle["category_model"]
        self.embedding_weight = float(bundle["embedding_weight"])
        self.trained_on = bundle.get("trained_on", {})
        self.part_urgency_model = bundle["part_urgency_model"]
        self.part_category_model = bundle["part_category_model"]
        # Per-message fast path: scikit-learn's own analyzers and fitted vocabularies, scored straight
        # against the models' coefficients (building a sparse matrix per message costs ~3 ms; this ~0.3).
        self._parts = []
        offset = 0
        for _, vectorizer in self.vectorizer.transformer_list:
            self._parts.append((vectorizer.build_analyzer(), vectorizer.vocabulary_, vectorizer.idf_, offset))
            offset += len(vectorizer.vocabulary_)
        self._embedding_offset = offset

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> TriageClassifier:
        return cls(joblib.load(path))

    def features(self, texts: list[str], embeddings: np.ndarray) -> sp.csr_matrix:
        lexical = self.vectorizer.transform(texts)
        return sp.hstack([lexical, sp.csr_matrix(embeddings * self.embedding_weight)]).tocsr()

    def _sparse(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The TF-IDF part of the features as (column indices, values), as the fitted union computes it
        (sublinear tf, idf, L2 norm per vectorizer)."""
        columns: list[int] = []
        values: list[float] = []
        for analyzer, vocabulary, idf, offset in self._parts:
            counts: dict[int, int] = {}
            for term in analyzer(text):
                index = vocabulary.get(term)
                if index is not None:
                    counts[index] = counts.get(index, 0) + 1
            if not counts:
                continue
            index_array = np.fromiter(counts, dtype=np.int64, count=len(counts))
            weights = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))) * idf[
                index_array
            ]
            weights /= np.linalg.norm(weights)
            columns.extend((index_array + offset).tolist())
            values.extend(weights.tolist())
        return np.asarray(columns, dtype=np.int64), np.asarray(values, dtype=np.float64)

    @staticmethod
    def _probabilities(model, columns: np.ndarray, values: np.ndarray, tail: np.ndarray, start: int) -> np.ndarray:
        coef = model.coef_
        logits = coef[:, columns] @ values + coef[:, start:] @ tail + model.intercept_
        logits -= logits.max()
        exp = np.exp(logits)
        return exp / exp.sum()

    def predict(self, text: str, embedding: np.ndarray) -> Prediction:
        columns, values = self._sparse(text)
        tail = embedding.astype(np.float64) * self.embedding_weight
        return self._predict(self.urgency_model, self.category_model, columns, values, tail)

    def predict_part(self, text: str) -> Prediction:
        """Words only (no embedding): for the parts of one message, each a symptom or two."""
        columns, values = self._sparse(text)
        return self._predict(self.part_urgency_model, self.part_category_model, columns, values, np.zeros(0))

    def _predict(self, urgency_model, category_model, columns: np.ndarray, values: np.ndarray, tail: np.ndarray):
        start = self._embedding_offset
        urgency_p = self._probabilities(urgency_model, columns, values, tail, start)
        urgency = dict(zip(urgency_model.classes_, urgency_p, strict=True))
        categories = self._probabilities(category_model, columns, values, tail, start)
        best = int(np.argmax(categories))
        return Prediction(
            red=float(urgency["red"]),
            amber=float(urgency["amber"]),
            green=float(urgency["green"]),
            category=str(category_model.classes_[best]),
            category_probability=float(categories[best]),
        )


@lru_cache(maxsize=1)
def default_classifier() -> TriageClassifier:
    return TriageClassifier.load()
