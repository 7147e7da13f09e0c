"""Persistence on PostgreSQL (``DATABASE_URL``): a throwaway cluster started by the test, the real
Chainlit server, a conversation, a restart, and the resumed thread answered with its context."""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import socketio

from bench.local_server import free_port
from bench.ws_client import ChainlitClient, login
from chains.ui.users import hash_password
from tests.server import chainlit_server

pytestmark = pytest.mark.server


async def test_postgresql_stores_the_conversation(indexed_kb, session_dir, postgres_url):
    """Sign-in, the schema and every turn's state land in PostgreSQL when DATABASE_URL is set."""
    data_dir, env = app_env(session_dir, "postgres-store", "dana", "dana-secret-4", postgres_url)
    with chainlit_server(env, log_name="postgres-store") as base:
        client = ChainlitClient(base, headers=await login(base, "dana", "dana-secret-4"))
        await client.connect()
        answer = await client.ask("I'm on letrozole, what are its side effects?")
        await client.close()
    assert "letrozole" in answer.text.lower()
    assert not (data_dir / "oncoguide.sqlite3").exists(), "DATABASE_URL must replace SQLite"
    saved = subprocess.run(
        [
            "psql",
            postgres_url,
            "-At",
            "-c",
            f"SELECT state FROM oncoguide_states WHERE \"threadId\" = '{client.thread_id}'",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    assert '"current_treatments": ["letrozole"]' in saved.stdout


def _pg_binary(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; run as the 'postgres' account when we are root."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def app_env(
    session_dir: Path, name: str, user: str, password: str, url: str, others: dict[str, str] | None = None
) -> tuple[Path, dict[str, str]]:
    """A data directory sharing the session's index, and the server environment for PostgreSQL."""
    data_dir = session_dir / name
    data_dir.mkdir(exist_ok=True)
    if not (data_dir / "chroma").exists():
        (data_dir / "chroma").symlink_to(session_dir / "data" / "chroma", target_is_directory=True)
    env = {
        "ONCOGUIDE_DATA_DIR": str(data_dir),
        "ONCOGUIDE_AUTH": "password",
        "ONCOGUIDE_USERS": ",".join(f"{u}:{hash_password(p)}" for u, p in {user: password, **(others or {})}.items()),
        "DATABASE_URL": url,
    }
    return data_dir, env


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    initdb, postgres = _pg_binary("initdb"), _pg_binary("postgres")
    if not (initdb and postgres):
        pytest.skip("PostgreSQL server binaries are not installed (Debian package postgresql)")
    data = Path(tempfile.mkdtemp(prefix="oncoguide-pg-"))
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    subprocess.run(
        _as_postgres([initdb, "-D", str(data), "-A", "trust", "-U", "postgres"]), check=True, capture_output=True
    )
    port = free_port()
    server = subprocess.Popen(
        _as_postgres([postgres, "-D", str(data), "-h", "127.0.0.1", "-p", str(port), "-k", str(data)]),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            ready = subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", str(port)], capture_output=True)
            if ready.returncode == 0:
                break
            time.sleep(0.2)
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-c", "CREATE DATABASE oncoguide"],
            check=True,
            capture_output=True,
        )
        yield f"postgresql://postgres@127.0.0.1:{port}/oncoguide"
    finally:
        server.terminate()
        server.wait(30)
        shutil.rmtree(data, ignore_errors=True)


async def test_conversation_resumes_from_postgresql_after_a_restart(indexed_kb, session_dir, postgres_url):
    """Memory and the pending clarification survive a server restart: "side effects" completes "what about its"."""
    data_dir, env = app_env(
        session_dir, "postgres-app", "carol", "carol-secret-3", postgres_url, others={"erin": "erin-secret-5"}
    )
    with chainlit_server(env, log_name="postgres") as base:
        cookie = await login(base, "carol", "carol-secret-3")
        client = ChainlitClient(base, headers=cookie)
        await client.connect()
        await client.ask("I'm on letrozole for ER+ breast cancer")
        clarify = await client.ask("what about its")
        await client.close()
        thread_id = client.thread_id
        assert "stop partway" in clarify.text
    assert not (data_dir / "oncoguide.sqlite3").exists(), "DATABASE_URL must replace SQLite"
    saved = subprocess.run(  # saved by the first server: a failure below is then the restore, not the save
        ["psql", postgres_url, "-At", "-c", f"SELECT state FROM oncoguide_states WHERE \"threadId\" = '{thread_id}'"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert "letrozole" in saved.stdout and "what about its" in saved.stdout, saved.stdout[:500]
    with chainlit_server(env, log_name="postgres") as base:
        resumed = ChainlitClient(base, headers=cookie, thread_id=thread_id)
        await resumed.connect()
        answer = await resumed.ask("side effects")
        await resumed.close()
        # Inside the server block, so a failure prints the server's log (which says whether the state was restored).
        assert "letrozole" in answer.text.lower() and "[1]" in answer.text

        erin = await login(base, "erin", "erin-secret-5")  # another user cannot resume, list or read it
        with pytest.raises(socketio.exceptions.ConnectionError):
            await ChainlitClient(base, headers=erin, thread_id=thread_id).connect()
        async with httpx.AsyncClient(base_url=base, headers=erin) as http:
            listed = await http.post("/project/threads", json={"pagination": {"first": 50}, "filter": {}})
            assert listed.status_code == 200 and thread_id not in listed.text
            assert (await http.get(f"/project/thread/{thread_id}")).status_code in (401, 403, 404)
    rows = subprocess.run(
        ["psql", postgres_url, "-At", "-c", f"SELECT count(*) FROM steps WHERE \"threadId\" = '{thread_id}'"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert int(rows.stdout.strip()) >= 6, "the conversation's messages are stored in PostgreSQL"


async def test_concurrent_first_messages_on_postgresql_each_get_their_own_reply(indexed_kb, session_dir, postgres_url):
    """Eight patients at once, each typing before the server has finished greeting them (as a browser may):
    every message gets exactly one reply, in its own turn. This reproduced the resume test's flake: Chainlit
    emits an unpaired ``task_end`` at ``connection_successful``, and a client that counted task events ended
    the first turn on it, so that turn came back empty and the next one held the previous answer."""
    users = {f"patient{i}": f"patient-secret-{i}" for i in range(8)}
    (first, first_password), *others = users.items()
    _, env = app_env(session_dir, "postgres-concurrent", first, first_password, postgres_url, others=dict(others))

    async def conversation(base: str, name: str, password: str) -> list:
        client = ChainlitClient(base, headers=await login(base, name, password))
        await client.connect()
        try:
            return [await client.ask("I'm on letrozole for ER+ breast cancer"), await client.ask("what about its")]
        finally:
            await client.close()

    with chainlit_server(env, log_name="postgres-concurrent") as base:
        for _ in range(3):
            conversations = await asyncio.gather(*(conversation(base, n, p) for n, p in users.items()))
            for answer, clarify in conversations:
                assert len(answer.assistant) == 1 and "letrozole" in answer.text.lower(), answer
                assert len(clarify.assistant) == 1 and "stop partway" in clarify.text, clarify
