"""The Chainlit session's side of OncoGuide: the pipeline built once per process in the background (retried once
if the start-up build failed), the conversation state kept in the session and saved with its thread, the UI's
fixed texts, and hooks that always give the patient one kind reply."""

from __future__ import annotations

import asyncio
import functools
import logging
import resource  # noqa: F401  (imported on the main thread: see chromadb.api.rust below)
import threading
from collections.abc import Awaitable, Callable
from functools import cache
from typing import ParamSpec

import chainlit as cl

# Chroma's Rust client imports the standard library's ``resource`` module when the first client is created.
# The pipeline is built in a background thread while the server's main thread is still importing; a first
# import of the same module from two threads can fail ("No module named 'resource'"), and Chroma then caches a
# half-built client, so the retry fails too and the first patient gets the apology. Importing both here, on
# the main thread before the build starts, removes the race (seen as a rare PostgreSQL resume-test failure).
import chromadb.api.rust  # noqa: F401
import yaml

from chains.pipeline import IndexNotReady, OncoGuide
from chains.prompts import load_prompt
from chains.settings import get_settings
from chains.ui.persistence import load_state, save_state
from chains.understand.memory import ConversationState

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
