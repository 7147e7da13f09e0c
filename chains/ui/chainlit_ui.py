"""Chainlit adapter: turns a pipeline ``Reply`` into Chainlit messages, actions and elements, keeps
the conversation state in the session and its thread, and shows the patient profile panel.

Kept apart from ``app.py`` so the entry point holds only hooks, and apart from the pipeline so the
pipeline never imports Chainlit.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import resource  # noqa: F401  (imported on the main thread: see chromadb.api.rust below)
import threading
from collections.abc import Awaitable, Callable
from functools import cache
from pathlib import Path
from typing import ParamSpec
from urllib.parse import urlsplit

import chainlit as cl

# Chroma's Rust client imports the standard library's ``resource`` module when the first client is created.
# The pipeline is built in a background thread while the server's main thread is still importing; a first
# import of the same module from two threads can fail ("No module named 'resource'"), and Chroma then caches a
# half-built client, so the retry fails too and the first patient gets the apology. Importing both here, on
# the main thread before the build starts, removes the race (seen as a rare PostgreSQL resume-test failure).
import chromadb.api.rust  # noqa: F401
import yaml
from chainlit.utils import utc_now

from chains.pipeline import IndexNotReady, OncoGuide, PipelineHooks
from chains.prompts import load_prompt
from chains.settings import get_settings
from chains.types import Passage, Reply
from chains.ui.persistence import load_state, save_state
from chains.ui.records import propose_profile, read_record
from chains.understand.clarify import SOMETHING_ELSE
from chains.understand.memory import ConversationState
from chains.understand.profile.facts import PatientProfile, profile_facts, without_fact

log = logging.getLogger("oncoguide.ui")
P = ParamSpec("P")
STATE_KEY = "oncoguide_conversation"
PROPOSAL_KEY = "oncoguide_profile_proposal"
SPENDABLE_KEY = "oncoguide_spendable_actions"  # message id -> the one-time buttons shown under it
# Message id -> the buttons still shown under it, saved with the thread's state: Chainlit does not store
# actions, and a resumed thread must show the buttons that still work (spent ones stay gone).
BUTTONS_KEY = "oncoguide_buttons"
# Buttons that answer a question (a clarification's options, Yes/No on a record): once one is pressed the
# question is answered, and all of them go, so none can be pressed twice or after the fact.
ONE_TIME_ACTIONS = {"clarify_option", "something_else", "accept_profile", "reject_profile"}
PROFILE_TITLE = "What I know about you"
SEARCH_STEP = "the knowledge base"
# An urgent reply's avatar is a distinct icon (a siren for act-now, a phone for call-today) instead of
# OncoGuide's ribbon: the patient sees at a glance that this one is different, and oncoguide.css styles the
# whole reply as an alert from it (the icon is saved with the message, so a resumed thread looks the same).
URGENT_ICONS = {"red": "siren", "amber": "phone"}
_guide: OncoGuide | None = None
_guide_error: BaseException | None = None
_guide_ready = threading.Event()


@cache
def ui_texts() -> dict:
    """The UI's fixed texts (chains/prompts/ui_texts.yaml)."""
    return yaml.safe_load(load_prompt("ui_texts.yaml"))


def start_building() -> None:
    """Build the pipeline (open the index, load the models and clients) in the background as the server starts."""

    def build() -> None:
        global _guide, _guide_error
        try:
            _guide = OncoGuide.build()
        except BaseException as exc:  # surfaced to the first chat that needs the pipeline
            if isinstance(exc, IndexNotReady):
                log.error("OncoGuide cannot answer until the index is built: %s", exc)
            _guide_error = exc
        finally:
            _guide_ready.set()

    threading.Thread(target=build, name="oncoguide-build", daemon=True).start()


_rebuild_lock = asyncio.Lock()


def forget_half_built_clients() -> None:
    """Drop the Chroma clients a failed build may have cached, so the retry builds them afresh."""
    from chromadb.api.shared_system_client import SharedSystemClient

    from chains.retrieval.chroma_client import forget_clients

    SharedSystemClient.clear_system_cache()
    forget_clients()


async def get_guide() -> OncoGuide:
    """The process-wide pipeline, built once; waits for the start-up build if it is still running.

    If the start-up build failed, the next turn tries once more (a passing fault must not leave the
    process unable to answer for the rest of its life); a second failure is raised to the turn."""
    global _guide, _guide_error
    if not _guide_ready.is_set():
        await asyncio.to_thread(_guide_ready.wait)
    if _guide is None:
        async with _rebuild_lock:
            if _guide is None and _guide_error is not None:
                log.error("the pipeline failed to build at start-up; trying again", exc_info=_guide_error)
                forget_half_built_clients()
                try:
                    _guide = await asyncio.to_thread(OncoGuide.build)
                    _guide_error = None
                except Exception as exc:
                    _guide_error = exc
    if _guide is None:
        raise RuntimeError("OncoGuide could not start") from _guide_error
    return _guide


def always_replies(handler: Callable[P, Awaitable[object]]) -> Callable[P, Awaitable[None]]:
    """A hook whose failure still gives the patient one kind reply, with the urgent numbers.

    Without this, an exception reaches Chainlit, which shows its raw text (or nothing, for a
    cancelled task); the patient must never be left with a silent or technical chat.
    """

    @functools.wraps(handler)
    async def guarded(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            await handler(*args, **kwargs)
        except Exception as exc:
            log.exception("a turn failed; the patient gets the apology with the urgent numbers")
            settings = get_settings()
            not_ready = isinstance(exc.__cause__ or exc, IndexNotReady)
            text = load_prompt("library_not_ready.md" if not_ready else "turn_failed.md").format(
                care_team_line=settings.care_team_line, emergency_number=settings.emergency_number
            )
            await cl.Message(content=text).send()

    return guarded


async def current_state(guide: OncoGuide) -> ConversationState:
    """This session's conversation: in memory, else saved for its thread (a resume), else new.

    Loading here, not only in on_chat_resume, closes a race: a message can arrive before the resume
    hook has finished restoring the thread.
    """
    state: ConversationState | None = cl.user_session.get(STATE_KEY)
    if state is None:
        session = cl.context.session
        thread_id = getattr(session, "thread_id_to_resume", None) or session.thread_id
        saved = await load_state(thread_id) if thread_id else None
        state = cl.user_session.get(STATE_KEY)  # another hook may have set it while we waited
        if state is None:
            state = ConversationState.from_dict(saved) if saved else guide.new_state(session.id)
            cl.user_session.set(STATE_KEY, state)
            log.info("conversation %s: %s", thread_id, "saved state restored" if saved else "new state")
    return state


async def persist(state: ConversationState) -> None:
    """Save the conversation with what the page shows beyond Chainlit's own steps: the live buttons and a
    record proposal waiting for its yes or no."""
    saved = state.to_dict()
    saved["ui"] = {"buttons": cl.user_session.get(BUTTONS_KEY) or {}, "proposal": cl.user_session.get(PROPOSAL_KEY)}
    await save_state(cl.context.session.thread_id, saved)


async def persist_session() -> None:
    """Save this session's conversation, if it has one yet."""
    state: ConversationState | None = cl.user_session.get(STATE_KEY)
    if state is not None:
        await persist(state)


# --- the profile panel ------------------------------------------------------------------------------
def profile_markdown(profile: PatientProfile) -> str:
    facts = profile.describe()
    if not facts:
        return (
            "Nothing yet. If you tell me about your diagnosis or treatment, I'll use it to tailor answers — "
            "and you can correct or clear it any time."
        )
    lines = [f"- {fact[0].upper()}{fact[1:]}" for fact in facts]
    if profile.goals:
        lines.append("- Interested in: " + ", ".join(profile.goals))
    return "\n".join(lines) + "\n\n*Only what you told me. Say “forget my details” to clear it.*"


async def show_profile_panel(profile: PatientProfile) -> None:
    await cl.ElementSidebar.set_elements(
        [cl.Text(name=PROFILE_TITLE, content=profile_markdown(profile))], key="profile"
    )
    await cl.ElementSidebar.set_title(PROFILE_TITLE)


async def open_profile_panel() -> None:
    """The patient asked for the panel: show what OncoGuide knows now."""
    guide = await get_guide()
    await show_profile_panel((await current_state(guide)).profile)


def profile_actions() -> list[cl.Action]:
    """Under an answer that changed the profile: the panel one tap away (it is not opened unasked, since on a
    phone it is a sheet over the answer just asked for), review, forget."""
    return [
        cl.Action(name="show_profile", payload={}, label=PROFILE_TITLE, icon="user"),
        cl.Action(name="review_profile", payload={}, label="Review or correct what I know", icon="user-pen"),
        cl.Action(name="forget_profile", payload={}, label="Forget my details", icon="eraser"),
    ]


async def review_profile() -> None:
    guide = await get_guide()
    state = await current_state(guide)
    facts = profile_facts(state.profile)
    if not facts:
        await cl.Message(content="I don't have any details about you saved.").send()
        return
    actions = [
        cl.Action(
            name="remove_fact", payload={"field": f, "value": v}, label=f"Remove: {label}", tooltip="Remove this fact"
        )
        for f, v, label in facts
    ]
    actions.append(cl.Action(name="forget_profile", payload={}, label="Forget all of it", icon="eraser"))
    text = "Here is what I know about you. Tap anything that is wrong to remove it, or tell me the correct detail.\n\n"
    await send_with_buttons(cl.Message(content=text + profile_markdown(state.profile), actions=actions), streamed=False)


async def remove_fact(field_name: str, value: str) -> None:
    guide = await get_guide()
    state = await current_state(guide)
    state.profile = without_fact(state.profile, field_name, value)
    await persist(state)
    removed = ui_texts()["profile_removed"].format(value=value)
    await cl.Message(content=f"{removed}\n\n{profile_markdown(state.profile)}").send()


# --- records ------------------------------------------------------------------------------------------
async def handle_files(files: list, keep_uploads: bool, max_mb: float) -> None:
    """Read attached records and propose the facts found; nothing is added without a yes."""
    guide = await get_guide()
    for element in files:
        path = Path(element.path) if getattr(element, "path", None) else None
        if path is None or not path.exists():
            continue
        reading = read_record(path, element.name, element.mime, max_mb)
        if not keep_uploads:
            path.unlink(missing_ok=True)
        if reading.problem:
            await cl.Message(content=reading.problem).send()
            continue
        proposal = propose_profile(reading.text, guide.vocabulary)
        facts = proposal.describe()
        if not facts:
            await cl.Message(
                content=f"I read “{reading.name}” but didn't find details I can use to tailor answers."
            ).send()
            continue
        cl.user_session.set(PROPOSAL_KEY, proposal.to_dict())
        listed = "; ".join(facts)
        question = cl.Message(
            content=f"I read “{reading.name}”. I found: **{listed}**. Add these to what I know about you?",
            actions=[
                cl.Action(name="accept_profile", payload={}, label="Yes, add these", icon="check"),
                cl.Action(name="reject_profile", payload={}, label="No, don't add them", icon="x"),
            ],
        )
        await send_with_buttons(question, streamed=False)


async def accept_proposal(accept: bool) -> None:
    guide = await get_guide()
    state = await current_state(guide)
    proposal = cl.user_session.get(PROPOSAL_KEY)
    cl.user_session.set(PROPOSAL_KEY, None)
    if not proposal:
        await cl.Message(content="There is nothing waiting to be added.").send()
        return
    if not accept:
        await cl.Message(content="Okay — I haven't added anything from the file.").send()
        return
    state.profile = state.profile.merge(PatientProfile.from_dict(proposal))
    await persist(state)
    added = ui_texts()["profile_added"]
    message = cl.Message(content=f"{added}\n\n{profile_markdown(state.profile)}", actions=profile_actions())
    await send_with_buttons(message, streamed=False)


# --- buttons --------------------------------------------------------------------------------------------
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


# --- one turn -----------------------------------------------------------------------------------------
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


def source_card(ref_heading: str, headings: list[str], origins: list[dict]) -> str:
    """A source card's body (its title is the card's name): the content sections used, then the public
    originals as named links (a link without a name is named by its site, never shown as a raw URL)."""
    skip = set(ui_texts()["not_content_sections"])
    sections = sorted({h for h in [*headings, ref_heading] if h and h not in skip})
    parts = [ui_texts()["sections_used"].format(sections=", ".join(sections))] if sections else []
    links = [
        f"- [{s.get('name') or urlsplit(s['url']).netloc.removeprefix('www.')}]({s['url']})"
        for s in origins
        if s.get("url")
    ]
    if links:
        parts.append("\n".join(links))
    return "\n\n".join(parts)


def source_elements(reply: Reply, passages: list[Passage]) -> list[cl.Text]:
    elements = []
    for ref in reply.sources:
        headings = [p.heading for p in passages if p.doc_id == ref.doc_id]
        origins = list(next((p.sources for p in passages if p.doc_id == ref.doc_id), ()))
        body = source_card(ref.heading if not headings else "", headings, origins)
        elements.append(cl.Text(name=f"[{ref.n}] {ref.title}", content=body, display="inline"))
    return elements


async def run_turn(text: str, echo: bool = False) -> Reply:
    """Send ``text`` through the pipeline and show the reply, streamed, with its buttons and sources.

    With ``echo`` (a button was pressed) the text is shown as the patient's message first, and the answer
    runs inside an ``on_message`` run step as a typed message's does: Chainlit gives only the answers of
    such a run the copy and thumbs buttons."""
    if not echo:
        return await _answer(text)
    said = cl.Message(content=text, type="user_message", author="You")
    await said.send()
    async with cl.Step(name="on_message", type="run", parent_id=said.id):
        return await _answer(text)


async def _answer(text: str) -> Reply:
    guide = await get_guide()
    state = await current_state(guide)
    profile_before = state.profile.to_dict()
    message: cl.Message | None = None  # created at the first token, so the search step shows above it
    retrieved: list[Passage] = []
    step: cl.Step | None = None

    async def on_token(token: str) -> None:
        nonlocal message
        if message is None:
            # Given its time now: a streamed message is persisted by update(), which sets none, and a step
            # without one sorts before its parent when the thread is resumed (the page then drops it).
            message = cl.Message(content="", created_at=utc_now())
        await message.stream_token(token)

    async def on_retrieval_start(query: str) -> None:
        nonlocal step
        current = cl.context.current_step  # the running on_message step: the answer's parent too
        parent = current.id if current else None
        # Chainlit labels a tool step "<using> <name>" while it runs and "<used> <name>" after; the translation
        # (.chainlit/translations/en-US.json) makes that "Searching the knowledge base" / "Searched the knowledge base".
        step = cl.Step(name=SEARCH_STEP, type="tool", show_input=True, parent_id=parent)
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
    streamed = message is not None
    if message is None:
        message = cl.Message(content="")
    message.content = reply.text
    urgent = reply.kind == "emergency" or reply.urgency == "red"
    # Nothing under an act-now notice competes with it: no related questions, options or profile buttons.
    message.actions = [] if urgent else reply_actions(reply)
    icon = URGENT_ICONS.get("red" if urgent else reply.urgency)
    if icon:
        message.metadata = {**(message.metadata or {}), "icon": icon}
    profile_changed = state.profile.to_dict() != profile_before
    if not state.profile.is_empty() and not urgent:
        # The panel is one tap away under the latest answer; review and forget under one that changed it.
        message.actions += profile_actions() if profile_changed else profile_actions()[:1]
    message.elements = source_elements(reply, retrieved)  # type: ignore[assignment]
    await send_with_buttons(message, streamed)  # saves the state too
    return reply


async def resume(thread: dict) -> None:
    """Restore memory, the pending clarification and the profile from the thread's saved state, and the
    buttons that still work. The profile panel is not opened unasked (on a phone it covers the thread): its
    button under the latest answer opens it."""
    guide = await get_guide()
    saved = await load_state(thread["id"])
    state = ConversationState.from_dict(saved) if saved else guide.new_state(cl.context.session.id)
    if cl.user_session.get(STATE_KEY) is None:  # a message may already have restored it
        cl.user_session.set(STATE_KEY, state)
        log.info("conversation %s resumed: %s", thread["id"], "saved state restored" if saved else "no saved state")
    await restore_buttons((saved or {}).get("ui") or {})
