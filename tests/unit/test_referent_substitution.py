"""Which pointing word a follow-up's referent replaces (chains/understand/referents.py)."""

from __future__ import annotations

import pytest

from chains.understand.referents import substitute_referent


@pytest.mark.parametrize(
    ("message", "referent", "rewritten"),
    [
        ("what are the side effects of it", "letrozole", "What are the side effects of letrozole"),
        ("is it normal to feel this tired on it", "letrozole", "Is it normal to feel this tired on letrozole"),
        # "they" who look, say or treat is the care team, not the thing in focus (set 2's, set 25's first runs)
        (
            "my scan is coming up. what are they actually looking for on it",
            "melanoma",
            "My scan is coming up. what are they actually looking for on melanoma",
        ),
        (
            "they treated it as an infection for weeks. how is it different",
            "inflammatory breast cancer",
            "They treated inflammatory breast cancer as an infection for weeks. how is it different",
        ),
        (
            "is that the worst kind?",
            "triple-negative breast cancer",
            "Is triple-negative breast cancer the worst kind?",
        ),
    ],
)
def test_the_first_pointing_word_that_is_not_a_dummy_gets_the_referent(
    message: str, referent: str, rewritten: str
) -> None:
    assert substitute_referent(message, referent) == rewritten
