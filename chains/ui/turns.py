"""One turn in the Chainlit adapter: the patient's message through the pipeline, streamed back as a Chainlit
message with its search step, sources, buttons and profile button; and a resumed thread restored.

The adapter (``chains/ui/``) is kept apart from ``app.py`` so the entry point holds only hooks, and apart from
the pipeline so the pipeline never imports Chainlit.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import chainlit as cl
from chainlit.utils import utc_now

from chains.pipeline import PipelineHooks
from chains.types import Passage, Reply
from chains.ui.buttons import reply_actions, restore_buttons, send_with_buttons
from chains.ui.persistence import load_state
from chains.ui.profile_panel import profile_actions
from chains.ui.session import SEARCH_STEP, STATE_KEY, URGENT_ICONS, current_state, get_guide, log, ui_texts
from chains.understand.memory import ConversationState


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
        body = source_card(ref.heading, headings, origins)  # the section the answer used, and those retrieved
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
