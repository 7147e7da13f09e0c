"""Whether a message is about cancer care at all: a learned classifier, so "what cheese goes with port" and
"docker multi stage build" are turned away while "port flush how often" and "ca125 350" are answered.

Logistic regression (scikit-learn) over the message's sentence embedding (the vector retrieval and triage
use, computed once per message) joined with word and character TF-IDF features. Trained by
``python -m loaders.topic_train`` on ``chains/safety/topic_training/*.jsonl``; shipped as
``chains/safety/topic_model.joblib``. The rules in ``scope_rules.yaml`` stay for what is exact (prompt
injection, prescriptions); this decides the open-ended rest.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import joblib
import numpy as np
import scipy.sparse as sp

from chains.retrieval.embeddings import embed_text

MODEL_PATH = Path(__file__).with_name("topic_model.joblib")


class TopicClassifier:
    """P(off topic) for one message."""

    def __init__(self, bundle: dict) -> None:
        self.vectorizer = bundle["vectorizer"]
        self.model = bundle["model"]
        self.embedding_weight = float(bundle["embedding_weight"])
        self.threshold = float(bundle["threshold"])
        # a message whose only care words have an everyday sense too ("tropic of cancer") needs more certainty
        self.threshold_everyday = float(bundle["threshold_everyday"])
        self._off = list(self.model.classes_).index("off_topic")

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> TopicClassifier:
        return cls(joblib.load(path))

    def features(self, texts: list[str], embeddings: np.ndarray) -> sp.csr_matrix:
        return sp.hstack([self.vectorizer.transform(texts), sp.csr_matrix(embeddings * self.embedding_weight)]).tocsr()

    def off_topic_probability(self, text: str) -> float:
        features = self.features([text], np.asarray([embed_text(text)]))
        return float(self.model.predict_proba(features)[0, self._off])

    def is_off_topic(self, text: str, care_wording: str = "none") -> bool:
        """Off topic for the classifier; a message naming a cancer, a medicine or an oncology word ("clear" care
        wording) never is: the classifier was wrong on one in twenty of a writer's in-domain messages, and a
        patient turned away costs more than a stranger answered "I could not find that"."""
        if care_wording == "clear":
            return False
        threshold = self.threshold_everyday if care_wording == "everyday" else self.threshold
        return self.off_topic_probability(text) >= threshold


@lru_cache(maxsize=1)
def default_topic_classifier() -> TopicClassifier:
    return TopicClassifier.load()
