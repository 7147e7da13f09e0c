"""Every rule in the safety, context, clarify, profile and follow-up rule books has an id and examples, and its examples behave as documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from chains.safety import assess_scope, detect_red_flag
from chains.text.normalise import normalise
from chains.text.rules import RuleBook, load_rules

ROOT = Path(__file__).resolve().parents[2]
BOOKS = [
    ROOT / "chains/safety/urgency_rules.yaml",
    ROOT / "chains/safety/scope_rules.yaml",
    ROOT / "chains/safety/output_rules.yaml",
    ROOT / "chains/text/context_rules.yaml",
    ROOT / "chains/understand/clarify/clarify.yaml",
    ROOT / "chains/understand/profile/profile_rules.yaml",
    ROOT / "chains/understand/profile/cues.yaml",
    ROOT / "chains/understand/followups.yaml",
    ROOT / "chains/understand/referents.yaml",
    ROOT / "chains/understand/asks.yaml",
    ROOT / "chains/answer/answer_rules.yaml",
    ROOT / "chains/stages/gate_rules.yaml",
]
# matched against the text as written, not the normalised message
RAW_TEXT_BOOKS = {
    "output_rules",
    "clarify",
    "profile_rules",
    "cues",
    "followups",
    "referents",
    "asks",
    "answer_rules",
    "gate_rules",
}
RULES = [(path, rule_id) for path in BOOKS for rule_id in load_rules(path).rules]


@pytest.mark.parametrize(("path", "rule_id"), RULES, ids=[f"{p.stem}:{r}" for p, r in RULES])
def test_every_rule_has_examples_that_it_matches(path: Path, rule_id: str) -> None:
    rule = load_rules(path).rules[rule_id]
    assert rule.examples, f"{rule_id} has no examples"
    for example in rule.examples:
        text = example if path.stem in RAW_TEXT_BOOKS else normalise(example)
        assert rule.pattern.search(text), f"{rule_id} does not match its example {example!r}"


@pytest.mark.parametrize("rule_id", sorted(load_rules(BOOKS[0]).with_prefix("red.")))
def test_red_flag_examples_are_routed_to_their_category(rule_id: str) -> None:
    rule = load_rules(BOOKS[0]).rules[rule_id]
    for example in rule.examples:
        flag = detect_red_flag(example)
        assert flag is not None and flag.category == rule.meta["category"], (example, flag)


def test_context_cue_examples_are_not_emergencies() -> None:
    cues = [rule for rule in load_rules(BOOKS[3]).rules.values() if rule.meta.get("effect") == "not_current"]
    assert len(cues) >= 6
    for rule in cues:
        for example in rule.examples:
            assert detect_red_flag(example) is None, (rule.id, example)


@pytest.mark.parametrize("limit", ["dosing", "directive", "lab_interpretation"])
def test_advice_limit_examples_get_their_limit(limit: str) -> None:
    for example in load_rules(BOOKS[1]).rules[limit].examples:
        assert limit in assess_scope(example).advice_limits, example


def test_fragments_and_gaps_expand(tmp_path: Path) -> None:
    book = tmp_path / "rules.yaml"
    book.write_text(
        "fragments:\n  pain: (?:pain|ache)\nrules:\n- id: r\n  pattern:\n  - chest {{pain}}\n  - leg{{gap:10}}swollen\n"
    )
    rules = RuleBook(book)
    assert rules["r"].search("CHEST ACHE")
    assert rules["r"].search("leg is very swollen")
    assert not rules["r"].search("leg is not swollen")


def test_a_duplicate_rule_id_is_refused(tmp_path: Path) -> None:
    book = tmp_path / "rules.yaml"
    book.write_text("rules:\n- id: r\n  pattern: a\n- id: r\n  pattern: b\n")
    with pytest.raises(ValueError, match="used twice"):
        RuleBook(book)


def test_every_clarify_word_list_is_read() -> None:
    source = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "chains/understand/clarify").glob("*.py"))
    unread = [name for name in load_rules(BOOKS[4]).tables["words"] if f'"{name}"' not in source]
    assert not unread, f"word lists in clarify.yaml that chains/understand/clarify/ never reads: {unread}"
