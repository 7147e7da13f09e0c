"""The patient profile: the facts a patient stated, merged turn by turn, listed one by one and removed when
the patient corrects one."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

SINGLE_FIELDS = ("cancer_type", "stage", "histology", "grade", "menopausal_status", "sex")
LIST_FIELDS = (
    "receptors", "spread", "sites", "current_treatments", "past_treatments",
    "dose_changes", "dose_change_reasons", "side_effects", "goals",
)  # fmt: skip


@dataclass
class PatientProfile:
    """What the patient has told OncoGuide about themselves (canonical values, see tests/data)."""

    cancer_type: str | None = None
    receptors: list[str] = field(default_factory=list)
    stage: str | None = None
    histology: str | None = None
    grade: str | None = None
    spread: list[str] = field(default_factory=list)
    sites: list[str] = field(default_factory=list)
    current_treatments: list[str] = field(default_factory=list)
    past_treatments: list[str] = field(default_factory=list)
    treatment_durations: dict[str, str] = field(default_factory=dict)
    dose_changes: list[str] = field(default_factory=list)
    dose_change_reasons: list[str] = field(default_factory=list)
    side_effects: list[str] = field(default_factory=list)
    menopausal_status: str | None = None
    goals: list[str] = field(default_factory=list)
    sex: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PatientProfile:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def is_empty(self) -> bool:
        return not self.to_dict()

    def merge(self, new: PatientProfile) -> PatientProfile:
        """Later statements add to lists and override single values; a drug moves from current to past."""
        merged = PatientProfile.from_dict(self.to_dict())
        for name in SINGLE_FIELDS:
            if getattr(new, name):
                setattr(merged, name, getattr(new, name))
        for name in LIST_FIELDS:
            current = getattr(merged, name)
            current.extend(v for v in getattr(new, name) if v not in current)
        merged.treatment_durations.update(new.treatment_durations)
        merged.current_treatments = [t for t in merged.current_treatments if t not in new.past_treatments]
        merged.past_treatments = [t for t in merged.past_treatments if t not in new.current_treatments]
        if "oligometastatic" in merged.spread and "metastatic" in merged.spread:
            merged.spread.remove("metastatic")
        return merged

    def describe(self) -> list[str]:
        """Plain-language facts, for the opening of an answer and the profile panel."""
        facts: list[str] = []
        receptor_words = {"ER+": "ER-positive", "PR+": "PR-positive", "HR+": "hormone receptor-positive",
                          "HER2+": "HER2-positive", "HER2-": "HER2-negative", "HER2-low": "HER2-low",
                          "HER2-ultralow": "HER2-ultralow", "triple-negative": "triple-negative",
                          "ER-": "ER-negative", "PR-": "PR-negative"}  # fmt: skip
        disease = " ".join(
            [", ".join(receptor_words.get(r, r) for r in self.receptors if r in receptor_words)]
            + [s for s in self.spread if s != "recurrent"]
            + ([f"stage {self.stage}"] if self.stage and "metastatic" not in self.spread else [])
        ).strip()
        if disease or self.cancer_type:
            # Hormone receptors and HER2 are read for breast cancer; with neither, the type was not said.
            default = "breast cancer" if self.receptors else "cancer"
            facts.append(f"{disease} {self.cancer_type or default}".strip())
        tumour = ", ".join(
            ([self.histology] if self.histology else []) + ([f"grade {self.grade}"] if self.grade else [])
        )
        if tumour:
            facts.append(tumour[0].lower() + tumour[1:])
        if self.sites:
            facts.append("spread to the " + " and ".join(self.sites))
        if self.current_treatments:
            facts.append("your current treatment with " + " and ".join(self._treatments_with_durations()))
        if self.dose_changes:
            facts.append(f"a dose that was {' and '.join(self.dose_changes)}{self._dose_reason()}")
        if self.side_effects and not self.dose_changes:
            facts.append("side effects you mentioned (" + ", ".join(self.side_effects) + ")")
        if self.menopausal_status:
            facts.append(f"being {self.menopausal_status}")
        return facts

    def _dose_reason(self) -> str:
        return f" because of {', '.join(self.dose_change_reasons)}" if self.dose_change_reasons else ""

    def _treatments_with_durations(self) -> list[str]:
        return [
            f"{drug} (for {self.treatment_durations[drug]})" if self.treatment_durations.get(drug) else drug
            for drug in self.current_treatments
        ]

    def disease_phrase(self) -> str | None:
        """The patient's disease as they described it ("metastatic HER2-positive breast cancer"), if known."""
        if not (self.receptors or self.stage or self.cancer_type or set(self.spread) - {"recurrent"}):
            return None
        return self.describe()[0]

    def noun_phrases(self) -> list[str]:
        """The same facts as short phrases that read correctly in any list ("taking letrozole", "postmenopausal")."""
        disease = self.disease_phrase()
        phrases = [disease] if disease else []
        if self.sites:
            phrases.append("spread to the " + " and ".join(self.sites))
        if self.current_treatments:
            phrases.append("taking " + " and ".join(self._treatments_with_durations()))
        if self.dose_changes:
            phrases.append(f"a dose {' and '.join(self.dose_changes)}{self._dose_reason()}")
        elif self.side_effects:
            phrases.append("side effects: " + ", ".join(self.side_effects))
        if self.menopausal_status:
            phrases.append(self.menopausal_status)
        return phrases

    def applies_to_tags(self) -> set[str]:
        """The knowledge base's ``applies_to`` values this profile matches."""
        tags = {"all"}
        r = set(self.receptors)
        if "triple-negative" in r:
            tags.add("TNBC")
        if r & {"HER2+"}:
            tags.add("HER2+")
        if r & {"HER2-low", "HER2-ultralow"}:
            tags.add("HER2-low")
        if r & {"ER+", "PR+", "HR+"} and "HER2+" not in r:
            tags.add("ER+/HER2-")
        if set(self.spread) & {"metastatic", "oligometastatic"} or self.stage == "IV":
            tags.add("metastatic")
        if "early" in self.spread or self.stage in {"0", "I", "II", "III"}:
            tags.add("early")
        if self.menopausal_status == "premenopausal":
            tags.add("premenopausal")
        if self.sex == "male":
            tags.add("male")
        return tags


def profile_facts(profile: PatientProfile) -> list[tuple[str, str, str]]:
    """Each stored fact as (field, value, plain label), for showing and removing one at a time."""
    labels = {"receptors": "", "spread": "", "sites": "spread to ", "current_treatments": "taking ",
              "past_treatments": "had ", "dose_changes": "dose ", "dose_change_reasons": "dose change because of ",
              "side_effects": "side effect: ", "goals": "interested in "}  # fmt: skip
    facts: list[tuple[str, str, str]] = []
    for name in SINGLE_FIELDS:
        value = getattr(profile, name)
        if value:
            facts.append((name, value, f"{name} {value}" if name in ("stage", "grade") else value))
    for name in LIST_FIELDS:
        for value in getattr(profile, name):
            duration = profile.treatment_durations.get(value) if name == "current_treatments" else None
            label = f"{labels.get(name, '')}{value}" + (f" (for {duration})" if duration else "")
            facts.append((name, value, label))
    return facts


def without_fact(profile: PatientProfile, field_name: str, value: str) -> PatientProfile:
    """A copy of the profile with one fact removed (the patient corrected it)."""
    data = profile.to_dict()
    current = data.get(field_name)
    if isinstance(current, list):
        data[field_name] = [v for v in current if v != value]
    elif current == value:
        data.pop(field_name)
    if field_name in ("current_treatments", "past_treatments"):
        data.get("treatment_durations", {}).pop(value, None)
    return PatientProfile.from_dict(data)
