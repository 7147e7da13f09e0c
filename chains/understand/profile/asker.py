"""Who is asking: the patient, or a carer writing about someone they look after (``asker_*`` in cues.yaml, beside
the person nouns the profile's other cues use)."""

from __future__ import annotations

from collections.abc import Sequence

from chains.understand.profile.cues import ASKER_CARER, ASKER_PATIENT


def cared_for(messages: Sequence[str]) -> str | None:
    """The person a carer asks about ("husband", "child"), or None when the patient asks (or nobody is named).

    The conversation's earliest message that tells about the patient or about someone else decides, by whichever
    comes first in it: "i have myeloma … my sister says" is the patient; "my husband had his whipple" a carer."""
    for message in messages:
        carer, patient = ASKER_CARER.search(message), ASKER_PATIENT.search(message)
        if carer is None and patient is None:
            continue
        if carer is None or (patient is not None and patient.start() < carer.start()):
            return None
        return "child" if carer.lastgroup == "child" else carer.group(carer.lastgroup or 0).lower()
    return None
