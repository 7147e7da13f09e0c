"""Who is asking: the patient, or a carer writing about someone they look after (``asker.*`` in answer_rules.yaml)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from chains.text.rules import load_rules

_RULES = load_rules(Path(__file__).with_name("answer_rules.yaml"))
_CARER = _RULES["asker.carer"]
_PATIENT = _RULES["asker.patient"]


def cared_for(messages: Sequence[str]) -> str | None:
    """The person a carer asks about ("husband", "child"), or None when the patient asks (or nobody is named).

    The conversation's earliest message that tells about the patient or about someone else decides, by whichever
    comes first in it: "i have myeloma … my sister says" is the patient; "my husband had his whipple" a carer."""
    for message in messages:
        carer, patient = _CARER.search(message), _PATIENT.search(message)
        if carer is None and patient is None:
            continue
        if carer is None or (patient is not None and patient.start() < carer.start()):
            return None
        return "child" if carer.lastgroup == "child" else carer.group(carer.lastgroup or 0).lower()
    return None
