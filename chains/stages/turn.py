"""One patient message on its way through the pipeline: the typed state every stage reads and fills in.

A stage is ``async def stage(guide, turn) -> Reply | None``: it fills in what it found, and returns a reply
only when the turn ends there (an emergency, a question back, a note that something is out of scope, or
the answer).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from chains.answer.base import TokenSink
from chains.safety import ScopeResult
from chains.triage.grading import Triage
from chains.triage.llm_check import TriageVerdict
from chains.types import Passage
from chains.understand.memory import ConversationState, Rewrite


@dataclass
class PipelineHooks:
    """Optional callbacks a UI uses to show progress; the CLI uses none."""

    on_token: TokenSink | None = None
    on_retrieval_start: Callable[[str], Awaitable[None]] | None = None
    on_retrieval_done: Callable[[str, list[Passage]], Awaitable[None]] | None = None


@dataclass
class Turn:
    """Everything known about one message so far."""

    state: ConversationState
    message: object  # as received: may be anything
    hooks: PipelineHooks = field(default_factory=PipelineHooks)
    timings: dict[str, float] = field(default_factory=dict)
    text: str = ""  # the checked message
    history: list[str] = field(default_factory=list)  # the patient's earlier messages
    triage: Triage | None = None
    second_opinion: asyncio.Task[TriageVerdict | None] | None = None  # the LLM's triage, when configured
    scope: ScopeResult | None = None
    question: str = ""  # what to answer: the message, or the held-back message merged with the reply
    said: str | None = (
        None  # what the patient said about themselves, when not the question (a clicked completion is not)
    )
    interpretation_note: str | None = None
    rewrite: Rewrite | None = None
    standalone: str = ""  # the question made standalone: drives retrieval and the answer
    cancer_type: str | None = None  # the cancer the question is about (a catalogue id), when known
    passages: list[Passage] = field(default_factory=list)
    relevant: bool = True
