"""The Chainlit app as a real server, talked to over its Socket.IO websocket as the browser does."""

from __future__ import annotations

import shutil

import pytest

from bench.ws_client import ChainlitClient
from tests.server import chainlit_server

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def server(indexed_kb):
    with chainlit_server({"ONCOGUIDE_AUTH": "none"}) as base_url:
        yield base_url


async def test_starter_question_gets_a_streamed_cited_answer_with_a_search_step(server):
    client = ChainlitClient(server)
    await client.connect()
    try:
        turn = await client.ask("What are the side effects of ribociclib?")
    finally:
        await client.close()
    assert turn.tokens > 0, "the answer is streamed"
    assert "Ribociclib" in turn.text and "[1]" in turn.text and "**Sources**" in turn.text
    assert any(step.get("name") == "the knowledge base" for step in turn.steps)
    related = [a for a in turn.actions if a["name"] == "ask_related"]
    assert 2 <= len(related) <= 3
    sources = [m for m in turn.assistant if m.get("elements")] or turn.assistant
    assert sources


async def test_clarification_buttons_then_click_gives_the_answer(server):
    client = ChainlitClient(server)
    await client.connect()
    try:
        turn = await client.ask("Can you suggest integrative approaches? With offlabels for example neutr")
        assert '"neutr"' in turn.text
        options = [a for a in turn.actions if a["name"] == "clarify_option"]
        assert any(a["label"].startswith("neutrophil") for a in options), [a["label"] for a in options]
        assert any(a["name"] == "something_else" for a in turn.actions)
        chosen = next(a for a in options if a["label"].startswith("neutrophil"))
        answer = await client.click(chosen)
    finally:
        await client.close()
    assert [m["type"] for m in answer.messages][:1] == ["user_message"]
    assert "neutrophil" in answer.text.lower() and "[1]" in answer.text


async def test_follow_up_and_emergency_over_the_websocket(server):
    client = ChainlitClient(server)
    await client.connect()
    try:
        await client.ask("I have been taking ribociclib for a year")
        follow_up = await client.ask("what about its side effects?")
        emergency = await client.ask("I'm on chemo and my temperature is 38.9 and I have chills")
    finally:
        await client.close()
    assert "Ribociclib" in follow_up.text and "side effect" in follow_up.text.lower()
    assert emergency.text.startswith("**⚠️ This may need urgent medical care")


async def test_a_failing_pipeline_still_answers_every_message_kindly(session_dir):
    """A deployment whose index cannot open (here the Chroma folder is a file) must not leave a silent
    or technical chat: each message gets exactly one reply, with the urgent numbers, and no traceback."""
    data_dir = session_dir / "broken-deployment"
    data_dir.mkdir(exist_ok=True)
    (data_dir / "chroma").write_text("not a Chroma folder")
    env = {
        "ONCOGUIDE_AUTH": "none",
        "ONCOGUIDE_DATA_DIR": str(data_dir),
        "ONCOGUIDE_KB_DIR": str(data_dir / "no-documents"),
        "ONCOGUIDE_EMERGENCY_NUMBER": "112",
    }
    with chainlit_server(env, log_name="broken") as base_url:
        client = ChainlitClient(base_url)
        await client.connect()
        try:
            turns = [await client.ask("what are the side effects of letrozole?"), await client.ask("hello?")]
        finally:
            await client.close()
    for turn in turns:
        assert len(turn.assistant) == 1, turn
        assert "something went wrong on my side" in turn.text and "**112**" in turn.text
        assert "Traceback" not in turn.text and "Error" not in turn.text


async def test_without_an_index_the_server_says_the_library_is_being_prepared(session_dir, settings):
    """The server builds no index (that is ``loaders.ingest``'s job): without one it says so in its log and,
    kindly, to the patient with the urgent numbers; once the index is there the next message is answered."""
    data_dir = session_dir / "no-index-yet"
    data_dir.mkdir(exist_ok=True)
    env = {"ONCOGUIDE_AUTH": "none", "ONCOGUIDE_DATA_DIR": str(data_dir), "ONCOGUIDE_EMERGENCY_NUMBER": "112"}
    with chainlit_server(env, log_name="no-index") as base_url:
        client = ChainlitClient(base_url)
        await client.connect()
        try:
            waiting = await client.ask("what are the side effects of letrozole?")
            assert not (data_dir / "chroma").exists(), "the server must not build the index itself"
            shutil.copytree(settings.chroma_dir, data_dir / "chroma")  # what `make index` leaves behind
            answered = await client.ask("what are the side effects of letrozole?")
        finally:
            await client.close()
    assert len(waiting.assistant) == 1 and "being prepared" in waiting.text and "**112**" in waiting.text
    assert "Traceback" not in waiting.text
    assert "letrozole" in answered.text.lower() and "**Sources**" in answered.text
    log = next(session_dir.glob("no-index-*.log")).read_text()
    assert "OncoGuide cannot answer until the index is built" in log and "make index" in log


async def test_triage_question_buttons_route_the_held_back_message(server):
    """Unsure → one triage question with buttons; the amber button gives the answer led by the amber note."""
    client = ChainlitClient(server)
    await client.connect()
    try:
        question = await client.ask("my port looks different today")
        options = [a for a in question.actions if a["name"] == "clarify_option"]
        assert "temperature" in question.text and options[0]["label"] == "Yes", [a["label"] for a in options]
        answer = await client.click(next(a for a in options if a["label"].startswith("No, just redness")))
    finally:
        await client.close()
    assert "Contact your care team today about redness or soreness around the line" in answer.text
