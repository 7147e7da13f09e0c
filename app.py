"""OncoGuide's Chainlit entry point: hooks only. Every pipeline stage lives in ``chains/``."""

from __future__ import annotations

import chainlit as cl

from chains.chainlit_ui import STATE_KEY, get_guide, run_turn
from chains.pipeline import STARTER_QUESTIONS


@cl.set_starters
async def starters(user: cl.User | None = None, language: str | None = None) -> list[cl.Starter]:
    return [cl.Starter(label=question, message=question) for question in STARTER_QUESTIONS]


@cl.on_chat_start
async def start() -> None:
    guide = await get_guide()
    cl.user_session.set(STATE_KEY, guide.new_state(cl.context.session.id))


@cl.on_message
async def on_message(message: cl.Message) -> None:
    await run_turn(message.content)


@cl.action_callback("clarify_option")
async def on_clarify_option(action: cl.Action) -> None:
    await run_turn(action.payload["text"], echo=True)


@cl.action_callback("ask_related")
async def on_related_question(action: cl.Action) -> None:
    await run_turn(action.payload["question"], echo=True)


@cl.action_callback("something_else")
async def on_something_else(action: cl.Action) -> None:
    await cl.Message(content="Of course — please type what you meant, and I'll answer from there.").send()
