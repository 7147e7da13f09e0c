"""Retrain the triage classifier from the labelled messages in ``chains/triage/training/``.

    .venv/bin/python -m chains.triage.train [--cv]

Writes ``chains/triage/model.joblib``. ``--cv`` first prints leave-one-author-out figures (each training
file is one author), the only figures used to choose the settings below; held-out sets in
``tests/data/triage/`` are never read here.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import joblib
import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from chains.retrieval.embeddings import get_encoder
from chains.triage.classifier import MODEL_PATH, window_text

TRAINING_DIR = Path(__file__).with_name("training")
EMBEDDING_WEIGHT = 0.5  # chosen by leave-one-author-out CV (0.5, 1, 2 tried)
C = 8.0  # likewise (4, 8 tried)


def read_training() -> list[dict]:
    rows = []
    for path in sorted(TRAINING_DIR.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append({**json.loads(line), "author": path.stem})
    return rows


def new_vectorizer() -> FeatureUnion:
    return FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=3, sublinear_tf=True)),
        ]
    )


def fit(texts: list[str], embeddings: np.ndarray, urgencies: list[str], categories: list[str]) -> dict:
    vectorizer = new_vectorizer().fit(texts)
    features = sp.hstack([vectorizer.transform(texts), sp.csr_matrix(embeddings * EMBEDDING_WEIGHT)]).tocsr()

    def model() -> LogisticRegression:
        return LogisticRegression(C=C, max_iter=5000, class_weight="balanced")

    lexical = vectorizer.transform(texts)
    return {
        "vectorizer": vectorizer,
        "urgency_model": model().fit(features, urgencies),
        "category_model": model().fit(features, categories),
        "embedding_weight": EMBEDDING_WEIGHT,
        # Words only, for the parts of a message ("two ambers make a red"): no embedding per part.
        "part_urgency_model": model().fit(lexical, urgencies),
        "part_category_model": model().fit(lexical, categories),
    }


def cross_validate(rows: list[dict], texts: list[str], embeddings: np.ndarray) -> None:
    from chains.triage.classifier import TriageClassifier

    red_probability = np.zeros(len(rows))
    authors = np.array([r["author"] for r in rows])
    for author in sorted(set(authors)):
        train, test = np.where(authors != author)[0], np.where(authors == author)[0]
        bundle = fit(
            [texts[i] for i in train],
            embeddings[train],
            [rows[i]["label"] for i in train],
            [rows[i]["category"] for i in train],
        )
        classifier = TriageClassifier(bundle)
        features = classifier.features([texts[i] for i in test], embeddings[test])
        red_column = list(classifier.urgency_model.classes_).index("red")
        red_probability[test] = classifier.urgency_model.predict_proba(features)[:, red_column]
    labels = np.array([r["label"] for r in rows])
    for threshold in (0.25, 0.5):
        print(
            f"leave-one-author-out, P(red) >= {threshold}: red {np.mean(red_probability[labels == 'red'] >= threshold):.3f}, "
            f"green {np.mean(red_probability[labels == 'green'] >= threshold):.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cv", action="store_true", help="print leave-one-author-out figures first")
    args = parser.parse_args()
    rows = read_training()
    texts = [window_text(r["message"], r.get("context") or []) for r in rows]
    embeddings = get_encoder().encode(texts)
    if args.cv:
        cross_validate(rows, texts, embeddings)
    bundle = fit(texts, embeddings, [r["label"] for r in rows], [r["category"] for r in rows])
    bundle["trained_on"] = {"messages": len(rows), "authors": sorted({r["author"] for r in rows})}
    joblib.dump(bundle, MODEL_PATH, compress=3)
    print(f"wrote {MODEL_PATH} from {len(rows)} messages")


if __name__ == "__main__":
    main()
