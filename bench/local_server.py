"""Start the real Chainlit server (``chainlit run app.py --headless``) on a free 127.0.0.1 port.

Each server gets its own Chainlit app root (``CHAINLIT_APP_ROOT``) holding copies of the project's
``.chainlit/config.toml`` and ``translations/``, ``public/`` and ``chainlit.md``: Chainlit keeps uploads in
``<app root>/.files`` and deletes that folder when it stops, so servers sharing the repository root
would break each other. Extra allowed origins (e.g. a test's demo page) go into the copied config.
Used by the tests and the load benchmark.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_app_root(target: Path, extra_origins: list[str] | tuple[str, ...] = ()) -> Path:
    """A Chainlit app root with the project's config, public/ and chainlit.md, plus extra allowed origins."""
    config_text = (ROOT / ".chainlit" / "config.toml").read_text(encoding="utf-8")
    shipped = tomllib.loads(config_text)["project"]["allow_origins"]
    origins = [*shipped, *(o for o in extra_origins if o not in shipped)]
    listed = ", ".join(f'"{o}"' for o in origins)
    config_text, count = re.subn(r"(?m)^allow_origins = \[.*\]$", f"allow_origins = [{listed}]", config_text)
    if count != 1:
        raise ValueError("allow_origins must stay a one-line list in .chainlit/config.toml")
    (target / ".chainlit").mkdir(parents=True, exist_ok=True)
    (target / ".chainlit" / "config.toml").write_text(config_text, encoding="utf-8")
    shutil.copytree(ROOT / ".chainlit" / "translations", target / ".chainlit" / "translations", dirs_exist_ok=True)
    shutil.copytree(ROOT / "public", target / "public", dirs_exist_ok=True)  # a symlink is refused by Chainlit
    shutil.copy(ROOT / "chainlit.md", target / "chainlit.md")
    return target


@contextmanager
def chainlit_server(
    extra_env: dict[str, str] | None = None,
    extra_origins: list[str] | tuple[str, ...] = (),
    log_dir: Path | None = None,
    log_name: str = "chainlit",
    start_timeout: float = 180,
) -> Iterator[str]:
    """Run the app until the block ends; yields its base URL. The log is kept in ``log_dir``."""
    with chainlit_process(extra_env, extra_origins, log_dir, log_name, start_timeout) as running:
        yield running.base_url


@dataclass(frozen=True)
class RunningServer:
    """A started ``chainlit run``: its URL, its process and its log (the failover test kills the process)."""

    base_url: str
    process: subprocess.Popen
    log_path: Path


@contextmanager
def chainlit_process(
    extra_env: dict[str, str] | None = None,
    extra_origins: list[str] | tuple[str, ...] = (),
    log_dir: Path | None = None,
    log_name: str = "chainlit",
    start_timeout: float = 180,
) -> Iterator[RunningServer]:
    """As ``chainlit_server``, yielding the process and its log path too."""
    port = free_port()
    app_root = make_app_root(Path(tempfile.mkdtemp(prefix="oncoguide-app-root-")), extra_origins)
    env = {**os.environ, "CHAINLIT_APP_ROOT": str(app_root), **(extra_env or {})}
    env.pop("CI", None)  # `chainlit run` in CI mode injects a placeholder OpenAI key into its process
    log_path = (log_dir or app_root) / f"{log_name}-{port}.log"
    base = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        command = [
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
        ]
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + start_timeout
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"chainlit exited early:\n{log_path.read_text()[-3000:]}")
                if time.time() > deadline:
                    raise RuntimeError(f"chainlit did not start:\n{log_path.read_text()[-3000:]}")
                try:
                    if httpx.get(f"{base}/project/settings?language=en-US", timeout=2).status_code < 500:
                        break
                except httpx.HTTPError:
                    time.sleep(0.5)
            try:
                yield RunningServer(base, process, log_path)
            except BaseException:  # show the server's side of a failure (pytest prints it with the failure)
                log.flush()
                print(f"--- server log tail ({log_path}) ---\n{log_path.read_text()[-6000:]}")
                raise
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
            shutil.rmtree(app_root / ".files", ignore_errors=True)
