"""tests/evals/baseline.json is well formed: every figure has its measurement, the number of cases, one bound
(a floor or a ceiling) on the right side of the measurement, and a stated tolerance."""

from __future__ import annotations

from tests.evals.baseline import baseline


def test_every_figure_has_one_bound_on_the_right_side_of_its_measurement() -> None:
    evals = baseline()["evals"]
    assert evals
    for name, entry in evals.items():
        assert entry["figures"], name
        for key, spec in entry["figures"].items():
            where = f"{name} {key}"
            assert ("floor" in spec) != ("ceiling" in spec), where
            assert spec["n"] > 0 and spec["tolerance"], where
            if "floor" in spec:
                assert spec["floor"] <= spec["measured"], where
            else:
                assert spec["ceiling"] >= spec["measured"], where
