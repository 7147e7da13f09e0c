"""Rule books: named regular expressions kept in YAML data files beside the code that reads them.

A rule file holds ``fragments`` (named pieces reused by several rules), ``rules`` (each with an ``id``, a
``pattern`` given as one string or a list of alternatives, optional ``examples`` and ``case_sensitive``) and
any tables the module needs (reasons, notes, thresholds). ``{{name}}`` in a pattern, or in another fragment,
is a fragment; ``{{gap:N}}`` is up to N characters inside one clause that never cross a sentence end, a
negation or a contrast word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

_PLACEHOLDER = re.compile(r"\{\{(\w+)(?::(\d+))?\}\}")


def gap(max_chars: int) -> str:
    """Filler inside one clause: never crosses a sentence end, a negation or a contrast word."""
    return rf"(?:(?!\b(?:no|not|never|without|but|however|although)\b)[^.?!;\n]){{0,{max_chars}}}?"


@dataclass(frozen=True)
class Rule:
    id: str
    pattern: re.Pattern[str]
    examples: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)


class RuleBook:
    """The rules of one data file, looked up by id."""

    def __init__(self, path: Path) -> None:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.path = path
        fragments: dict[str, str] = data.get("fragments") or {}
        self.rules: dict[str, Rule] = {}
        for item in data["rules"]:
            source = item["pattern"]
            alternatives = source if isinstance(source, list) else [source]
            expanded = "|".join(self._expand(str(part), fragments) for part in alternatives)
            flags = 0 if item.get("case_sensitive") else re.IGNORECASE
            meta = {k: v for k, v in item.items() if k not in ("id", "pattern", "examples", "case_sensitive")}
            if item["id"] in self.rules:
                raise ValueError(f"{path.name}: rule id {item['id']} is used twice")
            self.rules[item["id"]] = Rule(
                item["id"], re.compile(expanded, flags), tuple(item.get("examples") or ()), meta
            )
        self.tables: dict[str, Any] = {k: v for k, v in data.items() if k not in ("fragments", "rules")}

    @staticmethod
    def _expand(pattern: str, fragments: dict[str, str]) -> str:
        def replace(match: re.Match[str]) -> str:
            name, size = match.group(1), match.group(2)
            if name == "gap":
                return gap(int(size))
            return RuleBook._expand(fragments[name], fragments)

        return _PLACEHOLDER.sub(replace, pattern)

    def __getitem__(self, rule_id: str) -> re.Pattern[str]:
        return self.rules[rule_id].pattern

    def with_prefix(self, prefix: str) -> dict[str, Rule]:
        return {rule_id: rule for rule_id, rule in self.rules.items() if rule_id.startswith(prefix)}


@cache
def load_rules(path: Path) -> RuleBook:
    """The rule book in ``path``, read once per process."""
    return RuleBook(path)
