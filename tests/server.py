"""Start the real Chainlit server (``chainlit run app.py --headless``) on a free port, for tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.conftest import ROOT, free_port


@contextmanager
def chainlit_server(
    extra_env: dict[str, str] | None = None, port: int | None = None, log_name: str = "chainlit"
) -> Iterator[str]:
    port = port or free_port()
    env = {**os.environ, **(extra_env or {})}
    log_dir = Path(env["ONCOGUIDE_DATA_DIR"]).parent
    log_path = log_dir / f"{log_name}-{port}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "chainlit",
                "run",
                "app.py",
                "--headless",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 120
            while time.time() < deadline:
                if process.poll() is not None:
                    raise RuntimeError(f"chainlit exited early:\n{log_path.read_text()[-3000:]}")
                try:
                    if httpx.get(f"{base}/project/settings?language=en-US", timeout=2).status_code < 500:
                        break
                except httpx.HTTPError:
                    time.sleep(0.5)
            else:
                raise RuntimeError(f"chainlit did not start:\n{log_path.read_text()[-3000:]}")
            yield base
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()


def server_log(base_url: str, log_dir: Path, log_name: str = "chainlit") -> str:
    port = base_url.rsplit(":", 1)[1]
    path = log_dir / f"{log_name}-{port}.log"
    return path.read_text() if path.exists() else ""
