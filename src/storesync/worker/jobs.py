"""Sending jobs: by name, after commit, with per-key coalescing of bursts.

`Jobs` is what services and endpoints use; they never touch Dramatiq directly, so the embedded
in-process worker and a Redis/RabbitMQ broker are interchangeable.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Protocol

import dramatiq
from dramatiq import Message
from sqlalchemy.orm import Session

from storesync.worker.after_commit import after_commit
from storesync.worker.registry import TASKS

COALESCE_TTL_S = 30  # a lost message must not block its key forever; the sweep re-enqueues


class PendingKeys(Protocol):
    def claim(self, key: str) -> bool: ...  # True if the key was free (caller sends the job)
    def release(self, key: str) -> None: ...


class MemoryPendingKeys:
    def __init__(self) -> None:
        self._keys: dict[str, float] = {}
        self._lock = threading.Lock()

    def claim(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if self._keys.get(key, 0.0) > now:
                return False
            self._keys[key] = now + COALESCE_TTL_S
            return True

    def release(self, key: str) -> None:
        with self._lock:
            self._keys.pop(key, None)


class RedisPendingKeys:
    """Shared by every process, so two API servers coalesce into one push too."""

    def __init__(self, redis: Any, prefix: str = "storesync:pending:") -> None:
        self._redis = redis
        self._prefix = prefix

    def claim(self, key: str) -> bool:
        return bool(self._redis.set(self._prefix + key, b"1", nx=True, ex=COALESCE_TTL_S))

    def release(self, key: str) -> None:
        self._redis.delete(self._prefix + key)


class Jobs:
    def __init__(self, broker: dramatiq.Broker, pending: PendingKeys) -> None:
        self.broker = broker
        self.pending = pending

    def send(self, name: str, *, delay_ms: int | None = None, **kwargs: Any) -> None:
        spec = TASKS[name]
        message: Message[Any] = Message(
            queue_name=spec.queue, actor_name=name, args=(), kwargs=kwargs, options={}
        )
        self.broker.enqueue(message, delay=delay_ms)

    def send_after_commit(self, session: Session, name: str, **kwargs: Any) -> None:
        key = name + ":" + ",".join(f"{k}={v}" for k, v in sorted(kwargs.items()))
        after_commit(session, key, lambda: self.send(name, **kwargs))

    def send_coalesced(self, key: str, name: str, *, delay_ms: int, **kwargs: Any) -> bool:
        """Send unless a job for `key` is already waiting; the job calls `started(key)` first."""
        if not self.pending.claim(key):
            return False
        try:
            self.send(name, delay_ms=delay_ms, **kwargs)
        except Exception:
            self.pending.release(key)
            raise
        return True

    def started(self, key: str) -> None:
        # Released as the job starts, before it reads its work: a change committed after this
        # point enqueues a new job, so nothing is missed between read and release.
        self.pending.release(key)
