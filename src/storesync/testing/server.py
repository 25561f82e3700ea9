"""StoreSync's app on a real loopback port, in a thread: for tests that must speak real HTTP."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from storesync.testing.ports import free_port
from storesync.testing.waiting import wait_until


class AppServer:
    """uvicorn in a thread on a port picked first (a public URL must be known up front)."""

    def __init__(self, app: Any, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        wait_until(lambda: self.server.started, timeout_s=15, what="StoreSync to start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


@contextmanager
def serving(app: Any, port: int | None = None) -> Iterator[str]:
    """Serve `app` until the block ends; yields its base URL."""
    server = AppServer(app, port or free_port())
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
