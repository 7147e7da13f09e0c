"""The README's run command, as a new user meets it: ``make run`` into a fresh virtual environment that
holds the runtime requirements alone, and one answer over the websocket from the app it starts.

``make test`` installs the test tools too, and those once hid a missing runtime dependency (greenlet,
which SQLAlchemy's asyncio layer needs): the app crashed for users while every test passed.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from bench.local_server import free_port
from bench.ws_client import ChainlitClient, login

pytestmark = [pytest.mark.server, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
BANNER = re.compile(r"created '(?P<user>[^']+)' with password '(?P<password>[^']+)'")


async def test_make_run_from_runtime_requirements_alone_answers_a_message(indexed_kb, session_dir, settings):
    work = session_dir / "run-path"
    venv, data_dir = work / "venv", work / "data"
    data_dir.mkdir(parents=True)
    shutil.copytree(settings.chroma_dir, data_dir / "chroma")  # `make run` still checks it is up to date
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("VIRTUAL_ENV", "PYTEST"))}
    env.pop("CI", None)
    env.update({"ONCOGUIDE_DATA_DIR": str(data_dir), "PATH": os.defpath + ":" + env.get("PATH", "")})
    log_path = work / "make-run.log"
    with log_path.open("w") as log:
        make = subprocess.Popen(
            ["make", "--no-print-directory", "run", f"VENV={venv}", f"PORT={port}"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # the server and the demo page server go down with the group
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 600
        while True:
            assert make.poll() is None, f"make run exited:\n{log_path.read_text()[-4000:]}"
            assert time.time() < deadline, f"make run did not start the app:\n{log_path.read_text()[-4000:]}"
            try:
                if httpx.get(f"{base}/project/settings?language=en-US", timeout=2).status_code < 500:
                    break
            except httpx.HTTPError:
                time.sleep(1)
        imported = subprocess.run([venv / "bin" / "python", "-c", "import pytest"], capture_output=True)
        assert imported.returncode != 0, "the run environment must hold the runtime requirements alone"
        account = BANNER.search(log_path.read_text())
        assert account, f"the first start prints the demo account:\n{log_path.read_text()[-4000:]}"
        client = ChainlitClient(base, headers=await login(base, account["user"], account["password"]))
        await client.connect()
        try:
            turn = await client.ask("What are the side effects of letrozole?")
        finally:
            await client.close()
    finally:
        os.killpg(make.pid, signal.SIGTERM)
        try:
            make.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(make.pid, signal.SIGKILL)
    assert len(turn.assistant) == 1 and "letrozole" in turn.text.lower() and "[1]" in turn.text, turn
    assert "Traceback" not in log_path.read_text(), log_path.read_text()[-4000:]
