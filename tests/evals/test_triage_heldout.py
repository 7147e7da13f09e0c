"""Triage quality over the held-out sets in tests/data/triage/, through the whole pipeline.

v1 was run once before tuning (first run of today's rules: red recall 0.400) and once with the new design before
any tuning on its messages; v2 was written during tuning and run once; v3 to v9 each written by new writers, not
read until the model of the day was trained, then run once (tests/data/triage/README.md). None is ever used for
training. The floors (and the ceilings of the two "lower is better" figures) are in tests/evals/baseline.json.
"""

from __future__ import annotations

import asyncio

import pytest

from bench.triage_eval import figures, play
from tests.conftest import DATA, read_jsonl
from tests.evals.baseline import Figure, check

SETS = sorted(path.name for path in (DATA / "triage").glob("heldout_v*.jsonl"))
OVER = {  # each figure is a share of one label's messages
    "red_recall": "n_red",
    "red_caught": "n_red",
    "green_to_emergency": "n_green",
    "green_triage_question": "n_green",
    "amber_amber_or_red": "n_amber",
}


@pytest.fixture(scope="module", params=SETS)
def heldout(request, guide) -> tuple[str, dict[str, float]]:
    return request.param, figures(asyncio.run(play(guide, read_jsonl(f"triage/{request.param}"))))


def test_heldout_sets_hold_their_floors(heldout) -> None:
    name, measured = heldout
    check(
        f"triage/{name.removesuffix('.jsonl')}",
        {key: Figure(measured[key], int(measured[n])) for key, n in OVER.items()},
    )
