"""Chainlit adapter: turns a pipeline ``Reply`` into Chainlit messages, actions and elements.

Kept apart from ``app.py`` so the entry point holds only hooks, and apart from the pipeline so the
pipeline never imports Chainlit.
"""

from __future__ import annotations

import asyncio

import chainlit as cl

from chains.clarify import SOMETHING_ELSE
from chains.memory import ConversationState
from chains.pipeline import OncoGuide, PipelineHooks
from chains.types import Passage, Reply

STATE_KEY = "oncoguide_state"
_guide: OncoGuide | None = None
_guide_lock = asyncio.Lock()


async def get_guide() -> OncoGuide:
    """The process-wide pipeline, built on first use (index, models and clients load once)."""
    global _guide
    async with _guide_lock:
        if _guide is None:
            _guide = await asyncio.to_thread(OncoGuide.build)
    return _guide


def reply_actions(reply: Reply) -> list[cl.Action]:
    actions = [
        cl.Action(name="clarify_option", payload={"text": option}, label=option, tooltip=f"I meant: {option}")
        for option in reply.options
    ]
    if reply.kind == "clarification" and reply.options:
        actions.append(
            cl.Action(name="something_else", payload={}, label=SOMETHING_ELSE, tooltip="Type your own answer")
        )
    actions += [
        cl.Action(
            name="ask_related",
            payload={"question": q},
            label=q,
            tooltip="Ask this next",
            icon="message-circle-question",
        )
        for q in reply.suggestions
    ]
    return actions


def source_elements(reply: Reply, passages: list[Passage]) -> list[cl.Text]:
    elements = []
    for ref in reply.sources:
        sections = sorted({p.heading for p in passages if p.doc_id == ref.doc_id})
        origins = next((p.sources for p in passages if p.doc_id == ref.doc_id), ())
        lines = [f"**{ref.title}**", f"Sections used: {', '.join(sections) or ref.heading}"]
        lines += [f"- [{s.get('name', '')}]({s.get('url', '')})" for s in origins]
        elements.append(
            cl.Text(
                name=f"[{ref.n}] {ref.title}",
                content="\n\n".join(lines[:2]) + "\n\n" + "\n".join(lines[2:]),
                display="inline",
            )
        )
    return elements


async def run_turn(text: str, echo: bool = False) -> Reply:
    """Send ``text`` through the pipeline and show the reply, streamed, with its buttons and sources."""
    guide = await get_guide()
    state: ConversationState = cl.user_session.get(STATE_KEY) or guide.new_state(cl.context.session.id)
    cl.user_session.set(STATE_KEY, state)
    if echo:
        await cl.Message(content=text, type="user_message", author="You").send()
    message = cl.Message(content="")
    retrieved: list[Passage] = []
    step: cl.Step | None = None
    streamed = False

    async def on_token(token: str) -> None:
        nonlocal streamed
        streamed = True
        await message.stream_token(token)

    async def on_retrieval_start(query: str) -> None:
        nonlocal step
        step = cl.Step(name="Searching the knowledge base", type="tool", show_input=True)
        step.input = query
        await step.send()

    async def on_retrieval_done(query: str, passages: list[Passage]) -> None:
        retrieved.extend(passages)
        if step is not None:
            titles = list(dict.fromkeys(p.title for p in passages))
            step.output = "Found: " + "; ".join(titles) if titles else "Nothing relevant found."
            await step.update()

    hooks = PipelineHooks(on_token=on_token, on_retrieval_start=on_retrieval_start, on_retrieval_done=on_retrieval_done)
    reply = await guide.respond(state, text, hooks)
    message.content = reply.text
    message.actions = reply_actions(reply)
    message.elements = source_elements(reply, retrieved)  # type: ignore[assignment]
    if streamed:
        await message.update()
    else:
        await message.send()
    return reply
