"""OncoGuide's Chainlit entry point: hooks only. Every pipeline stage lives in ``chains/``."""

from __future__ import annotations

import chainlit as cl

from chains.pipeline import STARTER_QUESTIONS
from chains.ui import buttons, profile_panel, session, turns
from chains.ui.app_setup import configure_auth, data_layer_factory, settings, warn_without_care_team_number
from chains.ui.web_page import serve_own_assets_only

serve_own_assets_only()
warn_without_care_team_number(settings)
session.start_building()

if settings.auth == "password":
    users = configure_auth(settings)

    @cl.password_auth_callback
    async def sign_in(username: str, password: str) -> cl.User | None:
        if users.verify(username, password):
            return cl.User(identifier=username, metadata={"provider": "password"})
        return None

    cl.data_layer(data_layer_factory(settings))


@cl.set_starters
async def starters(user: cl.User | None = None, language: str | None = None) -> list[cl.Starter]:
    return [cl.Starter(label=question, message=question) for question in STARTER_QUESTIONS]


@cl.on_chat_start
async def start() -> None:
    try:
        await session.current_state(await session.get_guide())
    except Exception:  # the first message will say so kindly; a greeting must not show an error
        session.log.exception("could not prepare the conversation at chat start")


@cl.on_chat_resume
@session.always_replies
async def on_resume(thread: cl.types.ThreadDict) -> None:
    await turns.resume(dict(thread))


@cl.on_message
@session.always_replies
async def on_message(message: cl.Message) -> None:
    files = [e for e in message.elements or [] if getattr(e, "path", None)]
    if files:
        await profile_panel.handle_files(files, settings.keep_uploads, settings.upload_max_mb)
    if message.content.strip() or not files:
        await turns.run_turn(message.content)


@cl.action_callback("clarify_option")
@session.always_replies
async def on_clarify_option(action: cl.Action) -> None:
    await buttons.spend_buttons(action)
    await turns.run_turn(action.payload["text"], echo=True)


@cl.action_callback("ask_related")
@session.always_replies
async def on_related_question(action: cl.Action) -> None:
    await turns.run_turn(action.payload["question"], echo=True)


@cl.action_callback("something_else")
async def on_something_else(action: cl.Action) -> None:
    await buttons.spend_buttons(action)
    await cl.Message(content="Of course — please type what you meant, and I'll answer from there.").send()


@cl.action_callback("show_profile")
@session.always_replies
async def on_show_profile(action: cl.Action) -> None:
    await profile_panel.open_profile_panel()


@cl.action_callback("review_profile")
@session.always_replies
async def on_review_profile(action: cl.Action) -> None:
    await profile_panel.review_profile()


@cl.action_callback("remove_fact")
@session.always_replies
async def on_remove_fact(action: cl.Action) -> None:
    await buttons.remove_button(action)  # that fact is gone: its button is spent
    await profile_panel.remove_fact(action.payload["field"], action.payload["value"])


@cl.action_callback("forget_profile")
@session.always_replies
async def on_forget_profile(action: cl.Action) -> None:
    await turns.run_turn("forget my details", echo=True)


@cl.action_callback("accept_profile")
@session.always_replies
async def on_accept_profile(action: cl.Action) -> None:
    await buttons.spend_buttons(action)
    await profile_panel.accept_proposal(True)


@cl.action_callback("reject_profile")
@session.always_replies
async def on_reject_profile(action: cl.Action) -> None:
    await buttons.spend_buttons(action)
    await profile_panel.accept_proposal(False)
