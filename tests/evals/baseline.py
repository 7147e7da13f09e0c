"""The evals' one place for floors: ``tests/evals/baseline.json`` holds, for every eval, the figures measured on
the day the baseline was set and, next to each, the floor (or, for "lower is better", the ceiling) it is held to.

Eval tests call ``check(name, figures)``: every figure the baseline lists must be measured and hold its floor or
ceiling; a failure prints measured against baseline for each one, with the number of cases each is over.
Setting ``ONCOGUIDE_EVAL_OUT=<file.jsonl>`` appends every measurement to that file;
``python -m tests.evals.baseline <file.jsonl>`` prints it against the baseline (tests/evals/README.md).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

BASELINE = Path(__file__).resolve().parent / "baseline.json"
EPSILON = 1e-9  # figures are stored rounded to 4 decimals; floors are rounded down, ceilings up


@dataclass(frozen=True)
class Figure:
    """A measured figure: a share of ``n`` cases, a count out of ``n``, or a statistic (``n`` is the sample)."""

    value: float
    n: int


def share(hits: int, total: int) -> Figure:
    return Figure(hits / total if total else 0.0, total)


@cache
def baseline() -> dict[str, Any]:
    return json.loads(BASELINE.read_text(encoding="utf-8"))


def _record(name: str, figures: dict[str, Figure]) -> None:
    out = os.environ.get("ONCOGUIDE_EVAL_OUT")
    if out:
        line = {"eval": name, "figures": {k: {"value": round(f.value, 6), "n": f.n} for k, f in figures.items()}}
        with open(out, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(line) + "\n")


def _bound(spec: dict[str, Any]) -> tuple[str, float]:
    return ("floor", spec["floor"]) if "floor" in spec else ("ceiling", spec["ceiling"])


def compare(name: str, figures: dict[str, Figure]) -> tuple[list[str], list[str]]:
    """One line per figure (measured vs baseline), and the lines of those that fail."""
    entry = baseline()["evals"].get(name)
    if entry is None:
        return [], [f"{name}: not in the baseline"]
    lines, failed = [], []
    missing = set(entry["figures"]) - set(figures)
    unlisted = set(figures) - set(entry["figures"])
    if missing or unlisted:
        failed.append(
            f"{name}: figures not measured {sorted(missing)}, measured but not in the baseline {sorted(unlisted)}"
        )
    for key, spec in entry["figures"].items():
        if key not in figures:
            continue
        figure = figures[key]
        kind, bound = _bound(spec)
        holds = figure.value >= bound - EPSILON if kind == "floor" else figure.value <= bound + EPSILON
        line = (
            f"{name} {key}: measured {figure.value:.4f} (n={figure.n}) · baseline {spec['measured']:.4f} "
            f"(n={spec['n']}) · {kind} {bound:.4f} ({spec['tolerance']})"
        )
        lines.append(line)
        if not holds:
            failed.append(f"{line}  <-- below the floor" if kind == "floor" else f"{line}  <-- above the ceiling")
    return lines, failed


def check(name: str, figures: dict[str, Figure], details: str = "") -> None:
    """Hold ``figures`` to the baseline of eval ``name``; print them (pytest -s) and fail with measured vs baseline."""
    _record(name, figures)
    lines, failed = compare(name, figures)
    print("\n" + "\n".join(lines))
    if failed:
        raise AssertionError(
            f"eval {name!r} regressed against tests/evals/baseline.json:\n  "
            + "\n  ".join(failed)
            + ("\n" + details if details else "")
        )


def main(argv: list[str]) -> int:
    """Print every measurement in the given ONCOGUIDE_EVAL_OUT files against the baseline; 1 if any fails."""
    status = 0
    for path in argv:
        for row in map(json.loads, Path(path).read_text(encoding="utf-8").splitlines()):
            figures = {k: Figure(v["value"], v["n"]) for k, v in row["figures"].items()}
            lines, failed = compare(row["eval"], figures)
            print("\n".join(lines))
            for line in failed:
                print(f"FAILS {line}")
            status |= bool(failed)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
