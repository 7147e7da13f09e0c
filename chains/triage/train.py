"""Retrain the triage classifier from the labelled messages in ``chains/triage/training/``.

    .venv/bin/python -m chains.triage.train [--cv] [--out FILE] [--extra FILE[:WEIGHT] ...]

Writes ``chains/triage/model.joblib`` (or ``--out``); the same data gives the same file byte for byte.
``--cv`` first prints leave-one-author-out figures (each training file is one author), the only figures used
to choose the settings below; held-out sets in ``tests/data/triage/`` are never read here. ``--extra`` also
trains on a labelled file not trained on by default (``training/candidates/``), each message weighted as given.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import joblib
import numpy as np
import scipy.sparse as sp
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from chains.retrieval.embeddings import get_encoder
from chains.triage.classifier import MODEL_PATH, window_text

TRAINING_DIR = Path(__file__).with_name("training")
EMBEDDING_WEIGHT = 0.5  # chosen by leave-one-author-out CV (0.5, 1, 2 tried)
C = 8.0  # likewise (4, 8 tried)
CANDIDATES_DIR = TRAINING_DIR / "candidates"  # labelled, not trained on by default (training/README.md)


def read_training(extra: dict[Path, float] | None = None) -> list[dict]:
    """Every training file's messages, each with its author (the file) and weight (``training/weights.yaml``,
    else 1; or as given for an ``extra`` file such as a candidate)."""
    rows = []
    weights = yaml.safe_load((TRAINING_DIR / "weights.yaml").read_text(encoding="utf-8")) or {}
    files = [(path, float(weights.get(path.stem, 1.0))) for path in sorted(TRAINING_DIR.glob("*.jsonl"))]
    files += sorted((extra or {}).items())
    for path, weight in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append({**json.loads(line), "author": path.stem, "weight": weight})
    return rows


def new_vectorizer() -> FeatureUnion:
    return FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=3, sublinear_tf=True)),
        ]
    )


def weights_of(rows: list[dict]) -> np.ndarray | None:
    """Per-message weights, or None when all are 1 (the unweighted fit, bit for bit)."""
    weights = np.array([r["weight"] for r in rows])
    return None if np.all(weights == 1.0) else weights


def fit(
    texts: list[str],
    embeddings: np.ndarray,
    urgencies: list[str],
    categories: list[str],
    weights: np.ndarray | None = None,
    urgency_only: bool = False,
) -> dict:
    vectorizer = new_vectorizer().fit(texts)
    features = sp.hstack([vectorizer.transform(texts), sp.csr_matrix(embeddings * EMBEDDING_WEIGHT)]).tocsr()

    def model(x, y) -> LogisticRegression:
        return LogisticRegression(C=C, max_iter=5000, class_weight="balanced").fit(x, y, sample_weight=weights)

    bundle = {
        "vectorizer": vectorizer,
        "urgency_model": model(features, urgencies),
        "embedding_weight": EMBEDDING_WEIGHT,
    }
    if urgency_only:  # cross-validation reads only P(red) and P(amber)
        return bundle
    lexical = vectorizer.transform(texts)
    return bundle | {
        "category_model": model(features, categories),
        # Words only, for the parts of a message ("two ambers make a red"): no embedding per part.
        "part_urgency_model": model(lexical, urgencies),
        "part_category_model": model(lexical, categories),
    }


def out_of_fold(rows: list[dict], texts: list[str], embeddings: np.ndarray) -> dict[str, np.ndarray]:
    """P(red) and P(amber) of every message from a model trained without its author's file."""
    probability = {"red": np.zeros(len(rows)), "amber": np.zeros(len(rows))}
    authors = np.array([r["author"] for r in rows])
    weights = weights_of(rows)
    for author in sorted(set(authors)):
        train, test = np.where(authors != author)[0], np.where(authors == author)[0]
        bundle = fit(
            [texts[i] for i in train],
            embeddings[train],
            [rows[i]["label"] for i in train],
            [rows[i]["category"] for i in train],
            None if weights is None else weights[train],
            urgency_only=True,
        )
        lexical = bundle["vectorizer"].transform([texts[i] for i in test])
        features = sp.hstack([lexical, sp.csr_matrix(embeddings[test] * EMBEDDING_WEIGHT)]).tocsr()
        model = bundle["urgency_model"]
        p = model.predict_proba(features)
        for label in probability:
            probability[label][test] = p[:, list(model.classes_).index(label)]
    return probability


def cross_validate(rows: list[dict], texts: list[str], embeddings: np.ndarray, alone: list[str] = ()) -> None:
    """Leave-one-author-out figures at the grading thresholds: red recall, green sent to red or asked, amber
    graded amber or red; over every file, then over each author named in ``alone`` (the ``--extra`` files)."""
    from chains.triage.grading import AMBER_AT, ASK_AT, RED_AT

    probability = out_of_fold(rows, texts, embeddings)
    red, amber = probability["red"], probability["amber"]
    labels = np.array([r["label"] for r in rows])
    authors = np.array([r["author"] for r in rows])

    def share(hits: np.ndarray) -> str:
        return f"{np.mean(hits):.3f} ({int(hits.sum())}/{hits.size})" if hits.size else "n/a"

    for name in ["all files", *alone]:
        chosen = np.ones(len(rows), bool) if name == "all files" else authors == name
        is_red, is_green, is_amber = (chosen & (labels == k) for k in ("red", "green", "amber"))
        print(
            f"leave-one-author-out, {name}: red >= {RED_AT} {share(red[is_red] >= RED_AT)}, >= {ASK_AT} "
            f"{share(red[is_red] >= ASK_AT)} · green >= {RED_AT} {share(red[is_green] >= RED_AT)}, >= {ASK_AT} "
            f"{share(red[is_green] >= ASK_AT)} · amber as amber/red {share(red[is_amber] + amber[is_amber] >= AMBER_AT)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cv", action="store_true", help="print leave-one-author-out figures first")
    parser.add_argument("--out", type=Path, default=MODEL_PATH, help="where to write the model")
    parser.add_argument(
        "--extra",
        action="append",
        default=[],
        metavar="FILE[:WEIGHT]",
        help="also train on a labelled file (e.g. training/candidates/author15.jsonl:0.5), weight 1 unless given",
    )
    args = parser.parse_args()
    extra = {}
    for spec in args.extra:
        path, _, weight = spec.partition(":")
        extra[Path(path)] = float(weight or 1.0)
    rows = read_training(extra)
    texts = [window_text(r["message"], r.get("context") or []) for r in rows]
    embeddings = get_encoder().encode(texts)
    if args.cv:
        cross_validate(rows, texts, embeddings, [path.stem for path in extra])
    labels, categories = [r["label"] for r in rows], [r["category"] for r in rows]
    bundle = fit(texts, embeddings, labels, categories, weights_of(rows))
    bundle["trained_on"] = {"messages": len(rows), "authors": sorted({r["author"] for r in rows})}
    for _, vectorizer in bundle["vectorizer"].transformer_list:
        # scikit-learn caches id(stop_words), a memory address, to skip re-checking them: without it, the same
        # data gives the same file twice. Deleting it only makes the (empty) stop-word check run once more.
        vars(vectorizer).pop("_stop_words_id", None)
    joblib.dump(bundle, args.out, compress=3)
    print(f"wrote {args.out} from {len(rows)} messages")


if __name__ == "__main__":
    main()
