"""Settings that take fixed values refuse anything else at start-up, with the allowed values in the error."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from chains.settings import Settings


@pytest.mark.parametrize(("name", "value"), [("ONCOGUIDE_ANSWER_ENGINE", "gpt"), ("ONCOGUIDE_AUTH", "open")])
def test_a_misspelt_fixed_value_is_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match="Input should be"):
        Settings()


def test_the_fixed_values_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONCOGUIDE_ANSWER_ENGINE", "composer")
    monkeypatch.setenv("ONCOGUIDE_AUTH", "none")
    settings = Settings()
    assert (settings.answer_engine, settings.auth) == ("composer", "none")
