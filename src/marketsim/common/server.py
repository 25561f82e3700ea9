"""Running a simulator app under uvicorn, including a REAL TCP connection reset.

A "reset" fault must look to the client exactly like a peer that vanished: a RST on the wire,
not a 5xx or a clean close. ASGI has no way to say that, so uvicorn runs with a protocol class
that puts the connection's transport into `scope["extensions"]`; `reset_connection` then sets
SO_LINGER(on, 0) — which makes close() send RST instead of FIN — and aborts the transport.

In-process (httpx ASGITransport, TestClient) there is no socket: `reset_connection` raises
`httpx.ReadError` instead, which is what an httpx client over TCP would see.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
import time
from collections.abc import Iterator, MutableMapping
from typing import Any

import httpx
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

TRANSPORT_KEY = "marketsim.transport"

try:  # httptools is faster, but optional in uvicorn.
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _BaseProtocol
except ImportError:  # pragma: no cover - depends on the installed extras
    _BaseProtocol = H11Protocol  # type: ignore[assignment,misc]


class TransportExposingProtocol(_BaseProtocol):
    """uvicorn's HTTP protocol, with the connection's transport visible to the app."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        inner = self.app

        async def app(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
            extensions = scope.setdefault("extensions", {})
            extensions[TRANSPORT_KEY] = self.transport
            await inner(scope, receive, send)

        self.app = app


async def reset_connection(scope: MutableMapping[str, Any]) -> None:
    """Drop the client's TCP connection with a RST (or raise httpx.ReadError in-process)."""
    transport = (scope.get("extensions") or {}).get(TRANSPORT_KEY)
    # Duck-typed: uvloop's transports are not asyncio.Transport subclasses.
    if transport is None or not hasattr(transport, "abort"):
        raise httpx.ReadError("marketsim: connection reset by peer (simulated in-process)")
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    # Let uvicorn see connection_lost before the app returns, so it does not try to answer.
    await asyncio.sleep(0)


def make_config(app: Any, host: str, port: int, **kwargs: Any) -> uvicorn.Config:
    kwargs.setdefault("log_level", "warning")
    return uvicorn.Config(app, host=host, port=port, http=TransportExposingProtocol, **kwargs)


def serve(app: Any, host: str, port: int, **kwargs: Any) -> None:
    """Run until interrupted (the CLI)."""
    kwargs.setdefault("log_level", "info")
    uvicorn.Server(make_config(app, host, port, **kwargs)).run()


class BackgroundServer:
    """A simulator on a free loopback port in a daemon thread, for tests, demos and benchmarks.

    The socket is bound before uvicorn starts (port 0), so there is no race for the port.
    """

    def __init__(self, app: Any, host: str = "127.0.0.1", **kwargs: Any) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, 0))
        self.host = host
        self.port: int = self._sock.getsockname()[1]
        # uvicorn installs signal handlers only on the main thread, so Ctrl-C stays the caller's.
        self.server = uvicorn.Server(make_config(app, host, self.port, **kwargs))
        self._thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout_s: float = 10.0) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("marketsim server did not start")
            time.sleep(0.01)

    def stop(self, timeout_s: float = 10.0) -> None:
        self.server.should_exit = True
        self._thread.join(min(1.0, timeout_s))
        if self._thread.is_alive():
            # A request hanging on a "timeout" fault would hold a graceful shutdown for
            # hang_seconds; stop waiting for it.
            self.server.force_exit = True
            self._thread.join(timeout_s)
        self._sock.close()

    def __enter__(self) -> BackgroundServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def background(app: Any, host: str = "127.0.0.1") -> Iterator[BackgroundServer]:
    with BackgroundServer(app, host) as server:
        yield server
