"""The LLM engine end to end against a fake OpenAI-compatible server on 127.0.0.1: the real
langchain-openai client streams the answer; errors, timeouts and unsafe answers fall back."""

from __future__ import annotations

import pytest

from chains.pipeline import OncoGuide
from chains.settings import Settings


async def ask(guide: OncoGuide, *messages: str):
    state = guide.new_state("llm-test")
    tokens: list[str] = []

    async def on_token(token: str) -> None:
        tokens.append(token)

    from chains.pipeline import PipelineHooks

    reply = None
    for message in messages:
        tokens.clear()
        reply = await guide.respond(state, message, PipelineHooks(on_token=on_token))
    return reply, tokens


async def test_llm_answer_is_streamed_grounded_and_cited(llm_guide, fake_llm):
    fake_llm.behaviour = "answer"
    fake_llm.requests.clear()
    reply, tokens = await ask(llm_guide, "What are the side effects of ribociclib?")
    assert reply.kind == "answer" and reply.engine == "llm"
    assert len(tokens) >= 5, "the answer arrives as a stream, one checked sentence at a time"
    assert "blood counts are checked regularly [1]" in reply.text
    assert reply.sources and reply.sources[0].doc_id == "ribociclib"
    assert "not medical advice" in reply.text
    sent = fake_llm.requests[-1]
    assert sent["stream"] is True and sent["model"] == "fake-model"
    assert sent["messages"][0]["role"] == "system"
    assert "[1] Ribociclib" in sent["messages"][1]["content"]  # the retrieved passages are the context


async def test_follow_up_is_rewritten_by_the_llm(llm_guide, fake_llm):
    fake_llm.behaviour = "answer"
    fake_llm.requests.clear()
    reply, _ = await ask(llm_guide, "I take ribociclib", "what about its side effects?")
    assert reply.standalone_question == "What are the side effects of ribociclib?"
    assert any(
        r["messages"][-1]["content"].startswith("Rewrite the patient's latest message") for r in fake_llm.requests
    )


@pytest.mark.parametrize("behaviour", ["error500", "slow", "directive", "bad_citation"])
async def test_failures_fall_back_to_the_composer_and_say_so(llm_guide, fake_llm, behaviour):
    fake_llm.behaviour = behaviour
    reply, _ = await ask(llm_guide, "What are the side effects of ribociclib?")
    assert reply.kind == "answer"
    assert reply.engine == "composer-fallback"
    assert "put together directly from OncoGuide's library" in reply.text
    assert "You should stop taking letrozole" not in reply.text and "[7]" not in reply.text
    assert reply.sources and reply.sources[0].doc_id == "ribociclib"


def test_chainlits_ci_placeholder_key_does_not_switch_on_the_llm(settings):
    placeholder = Settings(data_dir=settings.data_dir, OPENAI_API_KEY="sk-FAKE-OPENAI-API-KEY")
    assert not placeholder.llm_enabled
    assert Settings(data_dir=settings.data_dir, OPENAI_API_KEY="sk-real").llm_enabled
