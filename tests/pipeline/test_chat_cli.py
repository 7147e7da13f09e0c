"""The scriptable contract: ``python -m chains.cli --json`` as a real subprocess, offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

KEYS = {
    "session",
    "kind",
    "urgency",
    "text",
    "options",
    "suggestions",
    "sources",
    "standalone_question",
    "profile",
    "timings_ms",
}


def run_chat(lines: list[str], extra_env: dict[str, str] | None = None, timeout: int = 300) -> list[dict]:
    env = {**os.environ, **(extra_env or {})}
    result = subprocess.run(
        [sys.executable, "-m", "chains.cli", "--json"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    replies = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(replies) == len(lines), (result.stdout, result.stderr[-2000:])
    for reply in replies:
        assert set(reply) == KEYS
        assert reply["kind"] in {"answer", "clarification", "emergency", "out_of_scope"}
    return replies


@pytest.fixture(scope="module")
def reference_conversation(indexed_kb) -> list[dict]:
    return run_chat(
        [
            "Er+ oligomet breast cancer. Have been 5aking ribocyclib for 14 months.",
            "What are its side effects?",
            "How is that monitored?",
            json.dumps({"session": "other", "message": "What are its side effects?"}),
            "",
            "Can you suggest integrative approaches? Possibly i can stop the progression. With offlabels for example neutr",
            "yes, neutrophil-related",
        ]
    )


def test_follow_up_is_rewritten_with_the_drug_and_cites_its_document(reference_conversation):
    first, second, third = reference_conversation[:3]
    assert first["kind"] == "answer"
    assert first["profile"]["current_treatments"] == ["ribociclib"]
    assert second["kind"] == "answer"
    assert "ribociclib" in second["standalone_question"].lower()
    assert "ribociclib" in [s["doc_id"] for s in second["sources"]]
    assert "side effect" in second["text"].lower() and "[1]" in second["text"]
    assert "ribociclib" in third["standalone_question"].lower()
    assert all(set(s) == {"doc_id", "title", "url"} for s in second["sources"])


def test_answer_shape_follows_patient_education(reference_conversation):
    text = reference_conversation[1]["text"]
    first_sentences = " ".join(text.split()[:60]).lower()
    assert "side effect" in first_sentences or "neutropenia" in first_sentences, text[:400]  # the answer comes first
    assert "What you have told me:* ER-positive oligometastatic breast cancer; taking ribociclib" in text
    for part in (
        "**Evidence:**",
        "Questions to ask your care team",
        "Where to learn more",
        "not medical advice",
        "**Sources**",
    ):
        assert part in text, part
    assert 2 <= len(reference_conversation[1]["suggestions"]) <= 3


def test_sessions_keep_separate_memory(reference_conversation):
    other = reference_conversation[3]
    assert other["session"] == "other"
    assert other["kind"] == "clarification"  # nothing in *that* session says what "its" means
    assert other["profile"] == {}


def test_empty_line_gets_a_kind_message_and_the_conversation_continues(reference_conversation):
    empty = reference_conversation[4]
    assert empty["kind"] == "clarification" and "empty" in empty["text"].lower()


def test_cut_off_message_is_clarified_then_answered(reference_conversation):
    clarification, answer = reference_conversation[5:7]
    assert clarification["kind"] == "clarification"
    assert '"neutr"' in clarification["text"]
    assert any(option.lower().startswith("neutrophil") for option in clarification["options"])
    assert answer["kind"] == "answer"
    assert "neutrophil" in answer["standalone_question"].lower()
    assert "integrative" in answer["standalone_question"].lower()
    assert any(s["doc_id"] in {"neutropenia", "integrative-oncology", "cdk46-dose-changes"} for s in answer["sources"])


def test_emergency_routes_first_with_configured_numbers(indexed_kb):
    replies = run_chat(
        ["my neutrophils were low last week", "I have a fever of 38.6 now"],
        extra_env={"ONCOGUIDE_EMERGENCY_NUMBER": "112", "ONCOGUIDE_CARE_TEAM_LINE": "the oncology hotline 555-0100"},
    )
    assert replies[1]["kind"] == "emergency"
    assert "112" in replies[1]["text"] and "555-0100" in replies[1]["text"]
    assert replies[1]["sources"] == [] and replies[1]["standalone_question"] is None
