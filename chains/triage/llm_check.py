"""With an LLM configured: a second triage opinion, in parallel with the other stages.

The model's verdict is structured output (LangChain's ``with_structured_output``, validated by pydantic
against the triage categories). It may only raise the offline decision, never lower it; an error, a
timeout or an off-schema reply leaves the offline decision as it was.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chains.prompts import load_prompt
from chains.settings import Settings
from chains.triage.grading import load_catalogue

log = logging.getLogger("oncoguide.triage.llm")
CHECK_TIMEOUT_S = 8.0  # the answer waits for the verdict at most this long
CategoryId = Literal[tuple(load_catalogue()[0])]  # type: ignore[valid-type]


class TriageVerdict(BaseModel):
    """What the model must return."""

    model_config = ConfigDict(extra="forbid")
    urgency: Literal["red", "amber", "green"]
    category: CategoryId = "none"
    reason: str = Field("", max_length=300)


class LLMTriageCheck:
    """One structured-output runnable per process."""

    def __init__(self, settings: Settings, chat_model) -> None:
        self.settings = settings
        self.runnable = chat_model.with_structured_output(TriageVerdict, method="json_mode")
        self.timeout_s = min(settings.llm_timeout_s, CHECK_TIMEOUT_S)

    def prompt(self, message: str, history: list[str] | tuple[str, ...]) -> str:
        return load_prompt("triage_check.md").format(
            threshold=f"{self.settings.fever_threshold_c:.1f}",
            categories=", ".join(f'"{c}"' for c in load_catalogue()[0]),
            history="\n".join(f"- {turn}" for turn in history[-3:]) or "(none)",
            message=message,
        )

    async def check(self, message: str, history: list[str] | tuple[str, ...] = ()) -> TriageVerdict | None:
        try:
            async with asyncio.timeout(self.timeout_s):
                verdict = await self.runnable.ainvoke(self.prompt(message, history))
        except Exception as exc:  # any fault: the offline decision stands
            log.warning("LLM triage check failed (%s); keeping the offline decision", exc.__class__.__name__)
            return None
        return verdict if isinstance(verdict, TriageVerdict) else None
