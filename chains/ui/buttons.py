"""Buttons under a reply: built from the reply's options and suggestions, one-time buttons spent once pressed, and
the buttons that still work saved with the thread so a resumed thread shows them again."""

from __future__ import annotations

import chainlit as cl

from chains.types import Reply
from chains.ui.session import BUTTONS_KEY, ONE_TIME_ACTIONS, PROPOSAL_KEY, SPENDABLE_KEY, persist_session
from chains.understand.clarify.reply import SOMETHING_ELSE


async def send_with_buttons(message: cl.Message, streamed: bool) -> None:
    """Send (or finish streaming) ``message``, remember its one-time buttons, so pressing one spends all, and
    save its buttons with the thread, so a resumed thread shows them again."""
    if streamed:
        await message.update()
    else:
        await message.send()
    remember_buttons(message.id, message.actions)
    await persist_session()


def remember_buttons(message_id: str, actions: list[cl.Action]) -> None:
    # New dicts each time, never changed in place: on resume Chainlit fills the user session from the thread's
    # metadata by a shallow copy, and an Action put into a dict it shares would reach the thread it sends.
    one_time = [a for a in actions if a.name in ONE_TIME_ACTIONS]
    if one_time:
        spendable: dict[str, list[cl.Action]] = dict(cl.user_session.get(SPENDABLE_KEY) or {})
        spendable[message_id] = one_time
        cl.user_session.set(SPENDABLE_KEY, spendable)
    if actions:
        buttons: dict[str, list[dict]] = dict(cl.user_session.get(BUTTONS_KEY) or {})
        buttons[message_id] = [{k: v for k, v in a.to_dict().items() if k != "forId"} for a in actions]
        cl.user_session.set(BUTTONS_KEY, buttons)


def forget_buttons(message_id: str | None, action_ids: set[str]) -> None:
    buttons: dict[str, list[dict]] = dict(cl.user_session.get(BUTTONS_KEY) or {})
    if message_id in buttons:
        buttons[message_id] = [b for b in buttons[message_id] if b.get("id") not in action_ids]
        if not buttons[message_id]:
            del buttons[message_id]
        cl.user_session.set(BUTTONS_KEY, buttons)


async def spend_buttons(action: cl.Action) -> None:
    """The question ``action`` answered is settled: remove its one-time buttons from the chat."""
    spendable: dict[str, list[cl.Action]] = dict(cl.user_session.get(SPENDABLE_KEY) or {})
    spent = spendable.pop(action.forId, None) or [action]
    for button in spent:
        await button.remove()
    cl.user_session.set(SPENDABLE_KEY, spendable)
    forget_buttons(action.forId, {b.id for b in spent} | {action.id})
    await persist_session()


async def remove_button(action: cl.Action) -> None:
    """One button is used up (a fact removed): it goes from the chat and from the saved thread."""
    await action.remove()
    forget_buttons(action.forId, {action.id})
    await persist_session()


async def restore_buttons(saved_ui: dict) -> None:
    """Show a resumed thread's live buttons again under their messages, and the proposal they answer."""
    buttons: dict[str, list[dict]] = saved_ui.get("buttons") or {}
    cl.user_session.set(PROPOSAL_KEY, saved_ui.get("proposal"))
    cl.user_session.set(SPENDABLE_KEY, {})  # what the session metadata carried over is replaced, not added to
    cl.user_session.set(BUTTONS_KEY, {})
    for message_id, saved in buttons.items():
        actions = [cl.Action(**b) for b in saved]
        remember_buttons(message_id, actions)
        for action in actions:
            await action.send(for_id=message_id)


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
