"""Build the labeled message set for the "clarify before answering" gate.

Run once by hand (never at test time) and commit the output::

    .venv/bin/python tests/data/build_clarify_cases.py

It reads the real cancer questions of MedQuAD
(``shared/datasets/medquad/medquad_cancer_answered.jsonl``, field ``question``;
identical questions are kept once, with the id of their first occurrence) and
writes ``tests/data/clarify_cases.jsonl`` with these groups, drawn from disjoint
questions with a fixed random seed:

* ``medquad_midword`` -- the question cut inside a word of at least 5 letters,
  leaving a fragment of 3+ letters with at least one letter removed; fragments
  that are themselves English words (pyspellchecker dictionary) or common
  abbreviations are rejected as ambiguous. Kind ``cut_off``.
* ``medquad_function_word`` -- the question cut right after a function word
  that is followed by more words in the original. Kind ``trailing_off``.
* ``medquad_intact`` -- the original questions unchanged, plus some written
  lower-case with the trailing " ?" removed. Kind ``none``.

Finally it appends every record of the hand-written file
``tests/data/clarify_cases_handwritten.jsonl`` (groups ``hand_complete``,
``hand_incomplete`` and ``multiturn``) so that one file holds everything.

Question wording derived from MedQuAD (Ben Abacha A., Demner-Fushman D.,
A question-entailment approach to question answering, BMC Bioinformatics
20:511, 2019), CC BY 4.0.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import Counter
from pathlib import Path
from typing import Any

from spellchecker import SpellChecker

SEED = 20240611

N_MIDWORD = 150
N_FUNCTION_WORD = 80
N_INTACT = 170
N_INTACT_LOWER = 40

# Share of mid-word cuts made in the last eligible word (the rest earlier).
P_CUT_LAST_WORD = 0.7

MIN_WORD_LEN = 5
MIN_FRAGMENT_LEN = 3
# Function-word cuts must leave at least this many words in the message.
MIN_FUNCTION_CUT_WORDS = 3
# No single function word may end more than this many function-word cuts
# (otherwise "and" inside long focus names dominates the group).
MAX_PER_FUNCTION_WORD = 24

DATA_DIR = Path(__file__).resolve().parent
REPO_ROOT = DATA_DIR.parent.parent
DEFAULT_MEDQUAD = REPO_ROOT.parent / "shared" / "datasets" / "medquad" / "medquad_cancer_answered.jsonl"
DEFAULT_HANDWRITTEN = DATA_DIR / "clarify_cases_handwritten.jsonl"
DEFAULT_OUT = DATA_DIR / "clarify_cases.jsonl"

FUNCTION_WORDS = frozenset(
    {
        "the", "a", "an", "of", "for", "with", "to", "in", "on", "and", "or",
        "about", "is", "are", "was", "can", "does", "my",
    }
)  # fmt: skip

# Long words that carry no content; never chosen as the word to cut.
NON_CONTENT_WORDS = frozenset({"about", "being", "other", "which", "there", "their"})

# Words whose MedQuAD spelling lost a character (e.g. "Waldenstrm"): the
# "intended" word would be wrong, so they are never cut.
MANGLED_WORDS = frozenset({"waldenstrm", "szary"})

# Prefixes that people use as abbreviations or shorthand: a message ending in
# one of them may be complete, so such cuts are rejected as ambiguous.
ABBREVIATIONS = frozenset(
    {
        "abd", "adeno", "adj", "adv", "all", "aml", "anc", "approx", "bio", "brca",
        "carc", "cardio", "chem", "chemo", "cll", "cml", "colo", "cyst", "dcis",
        "derm", "dia", "diag", "endo", "gastro", "gen", "gyn", "gyne", "hem", "heme",
        "hep", "hist", "histo", "hyper", "hypo", "idc", "ilc", "immuno", "info",
        "inf", "inh", "intra", "lab", "labs", "lcis", "leu", "lymph", "lympho",
        "mammo", "med", "meds", "mel", "met", "meta", "mets", "micro", "myelo",
        "neg", "neo", "neu", "neuro", "onc", "onco", "ortho", "ovar", "panc", "para",
        "path", "peri", "pos", "prev", "pri", "prob", "pros", "prost", "psych", "pulm",
        "rad", "rads", "rect", "ren", "rhab", "sarc", "stat", "sym", "symp", "sympt",
        "syn", "synd", "sys", "temp", "thyro", "trans", "tri", "uro", "uter", "vir",
    }
)  # fmt: skip

# General words that appear in MedQuAD "focus" names but are not medical terms.
GENERAL_FOCUS_WORDS = frozenset(
    {
        "adult", "aging", "alternative", "and", "associated", "binding", "central",
        "childhood", "children", "clear", "defect", "essential", "factor", "family",
        "human", "including", "information", "large", "multiple", "normal", "other",
        "people", "potential", "premature", "primary", "related", "round", "small",
        "surviving", "the", "tropical", "unusual", "with",
    }
)  # fmt: skip

# Medical / cancer words beyond the focus names (template words of MedQuAD
# questions and common terms of the domain).
MEDICAL_WORDS = frozenset(
    {
        "benign", "biopsy", "breast", "cancer", "cancers", "carcinoma", "chemotherapy",
        "clinical", "diagnose", "diagnosis", "disease", "genetic", "hereditary",
        "inherited", "leukemia", "lymphoma", "malignant", "mammography", "mastectomy",
        "melanoma", "metastatic", "mutated", "neoplasm", "neoplasms", "oncology",
        "prognosis", "radiation", "sarcoma", "screening", "stages", "symptoms",
        "syndrome", "syndromes", "therapies", "therapy", "treatments", "tumor",
        "tumors", "trials",
    }
)  # fmt: skip

WORD_RE = re.compile(r"(?<![\w'-])[A-Za-z]+(?![\w'-])")
TOKEN_RE = re.compile(r"\S+")

Record = dict[str, Any]


def load_questions(path: Path) -> list[Record]:
    """Return MedQuAD rows with distinct ``question`` text, first occurrence kept."""
    seen: set[str] = set()
    rows: list[Record] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            row = json.loads(line)
            question = row["question"].strip()
            if question in seen:
                continue
            seen.add(question)
            rows.append({"id": row["id"], "focus": row.get("focus", ""), "question": question})
    return rows


def domain_words(focus: str) -> set[str]:
    """Medical words for one question: its focus words plus the fixed list."""
    focus_words = {w.lower() for w in WORD_RE.findall(focus)} - GENERAL_FOCUS_WORDS
    return focus_words | MEDICAL_WORDS


def is_ambiguous_fragment(fragment: str, spell: SpellChecker) -> bool:
    """Tell whether the fragment could be a complete word or an abbreviation."""
    low = fragment.lower()
    return low in ABBREVIATIONS or bool(spell.known([low]))


def make_midword(row: Record, rng: random.Random, spell: SpellChecker) -> Record | None:
    """Cut the question inside a content word, or return None if no cut is clean."""
    question = row["question"]
    words = [
        m
        for m in WORD_RE.finditer(question)
        if len(m.group()) >= MIN_WORD_LEN
        and m.group().lower() not in NON_CONTENT_WORDS
        and m.group().lower() not in MANGLED_WORDS
    ]
    if not words:
        return None
    last, earlier = words[-1], words[:-1]
    if earlier and rng.random() >= P_CUT_LAST_WORD:
        order = [*rng.sample(earlier, len(earlier)), last]
    else:
        order = [last, *rng.sample(earlier, len(earlier))]
    for match in order:
        word = match.group()
        cuts = list(range(MIN_FRAGMENT_LEN, len(word)))
        rng.shuffle(cuts)
        for cut in cuts:
            fragment = word[:cut]
            if is_ambiguous_fragment(fragment, spell):
                continue
            intended = word.lower()
            return {
                "message": question[: match.start() + cut],
                "kind": "cut_off",
                "needs_clarification": True,
                "fragment": fragment,
                "intended": intended,
                "domain_term": intended in domain_words(row["focus"]),
                "cut_at": "last_word" if match is last else "earlier_word",
            }
    return None


def make_function_word(row: Record, rng: random.Random) -> list[Record]:
    """List the cuts right after a function word that has words after it.

    The list is in weighted random order (later cuts more likely first); the
    caller takes the first one whose message is new and whose function word is
    not yet over-represented.
    """
    tokens = list(TOKEN_RE.finditer(row["question"]))
    candidates = [
        i
        for i, tok in enumerate(tokens[:-1])
        if tok.group().lower() in FUNCTION_WORDS
        and i + 1 >= MIN_FUNCTION_CUT_WORDS
        and WORD_RE.fullmatch(tokens[i + 1].group().strip("()?,"))
    ]
    # Weighted shuffle (Efraimidis-Spirakis): weight = position in the question.
    keyed = sorted(candidates, key=lambda i: rng.random() ** (1.0 / (i + 1)), reverse=True)
    return [
        {
            "message": row["question"][: tokens[i].end()],
            "kind": "trailing_off",
            "needs_clarification": True,
            "function_word": tokens[i].group().lower(),
        }
        for i in keyed
    ]


def lower_no_qmark(question: str) -> str:
    """Lower-case the question and drop MedQuAD's trailing " ?"."""
    return question.lower().removesuffix(" ?").rstrip()


class MedquadGroups:
    """Collect the MedQuAD-derived records, one source question per record."""

    def __init__(self, rows: list[Record], seed: int) -> None:
        """Shuffle the questions once with the fixed seed."""
        self.rng = random.Random(seed)
        self.pool = rows[:]
        self.rng.shuffle(self.pool)
        self.taken: set[str] = set()
        self.used_messages: set[str] = set()
        self.by_group: dict[str, list[Record]] = {
            "medquad_midword": [],
            "medquad_function_word": [],
            "medquad_intact": [],
        }

    def is_new(self, message: str) -> bool:
        """Tell whether no record has this message yet (ignoring case)."""
        return message.lower() not in self.used_messages

    def free_rows(self) -> list[Record]:
        """Questions not yet used by any group, in shuffled order."""
        return [row for row in self.pool if row["id"] not in self.taken]

    def add(self, group: str, row: Record, fields: Record) -> None:
        """Add one record to a group and mark its question as used."""
        self.taken.add(row["id"])
        self.used_messages.add(fields["message"].lower())
        records = self.by_group[group]
        prefix = group.removeprefix("medquad_").replace("_", "-")
        record: Record = {
            "id": f"mq-{prefix}-{len(records) + 1:03d}",
            "group": group,
            "message": fields["message"],
            "history": [],
        }
        record.update({k: v for k, v in fields.items() if k != "message"})
        record["source_id"] = row["id"]
        records.append(record)

    def add_function_word_cuts(self, count: int) -> None:
        """Take ``count`` function-word cuts, no word ending too many of them."""
        per_word: Counter[str] = Counter()
        records = self.by_group["medquad_function_word"]
        for row in self.free_rows():
            if len(records) >= count:
                return
            for fields in make_function_word(row, self.rng):
                word = fields["function_word"]
                if self.is_new(fields["message"]) and per_word[word] < MAX_PER_FUNCTION_WORD:
                    per_word[word] += 1
                    self.add("medquad_function_word", row, fields)
                    break

    def add_midword_cuts(self, count: int) -> None:
        """Take ``count`` mid-word cuts."""
        spell = SpellChecker()
        records = self.by_group["medquad_midword"]
        for row in self.free_rows():
            if len(records) >= count:
                return
            fields = make_midword(row, self.rng, spell)
            if fields and self.is_new(fields["message"]):
                self.add("medquad_midword", row, fields)

    def add_intact(self, count: int, variant: str) -> None:
        """Take ``count`` intact questions, as written or lower-cased."""
        added = 0
        for row in self.free_rows():
            if added >= count:
                return
            message = row["question"]
            if variant == "lowercase_no_qmark":
                message = lower_no_qmark(message)
            if not (self.is_new(message) and self.is_new(row["question"])):
                continue
            fields = {
                "message": message,
                "kind": "none",
                "needs_clarification": False,
                "variant": variant,
            }
            self.add("medquad_intact", row, fields)
            added += 1


def build_medquad(rows: list[Record], seed: int = SEED) -> list[Record]:
    """Draw the three MedQuAD-derived groups from disjoint questions.

    The questions are shuffled once; each group then takes, in turn, the next
    unused questions that yield a new message: first the function-word cuts
    (the pickiest group), then the mid-word cuts, then the intact questions
    (original wording, then lower-cased without the " ?").
    """
    groups = MedquadGroups(rows, seed)
    groups.add_function_word_cuts(N_FUNCTION_WORD)
    groups.add_midword_cuts(N_MIDWORD)
    groups.add_intact(N_INTACT, "original")
    groups.add_intact(N_INTACT_LOWER, "lowercase_no_qmark")
    got = {group: len(records) for group, records in groups.by_group.items()}
    wanted = {
        "medquad_midword": N_MIDWORD,
        "medquad_function_word": N_FUNCTION_WORD,
        "medquad_intact": N_INTACT + N_INTACT_LOWER,
    }
    if got != wanted:
        raise SystemExit(f"not enough MedQuAD questions: got {got}, wanted {wanted}")
    return [record for records in groups.by_group.values() for record in records]


def load_handwritten(path: Path) -> list[Record]:
    """Read the hand-written cases and check their basic shape."""
    kinds = {"none", "cut_off", "trailing_off", "no_referent", "too_little"}
    records: list[Record] = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            rec = json.loads(line)
            where = f"{path.name}:{lineno}"
            if rec.get("group") == "multiturn":
                turns = rec.get("turns")
                if not turns or any(t.get("expect_kind") not in {"clarification", "answer"} for t in turns):
                    raise SystemExit(f"{where}: bad multiturn record")
            else:
                if rec.get("kind") not in kinds:
                    raise SystemExit(f"{where}: bad kind {rec.get('kind')!r}")
                if rec["needs_clarification"] != (rec["kind"] != "none"):
                    raise SystemExit(f"{where}: needs_clarification disagrees with kind")
                if not isinstance(rec.get("history"), list):
                    raise SystemExit(f"{where}: history must be a list")
            records.append(rec)
    return records


def write_jsonl(records: list[Record], path: Path) -> None:
    """Write one JSON object per line (UTF-8, no ASCII escaping)."""
    with path.open("w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


def main() -> None:
    """Parse arguments, build every group and write the combined file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--medquad", type=Path, default=DEFAULT_MEDQUAD)
    parser.add_argument("--handwritten", type=Path, default=DEFAULT_HANDWRITTEN)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()

    records = build_medquad(load_questions(args.medquad), seed=args.seed)
    records += load_handwritten(args.handwritten)
    ids = [r["id"] for r in records]
    if len(ids) != len(set(ids)):
        raise SystemExit("duplicate ids")
    write_jsonl(records, args.out)
    print(f"wrote {len(records)} records to {args.out}")


if __name__ == "__main__":
    main()
