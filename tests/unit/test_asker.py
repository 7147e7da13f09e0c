"""Who is asking: a carer about the person they look after, or the patient (chains/answer/asker.py)."""

from __future__ import annotations

import pytest

from chains.answer.composer import questions_heading
from chains.understand.profile.asker import cared_for


@pytest.mark.parametrize(
    ("messages", "person"),
    [
        (["my wife was told last week she has stage 3 bowel cancer"], "wife"),
        (["our 4 year old has ALL and is in maintenance"], "child"),
        (["My 41 year old brother has bowel cancer that has spread to his liver"], "brother"),  # set 27: not "child"
        (["Dad is on enzalutamide and very tired"], "dad"),
        (["im on tamoxifen and my sister keeps asking about genes"], None),
        (["i have lymphoma", "my mum wants to come to the appointments, is that ok?"], None),
        (["what does stage 2 mean?", "my brother has it in his lungs now, what does that change?"], "brother"),
        (["what is a port?"], None),
    ],
)
def test_the_earliest_message_that_tells_about_someone_decides_who_asks(
    messages: list[str], person: str | None
) -> None:
    assert cared_for(messages) == person


def test_a_carers_questions_heading_names_the_person() -> None:
    assert questions_heading("wife") == "Questions you and your wife could ask the care team"
    assert questions_heading(None) == "Questions to ask your care team"
