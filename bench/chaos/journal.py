"""What the run did and saw, as it happened: the timeline of notes (also printed on stderr, one
JSON line each) and the StoreSync processes that died without being asked to."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from bench.chaos.services import Procs


class Journal:
    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.started_unix = time.time()
        self.timeline: list[dict[str, Any]] = []
        self.unexpected_exits: list[str] = []

    def elapsed_s(self) -> float:
        return time.monotonic() - self.t0

    def note(self, event: str, **detail: Any) -> None:
        entry = {"t_s": round(self.elapsed_s(), 1), "event": event, **detail}
        self.timeline.append(entry)
        print(json.dumps(entry), file=sys.stderr, flush=True)

    def watch(self, procs: Procs) -> None:
        """A StoreSync process must survive a database or broker restart: a dead one is noted
        (the report lists it) and restarted."""
        for name in procs.check_alive():
            code = procs.procs[name].popen.returncode
            self.unexpected_exits.append(f"{name} (exit {code})")
            self.note("process_died", name=name, code=code)
            procs.restart(name)
