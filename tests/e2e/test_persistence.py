"""Sign-in, persistence and resume, against the real Chainlit server with its SQLite data layer.

A conversation is held over the websocket, the server process is restarted, the thread is resumed
and a follow-up is answered with the earlier context; a second user can neither resume, list nor
read the first user's thread; feedback, profile clearing and record uploads are stored or refused
as they should be.
"""

from __future__ import annotations

import io
import json
import sqlite3

import httpx
import pytest
import socketio
from reportlab.pdfgen import canvas

from bench.ws_client import ChainlitClient, login
from chains.ui.users import hash_password
from tests.server import chainlit_server

pytestmark = pytest.mark.server
PASSWORDS = {"alice": "alice-secret-1", "bob": "bob-secret-22"}


@pytest.fixture(scope="module")
def auth_env(indexed_kb, session_dir) -> dict[str, str]:
    data_dir = session_dir / "persistence"
    data_dir.mkdir(exist_ok=True)
    (data_dir / "chroma").symlink_to(indexed_kb_dir(session_dir), target_is_directory=True)
    users = ",".join(f"{name}:{hash_password(pw)}" for name, pw in PASSWORDS.items())
    return {"ONCOGUIDE_DATA_DIR": str(data_dir), "ONCOGUIDE_AUTH": "password", "ONCOGUIDE_USERS": users}


def indexed_kb_dir(session_dir):
    return session_dir / "data" / "chroma"


def database(env: dict[str, str]) -> sqlite3.Connection:
    return sqlite3.connect(f"{env['ONCOGUIDE_DATA_DIR']}/oncoguide.sqlite3")


def saved_state(env: dict[str, str], thread_id: str) -> dict:
    row = database(env).execute('SELECT state FROM oncoguide_states WHERE "threadId" = ?', (thread_id,)).fetchone()
    return json.loads(row[0]) if row else {}


def make_pdf(lines: list[str]) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for i, line in enumerate(lines):
        pdf.drawString(72, 760 - 16 * i, line)
    pdf.save()
    return buffer.getvalue()


def image_only_pdf() -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.rect(72, 600, 200, 100, fill=1)  # a drawing, no text layer, like a scanned page
    pdf.save()
    return buffer.getvalue()


async def test_conversation_survives_a_restart_and_stays_private(auth_env):
    with chainlit_server(auth_env, log_name="persist") as base:
        alice = await login(base, "alice", PASSWORDS["alice"])
        client = ChainlitClient(base, headers=alice)
        await client.connect()
        first = await client.ask("Er+ oligomet breast cancer, taking ribociclib for 14 months")
        cut = await client.ask("Because of my low neutrophils the dose was...")
        await client.close()
        thread_id = client.thread_id
        assert "ribociclib" in first.text.lower()
        assert "stop partway" in cut.text
    state = saved_state(auth_env, thread_id)
    assert state["pending"]["kind"] == "trailing_off"
    assert state["profile"]["current_treatments"] == ["ribociclib"]

    with chainlit_server(auth_env, log_name="persist") as base:  # a new server process
        resumed = ChainlitClient(base, headers=alice, thread_id=thread_id)
        await resumed.connect()
        follow_up = await resumed.ask("reduced")
        await resumed.close()
        assert "*What you have told me:* ER-positive oligometastatic breast cancer" in follow_up.text
        assert "reduced because of neutropenia" in follow_up.text
        assert "dose" in follow_up.text.lower()

        bob = await login(base, "bob", PASSWORDS["bob"])
        intruder = ChainlitClient(base, headers=bob, thread_id=thread_id)
        with pytest.raises(socketio.exceptions.ConnectionError):  # refused by the server, not a timeout
            await intruder.connect()
        async with httpx.AsyncClient(base_url=base, headers=bob) as http:
            listed = await http.post("/project/threads", json={"pagination": {"first": 50}, "filter": {}})
            assert thread_id not in listed.text
            read = await http.get(f"/project/thread/{thread_id}")
            assert read.status_code in (401, 403, 404)
        async with httpx.AsyncClient(base_url=base, headers=alice) as http:
            listed = await http.post("/project/threads", json={"pagination": {"first": 50}, "filter": {}})
            assert thread_id in listed.text


async def test_wrong_password_is_refused(auth_env):
    with chainlit_server(auth_env, log_name="persist") as base, pytest.raises(httpx.HTTPStatusError):
        await login(base, "alice", "not-her-password")


async def test_feedback_forget_and_uploads(auth_env):
    with chainlit_server(auth_env, log_name="persist") as base:
        alice = await login(base, "alice", PASSWORDS["alice"])
        client = ChainlitClient(base, headers=alice)
        await client.connect()
        try:
            answer = await client.ask("I'm HER2-positive and on trastuzumab. What are the heart risks?")
            message_id = answer.assistant[-1]["id"]
            thread_id = client.thread_id
            feedback = {
                "forId": message_id,
                "threadId": thread_id,
                "value": 1,
                "comment": "clear",
            }  # as the UI sends it
            async with httpx.AsyncClient(base_url=base, headers=alice) as http:
                response = await http.put(
                    "/feedback",
                    json={"sessionId": client.session_id, "feedback": feedback},
                )
                assert response.status_code == 200, response.text
            assert saved_state(auth_env, thread_id)["profile"]["receptors"] == ["HER2+"]

            forgot = await client.ask("forget my details")
            assert "forgotten" in forgot.text
            assert saved_state(auth_env, thread_id)["profile"] == {}

            status, body = await client.upload(
                "letter.pdf",
                make_pdf(
                    ["Clinic letter.", "ER: positive. PR: positive. HER2: negative.", "Stage IV with bone metastases."]
                ),
                "application/pdf",
            )
            assert status == 200, body
            proposal = await client.ask("", file_ids=[body["id"]])
            assert "I found:" in proposal.text and "ER-positive" in proposal.text
            assert saved_state(auth_env, thread_id)["profile"] == {}, "nothing is added before the patient agrees"
            accept = next(a for a in proposal.actions if a["name"] == "accept_profile")
            await client.click(accept)
            assert "ER+" in saved_state(auth_env, thread_id)["profile"]["receptors"]

            status, body = await client.upload("scan.pdf", image_only_pdf(), "application/pdf")
            assert status == 200
            unreadable = await client.ask("", file_ids=[body["id"]])
            assert "I could not read text in this file" in unreadable.text

            status, _ = await client.upload("photo.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, "image/png")
            assert status == 400, "types other than PDF and text are refused"
            status, _ = await client.upload("huge.pdf", b"%PDF-1.4\n" + b"0" * 6_000_000, "application/pdf")
            assert status == 400, "files over the size cap are refused"
            still_here = await client.ask("What is HER2-low?")
            assert "HER2-low" in still_here.text
        finally:
            await client.close()
    rows = (
        database(auth_env).execute('SELECT value, comment FROM feedbacks WHERE "forId" = ?', (message_id,)).fetchall()
    )
    assert rows == [(1, "clear")]
