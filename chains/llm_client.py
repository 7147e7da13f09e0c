"""The OpenAI-compatible chat client every LLM feature shares (answers, the follow-up rewriter, profile
extraction, the triage second opinion), built from ``Settings``; imported only when an LLM is configured."""

from __future__ import annotations

from chains.settings import Settings


def build_chat_model(settings: Settings):
    """One client per process: the real ``ChatOpenAI`` with no retries (we fall back instead)."""
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=settings.openai_model,
        api_key=settings.openai_api_key or "not-needed",
        base_url=settings.openai_base_url,
        temperature=settings.llm_temperature,
        timeout=settings.llm_timeout_s,
        max_retries=0,
        streaming=True,
    )
