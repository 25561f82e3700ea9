"""Child processes: the simulators and StoreSync, each a real server on a loopback port.

Children start in their own session so a Ctrl-C in the terminal reaches only the demo, which then
settles, reports, and stops them in order (a child killed by the same Ctrl-C would leave nothing
to settle against).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx


class StartupError(RuntimeError):
    """A child did not come up; the message says which and where its log is."""


@dataclass
class Child:
    """One server process, its log file, and the URL that answers when it is ready."""

    name: str
    url: str
    log_path: Path
    process: subprocess.Popen[bytes]
    _log: IO[bytes]

    @classmethod
    def start(
        cls, name: str, url: str, argv: Sequence[str], env: dict[str, str], log_path: Path
    ) -> Child:
        log = log_path.open("ab")
        process = subprocess.Popen(  # noqa: S603 (argv is ours: sys.executable and fixed modules)
            list(argv),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return cls(name, url, log_path, process, log)

    def wait_ready(self, health_path: str, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise StartupError(
                    f"{self.name} exited with code {self.process.returncode}; see {self.log_path}"
                )
            try:
                if httpx.get(self.url + health_path, timeout=1.0).status_code < 500:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise StartupError(
            f"{self.name} did not answer within {timeout_s:.0f} s; see {self.log_path}"
        )

    def stop(self, timeout_s: float = 10.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # uvicorn shuts down gracefully on SIGTERM
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout_s)
        self._log.close()


def child_env(overrides: dict[str, str], drop_prefix: str = "STORESYNC_") -> dict[str, str]:
    """The parent's environment without any `drop_prefix` variable, plus `overrides`: the demo
    decides StoreSync's whole configuration, so a stray STORESYNC_DATABASE_URL in the user's shell
    cannot point the demo at a real database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop_prefix)}
    env.update(overrides)
    return env
