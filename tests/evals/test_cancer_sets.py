"""Beyond breast cancer: retrieval and scope over the labelled sets in tests/data/cancers/ (README there).

Set 1 was run once before any tuning (hit@5 0.870, top type 0.829) and used while building; set 2 was written
during the work, not read until the design was frozen, then run once (hit@5 0.942, top type 0.909, off-topic
0.617). The figures of today and their floors are in tests/evals/baseline.json (docs/BENCHMARKS.md).
"""

from __future__ import annotations

import pytest

from bench.cancer_eval import retrieval, scope
from tests.conftest import read_jsonl
from tests.evals.baseline import Figure, check, share

SETS = {  # retrieval set, scope set: the name of their figures in the baseline
    ("retrieval_cancers.jsonl", "scope_cases.jsonl"): "cancers/set1",
    ("retrieval_cancers_v2.jsonl", "scope_cases_v2.jsonl"): "cancers/set2",
}


@pytest.mark.parametrize("sets", sorted(SETS), ids=lambda s: s[0].removesuffix(".jsonl"))
async def test_labelled_sets_hold_their_floors(guide, sets) -> None:
    retrieval_set, scope_set = sets
    cases = read_jsonl(f"cancers/{retrieval_set}")
    assert len(cases) >= 200
    figures = await retrieval(guide, cases)
    scope_cases = read_jsonl(f"cancers/{scope_set}")
    wrongly, answered, off_turned, off_total = await scope(guide, scope_cases)
    in_domain = sum(case["label"] == "in_domain" for case in scope_cases)
    check(
        SETS[sets],
        {
            "hit_at_5": share(figures.hits, figures.scored),
            "top_document_about_the_cancer": share(figures.right_type, figures.scored),
            "in_domain_turned_away": Figure(len(wrongly), in_domain),
            "off_topic_turned_away": share(off_turned, off_total),
        },
        "misses:\n"
        + "\n".join(figures.misses)
        + "\nin-domain turned away:\n"
        + "\n".join(wrongly)
        + "\noff-topic answered:\n"
        + "\n".join(answered),
    )
