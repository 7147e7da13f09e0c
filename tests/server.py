"""The real Chainlit server for tests: ``bench.local_server`` with logs kept beside the test data."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.local_server import RunningServer
from bench.local_server import chainlit_process as _chainlit_process
from bench.local_server import chainlit_server as _chainlit_server


@contextmanager
def chainlit_server(
    extra_env: dict[str, str] | None = None, extra_origins: list[str] | tuple[str, ...] = (), log_name: str = "chainlit"
) -> Iterator[str]:
    env = {**os.environ, **(extra_env or {})}
    log_dir = Path(env["ONCOGUIDE_DATA_DIR"]).parent
    with _chainlit_server(extra_env, extra_origins, log_dir=log_dir, log_name=log_name) as base_url:
        yield base_url


@contextmanager
def chainlit_process(extra_env: dict[str, str] | None = None, log_name: str = "chainlit") -> Iterator[RunningServer]:
    """As ``chainlit_server``, yielding the process too (the failover test kills it)."""
    env = {**os.environ, **(extra_env or {})}
    log_dir = Path(env["ONCOGUIDE_DATA_DIR"]).parent
    with _chainlit_process(extra_env, log_dir=log_dir, log_name=log_name) as running:
        yield running
