"""Train the answer-sentence ranker (``chains.answer.ranking``) from people's labels of candidate sentences.

    .venv/bin/python -m chains.answer.train_ranker [--cv] [--out FILE]
    .venv/bin/python -m chains.answer.train_ranker --held-out FILE.jsonl.gz   # the shipped ranker on new labels

Reads every ``ranker_training/*.jsonl.gz`` (one file per labelling round): per answered turn, the standalone question, the passages retrieved and
each labelled candidate sentence with its grade (2 answers, 1 supports, 0 off). The candidates' signals are
recomputed by the selector itself over the built index (its sentence vectors), so a label counts only while its
sentence is still in the library (build the index first: ``python -m loaders.ingest``). Writes
``chains/answer/ranker.joblib`` (or ``--out``); the same data and index give the same model. ``--cv`` first prints grouped five-fold figures (a conversation's turns stay together) for
the ranker and for the hand score it replaces, the only figures used to choose the settings below. ``--held-out``
trains nothing: it prints the same figures for the shipped ranker and the hand score on a labelling round the ranker
never saw (its first-run figures, before the round joins the training data).
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

import joblib
import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from chains.answer.ranking import MODEL_PATH, SIGNALS, VECTOR_SIZE, AnswerRanker, feature_matrix
from chains.answer.selection import SentenceSelector, comparable
from chains.retrieval.knowledge_base import KnowledgeBase
from chains.settings import get_settings
from chains.types import Passage

LABELLED = Path(__file__).with_name("ranker_training")
C = 0.1  # chosen by the grouped CV below (0.01 to 1 tried)
PRODUCT_DIRECTIONS = 32  # likewise (0, 8, 16, 32 and all 384 tried)


def read_labelled(path: Path = LABELLED) -> list[dict]:
    """The labelled turns of one file, or of every labelling round in a folder (in name order)."""
    rows = []
    for file in sorted(path.glob("*.jsonl.gz")) if path.is_dir() else [path]:
        with gzip.open(file, "rt", encoding="utf-8") as lines:
            rows += [json.loads(line) for line in lines if line.strip()]
    return rows


def examples(selector: SentenceSelector, rows: list[dict]) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """Feature rows, grades, each row's turn and conversation, for every labelled candidate still in the library."""
    features, grades, turns, conversations = [], [], [], []
    for row in rows:
        passages = [Passage(**p) for p in row["passages"]]
        units, signals, question_vector = selector.candidate_features(
            row["standalone"], passages, row["previous_answer"]
        )
        if question_vector is None:
            raise SystemExit("the index has no sentence vectors: build it with loaders.ingest")
        wanted = {comparable(c["text"]): c["grade"] for c in row["candidates"]}
        seen: set[str] = set()
        keep = []
        for i, unit in enumerate(units):
            key = comparable(unit.text)
            if key in wanted and key not in seen:
                seen.add(key)
                keep.append(i)
        if not keep:
            continue
        matrix = feature_matrix([signals[i] for i in keep], question_vector, [units[i].vector for i in keep])
        features.append(matrix)
        grades += [wanted[comparable(units[i].text)] for i in keep]
        turns += [row["key"]] * len(keep)
        conversations += [row["key"].rsplit("/", 1)[0]] * len(keep)
    return np.vstack(features), np.array(grades), turns, conversations


def new_model() -> Pipeline:
    """Scaled signals, and the question-sentence vector products cut to their main directions (all 384 overfit)."""
    signals = list(range(len(SIGNALS)))
    products = list(range(len(SIGNALS), len(SIGNALS) + VECTOR_SIZE))
    features = ColumnTransformer(
        [
            ("signals", StandardScaler(), signals),
            ("products", make_pipeline(PCA(PRODUCT_DIRECTIONS, svd_solver="full"), StandardScaler()), products),
        ]
    )
    return make_pipeline(features, LogisticRegression(C=C, max_iter=5000))


def ranking_figures(scores: np.ndarray, grades: np.ndarray, turns: list[str]) -> dict[str, float]:
    """Over turns with at least one sentence graded 2: how often the top sentence answers, how often one of the
    top two does, and the mean grade of the top two."""
    by_turn: dict[str, list[int]] = {}
    for i, turn in enumerate(turns):
        by_turn.setdefault(turn, []).append(i)
    top1 = top2 = mean_top2 = 0.0
    answerable = [idx for idx in by_turn.values() if (grades[idx] == 2).any()]
    for idx in answerable:
        ranked = sorted(idx, key=lambda i: -scores[i])
        top1 += grades[ranked[0]] == 2
        top2 += (grades[ranked[:2]] == 2).any()
        mean_top2 += grades[ranked[:2]].mean()
    n = len(answerable) or 1
    return {
        "turns": len(answerable),
        "top1_answers": top1 / n,
        "top2_has_answer": top2 / n,
        "top2_grade": mean_top2 / n,
    }


def cross_validate(features: np.ndarray, grades: np.ndarray, turns: list[str], conversations: list[str]) -> None:
    ranker_scores = np.zeros(len(grades))
    off = np.zeros(len(grades))
    for train, test in GroupKFold(n_splits=5).split(features, grades, conversations):
        model = new_model().fit(features[train], grades[train])
        predicted = AnswerRanker(model).grades(features[test])
        ranker_scores[test] = predicted.score()
        off[test] = predicted.off
    hand = features[:, SIGNALS.index("hand_score")]
    print("hand score:", ranking_figures(hand, grades, turns))
    print("ranker:    ", ranking_figures(ranker_scores, grades, turns))
    off_limit_figures(off, grades)


def off_limit_figures(off: np.ndarray, grades: np.ndarray) -> None:
    for limit in (0.4, 0.5, 0.6, 0.7):
        dropped = off > limit
        print(
            f"off > {limit}: drops {dropped.mean():.1%} of candidates; of those dropped, "
            f"{(grades[dropped] == 0).mean():.1%} graded off, {(grades[dropped] == 2).mean():.1%} graded answers"
        )


def held_out(features: np.ndarray, grades: np.ndarray, turns: list[str]) -> None:
    """The shipped ranker and the hand score on labels the ranker was not trained on."""
    predicted = AnswerRanker(joblib.load(MODEL_PATH)).grades(features)
    print("hand score:", ranking_figures(features[:, SIGNALS.index("hand_score")], grades, turns))
    print("shipped ranker:", ranking_figures(predicted.score(), grades, turns))
    off_limit_figures(predicted.off, grades)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cv", action="store_true")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--held-out", type=Path, help="a labelled file the shipped ranker was not trained on")
    args = parser.parse_args()
    settings = get_settings()  # the index must be built first (make run, or python -m loaders.ingest)
    selector = SentenceSelector(KnowledgeBase.open(settings.chroma_dir))  # its signals only, not its ranker
    features, grades, turns, conversations = examples(selector, read_labelled(args.held_out or LABELLED))
    print(f"{len(grades)} labelled sentences from {len(set(turns))} turns; grades {np.bincount(grades, minlength=3)}")
    if args.held_out:
        held_out(features, grades, turns)
        return
    if args.cv:
        cross_validate(features, grades, turns, conversations)
    joblib.dump(new_model().fit(features, grades), args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
