"""Serving the app in a subprocess and the Chromium flags, shared by the tests and the benchmarks."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# As root and offline: no sandbox, and no background calls to the vendor's hosts.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServedApp:
    """The app in its own process on a free port (as `python app.py` runs it), on a given database."""

    def __init__(self, url: str, folder: Path, extra_env: dict | None = None, command: list | None = None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        environ = {**os.environ, "HOST": "127.0.0.1", "PORT": str(self.port), "DATABASE_URL": url,
                   "COCKPIT_VAR_DIR": str(folder / "var"), "COCKPIT_DEMO": "0",
                   "COCKPIT_AUTH": "0", "PYTHONUNBUFFERED": "1",
                   # no background warming unless asked (tests/test_prewarm.py tests it; benchmarks ask)
                   "COCKPIT_PREWARM_SECONDS": "0", **(extra_env or {})}
        self.log = open(folder / f"server-{self.port}.log", "w")
        self.process = subprocess.Popen(command or [sys.executable, str(ROOT / "app.py")], cwd=ROOT,
                                        env=environ, stdout=self.log, stderr=subprocess.STDOUT)
        self.wait_ready()

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the app exited: see {self.log.name}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:
                    if response.status in (200, 503):
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("the app did not start in time")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


