"""Cluster pieces for tests and benchmarks: a real Chroma server (``chroma run``) and the nginx balancer of
deploy/, each a child process on free 127.0.0.1 ports for the length of a ``with`` block.

The balancer's configuration is rendered from ``deploy/nginx.conf.template`` (the file ``deploy/cluster.sh``
uses), so the failover test and the cluster load benchmark exercise the configuration a deployment runs.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.local_server import ROOT, free_port


def _wait_until(ready, what: str, process: subprocess.Popen, log_path: Path, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while not ready():
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited early:\n{log_path.read_text(errors='replace')[-3000:]}")
        if time.time() > deadline:
            raise RuntimeError(f"{what} did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def chroma_server(path: Path, log_dir: Path) -> Iterator[str]:
    """``chroma run`` on a free 127.0.0.1 port over ``path``; yields its URL."""
    port = free_port()
    chroma = Path(sys.executable).parent / "chroma"
    log_path = log_dir / f"chroma-{port}.log"
    with log_path.open("w") as log:
        command = [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)]
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until(lambda: _answers(f"{url}/api/v2/heartbeat"), "chroma run", process, log_path)
            yield url
        finally:
            process.terminate()
            process.wait(15)


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)


def render_nginx_conf(listen_port: int, backends: list[str], run_dir: Path) -> str:
    """deploy/nginx.conf.template with this cluster's port, app processes and run directory filled in."""
    template = (ROOT / "deploy" / "nginx.conf.template").read_text(encoding="utf-8")
    servers = "\n".join(f"        server {backend} max_fails=1 fail_timeout=10s;" for backend in backends)
    return (
        template.replace("@LISTEN@", f"127.0.0.1:{listen_port}")
        .replace("@UPSTREAM_SERVERS@", servers)
        .replace("@RUN_DIR@", str(run_dir))
    )


@contextmanager
def nginx_balancer(backends: list[str], log_dir: Path) -> Iterator[str]:
    """nginx in front of ``backends`` (host:port), in the foreground as a child of the test; yields its URL."""
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx is not installed: `make test` installs it (apt-get install nginx-light)")
    port = free_port()
    run_dir = Path(tempfile.mkdtemp(prefix="oncoguide-nginx-"))
    run_dir.chmod(0o755)  # nginx's workers run as an unprivileged user when the test runs as root
    (run_dir / "nginx.conf").write_text(render_nginx_conf(port, backends, run_dir), encoding="utf-8")
    log_path = log_dir / f"nginx-{port}.log"
    with log_path.open("w") as log:
        command = [binary, "-p", str(run_dir), "-c", str(run_dir / "nginx.conf"), "-e", str(log_path)]
        process = subprocess.Popen([*command, "-g", "daemon off;"], stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until(lambda: _answers(f"{url}/nginx-health"), "nginx", process, log_path)
            yield url
        finally:
            process.terminate()
            process.wait(15)
            if (run_dir / "access.log").exists():  # kept beside the error log: which process served what
                shutil.copy(run_dir / "access.log", log_dir / f"nginx-{port}-access.log")
            shutil.rmtree(run_dir, ignore_errors=True)
