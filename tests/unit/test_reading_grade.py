"""Plain language: every library document reads at grade 8 or below, and lengths and grades are measured on
what the patient reads (``bench.answer_eval.prose``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.answer_eval import prose, reading_grade
from tests.conftest import ROOT


def body_text(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    return text.split("---", 2)[2] if text.startswith("---") else text


@pytest.mark.parametrize("path", sorted((ROOT / "data").rglob("*.md")), ids=lambda p: p.stem)
def test_every_library_document_reads_at_grade_8_or_below(path: Path) -> None:
    grade = reading_grade(body_text(path))
    assert grade <= 8.05, f"{path.name}: Flesch-Kincaid grade {grade:.1f}"


def test_lengths_are_measured_on_what_the_patient_reads() -> None:
    text = "Tamoxifen blocks estrogen. [1]\n\n- It is a pill. [1]\n\n[NCI](https://www.cancer.gov/x)"
    assert prose(text) == "Tamoxifen blocks estrogen. It is a pill. NCI."
    assert reading_grade(text) < 8
