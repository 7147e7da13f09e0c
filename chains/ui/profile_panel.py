"""The patient profile in the UI: the side panel "What I know about you", removing one fact, and facts proposed
from an uploaded record that the patient accepts or rejects."""

from __future__ import annotations

from pathlib import Path

import chainlit as cl

from chains.ui.buttons import send_with_buttons
from chains.ui.records import propose_profile, read_record
from chains.ui.session import PROFILE_TITLE, PROPOSAL_KEY, current_state, get_guide, persist, ui_texts
from chains.understand.profile.facts import PatientProfile, profile_facts, without_fact


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
