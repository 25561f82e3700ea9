"""`RecordingJobs` stands in for `Jobs`: it records what would be sent, with the same coalescing
keys and after-commit timing, and sends nothing (to run jobs, send them on a broker and drain it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from storesync.worker.after_commit import after_commit
from storesync.worker.jobs import Jobs, MemoryPendingKeys, PendingKeys


@dataclass(frozen=True)
class SentJob:
    name: str
    kwargs: Mapping[str, Any]
    delay_ms: int | None = None
    via: str = "send"  # "send", "coalesced" or "after_commit"
    key: str | None = None  # the coalescing key, for "coalesced"


class RecordingJobs(Jobs):
    """`Jobs` that records instead of sending. Coalescing keys are claimed and released as on
    the embedded default (`MemoryPendingKeys`, or the `pending` given), and `send_after_commit`
    records only when the session commits, once per job per transaction, like the real one."""

    def __init__(self, pending: PendingKeys | None = None) -> None:
        # No broker: nothing is sent. To run jobs, send them on a broker and `drain()` it.
        self.pending = pending or MemoryPendingKeys()
        self.sent: list[SentJob] = []
        self.joined: list[SentJob] = []  # coalesced sends that found a job already waiting

    def send(self, name: str, *, delay_ms: int | None = None, **kwargs: Any) -> None:
        self.sent.append(SentJob(name, kwargs, delay_ms))

    def send_coalesced(self, key: str, name: str, *, delay_ms: int, **kwargs: Any) -> bool:
        job = SentJob(name, kwargs, delay_ms, "coalesced", key)
        if not self.pending.claim(key):
            self.joined.append(job)
            return False
        self.sent.append(job)
        return True

    def send_after_commit(self, session: Session, name: str, **kwargs: Any) -> None:
        job = SentJob(name, kwargs, via="after_commit")
        key = f"recorded:{name}:{sorted(kwargs.items())}"
        after_commit(session, key, lambda: self.sent.append(job))

    @property
    def names(self) -> list[str]:
        return [job.name for job in self.sent]

    def of(self, name: str) -> list[SentJob]:
        return [job for job in self.sent if job.name == name]
