"""A TCP proxy between StoreSync's processes and PostgreSQL, loopback only, that can misbehave.

    python -m bench.chaos.pgproxy --upstream-port 5432

Runs as its own process (its event loop does not compete with the run's threads for one GIL).
It listens on two loopback ports, `app` (serve and scheduler) and `worker` (the workers), prints
`{"app": PORT, "worker": PORT}` on its first stdout line, then takes one JSON command per stdin
line and answers each with one JSON line:

- `{"cmd": "latency", "ms": 50}`: every chunk, both ways, is held that long before it is
  forwarded (order kept; throughput is not limited, only delayed). `ms: 0` ends it.
- `{"cmd": "cut", "listener": "worker", "on": true}`: every open connection of that listener is
  aborted (the client sees the server close it) and new ones are aborted as soon as they arrive,
  until `"on": false`.
- `{"cmd": "exhaust", "on": true}`: PostgreSQL's connection slots are full, as far as StoreSync
  can tell: a new connection (either listener) gets the server's own answer, `FATAL 53300 sorry,
  too many clients already`, after the start-up packet; connections already open keep working.
  The proxy answers instead of the server so the run does not take the slots of a PostgreSQL
  shared with other test runs (holding `max_connections` for real would fail theirs too).
- `{"cmd": "stats"}`: counters (connections, aborted, refused, chunks delayed).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import struct
import sys
from collections import Counter
from dataclasses import dataclass, field

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
TOO_MANY = b"SFATAL\0VFATAL\0C53300\0Msorry, too many clients already\0Fproxy.c\0Rchaos\0\0"


@dataclass
class State:
    upstream: tuple[str, int]
    latency_s: float = 0.0
    cut: set[str] = field(default_factory=set)
    exhausted: bool = False
    counts: Counter[str] = field(default_factory=Counter)
    open: dict[str, set[asyncio.Transport]] = field(
        default_factory=lambda: {"app": set(), "worker": set()}
    )


async def _pump(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, state: State, way: str
) -> None:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()

    async def read() -> None:
        try:
            while data := await reader.read(65536):
                queue.put_nowait((loop.time() + state.latency_s, data))
        except (ConnectionError, OSError):
            pass
        finally:
            queue.put_nowait(None)

    reading = asyncio.create_task(read())
    try:
        while (item := await queue.get()) is not None:
            due, data = item
            delay = due - loop.time()
            if delay > 0:
                state.counts[f"delayed_chunks_{way}"] += 1
                await asyncio.sleep(delay)
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        reading.cancel()
        with contextlib.suppress(Exception):
            writer.close()


async def _refuse_too_many(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer the start-up the way a full server does (SSL/GSS requests declined first)."""
    for _ in range(3):
        head = await asyncio.wait_for(reader.readexactly(8), 10)
        length, code = struct.unpack("!ii", head)
        if length == 8 and code in (SSL_REQUEST, GSSENC_REQUEST):
            writer.write(b"N")
            await writer.drain()
            continue
        await asyncio.wait_for(reader.readexactly(max(0, length - 8)), 10)
        break
    writer.write(b"E" + struct.pack("!i", 4 + len(TOO_MANY)) + TOO_MANY)
    await writer.drain()
    writer.close()


def _handler(name: str, state: State):  # type: ignore[no-untyped-def]
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        transport = writer.transport
        state.counts[f"connections_{name}"] += 1
        if name in state.cut:
            state.counts[f"refused_cut_{name}"] += 1
            transport.abort()
            return
        if state.exhausted:
            state.counts[f"refused_too_many_{name}"] += 1
            with contextlib.suppress(Exception):
                await _refuse_too_many(reader, writer)
            transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*state.upstream)
        except OSError:
            state.counts["upstream_unreachable"] += 1
            transport.abort()
            return
        pair = {transport, up_writer.transport}
        state.open[name] |= pair  # type: ignore[arg-type]
        try:
            await asyncio.gather(
                _pump(reader, up_writer, state, "up"), _pump(up_reader, writer, state, "down")
            )
        finally:
            state.open[name] -= pair
            for t in pair:
                t.abort()

    return handle


def _command(state: State, line: str) -> dict[str, object]:
    try:
        cmd = json.loads(line)
    except ValueError:
        return {"error": "not JSON"}
    kind = cmd.get("cmd")
    if kind == "latency":
        state.latency_s = float(cmd.get("ms", 0)) / 1000
    elif kind == "cut":
        name = str(cmd.get("listener", "worker"))
        if cmd.get("on", True):
            state.cut.add(name)
            transports = list(state.open[name])
            state.counts[f"aborted_cut_{name}"] += len(transports) // 2  # two per connection
            for transport in transports:
                transport.abort()
        else:
            state.cut.discard(name)
    elif kind == "exhaust":
        state.exhausted = bool(cmd.get("on", True))
    elif kind != "stats":
        return {"error": f"unknown command {kind!r}"}
    return {
        "ok": True,
        "latency_ms": round(state.latency_s * 1000),
        "cut": sorted(state.cut),
        "exhausted": state.exhausted,
        "open": {k: len(v) // 2 for k, v in state.open.items()},
        "counts": dict(sorted(state.counts.items())),
    }


async def main(upstream: tuple[str, int]) -> None:
    state = State(upstream)
    servers = {
        name: await asyncio.start_server(_handler(name, state), "127.0.0.1", 0)
        for name in ("app", "worker")
    }
    ports = {name: s.sockets[0].getsockname()[1] for name, s in servers.items()}
    print(json.dumps(ports), flush=True)
    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    while line := await stdin.readline():
        if line.strip():
            print(json.dumps(_command(state, line.decode())), flush=True)
    for server in servers.values():
        server.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.chaos.pgproxy")
    parser.add_argument("--upstream-host", default="127.0.0.1")
    parser.add_argument("--upstream-port", type=int, default=5432)
    ns = parser.parse_args()
    asyncio.run(main((ns.upstream_host, ns.upstream_port)))


class PgProxy:
    """The run's handle on the proxy process: start it, send commands, stop it."""

    def __init__(
        self, log_path: object, upstream_port: int = 5432, upstream_host: str = "127.0.0.1"
    ) -> None:
        import subprocess
        import threading

        self._lock = threading.Lock()
        self._log = open(str(log_path), "wb")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.chaos.pgproxy",
                "--upstream-host",
                upstream_host,
                "--upstream-port",
                str(upstream_port),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            start_new_session=True,
        )
        self.ports: dict[str, int] = json.loads(self._readline())

    def _readline(self) -> str:
        assert self.popen.stdout is not None
        line = self.popen.stdout.readline()
        if not line:
            raise RuntimeError("the PostgreSQL proxy exited")
        return line.decode()

    def url(self, database_url: str, listener: str) -> str:
        """`database_url` through this proxy's `listener` port."""
        from sqlalchemy.engine import make_url

        url = make_url(database_url).set(host="127.0.0.1", port=self.ports[listener])
        return url.render_as_string(hide_password=False)

    def command(self, **cmd: object) -> dict[str, object]:
        with self._lock:
            assert self.popen.stdin is not None
            self.popen.stdin.write((json.dumps(cmd) + "\n").encode())
            self.popen.stdin.flush()
            answer: dict[str, object] = json.loads(self._readline())
            return answer

    def stop(self) -> None:
        import subprocess

        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)
        self._log.close()
