"""Where breaker and limiter state lives: this process's memory on the embedded default, Redis
when scaled out (so every `serve` and `worker` process sees one breaker and spends one budget).

State is a small JSON document per key, changed only through `update(key, fn)`: `fn` is a pure
function from the current document to (new document or None for "unchanged", result). Memory
runs it under a lock; Redis runs it under WATCH/MULTI and re-runs it when another process wrote
the key in between (optimistic concurrency: contention is a handful of threads per shop).
Rate budgets use pyrate-limiter's GCRA stores, which are atomic by themselves (lock / Lua).

Redis failing must degrade us, not stop sync: callers catch `StateUnavailableError` and fail
open (the call goes ahead unguarded, and a warning is logged).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from pyrate_limiter import InMemoryStateStore, RedisStateStore, StateStore
from redis.exceptions import WatchError

T = TypeVar("T")
Doc = dict[str, Any]
Updater = Callable[[Doc | None], tuple[Doc | None, T]]

PREFIX = "storesync:resilience:"


class StateUnavailableError(Exception):
    """The shared store (Redis) did not answer; the caller decides how to degrade."""


class SharedState(Protocol):
    shared: bool  # True when other processes see the same state

    def get(self, key: str) -> Doc | None: ...
    def update(self, key: str, fn: Updater[T], ttl_s: int | None = None) -> T: ...
    def items(self, prefix: str) -> dict[str, Doc]: ...
    def gcra(self, key: str) -> StateStore: ...


class MemoryState:
    shared = False

    def __init__(self) -> None:
        # JSON text, not live dicts: the same copy semantics as Redis, so no caller can mutate
        # stored state by accident and both backends behave alike in tests.
        self._docs: dict[str, str] = {}
        self._gcra: dict[str, StateStore] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Doc | None:
        with self._lock:
            raw = self._docs.get(key)
        return None if raw is None else _load(raw)

    def update(self, key: str, fn: Updater[T], ttl_s: int | None = None) -> T:
        # No expiry in memory: the process's lifetime bounds it.
        with self._lock:
            raw = self._docs.get(key)
            new, result = fn(None if raw is None else _load(raw))
            if new is not None:
                self._docs[key] = json.dumps(new)
            return result

    def items(self, prefix: str) -> dict[str, Doc]:
        with self._lock:
            return {k: _load(v) for k, v in self._docs.items() if k.startswith(prefix)}

    def gcra(self, key: str) -> StateStore:
        with self._lock:
            store = self._gcra.get(key)
            if store is None:
                store = self._gcra[key] = InMemoryStateStore()
            return store


class RedisState:
    shared = True
    WATCH_RETRIES = 20  # optimistic retries before giving up; contention is a few threads a shop

    def __init__(self, redis: Any, namespace: str = PREFIX) -> None:
        self._redis = redis
        self._ns = namespace
        self._gcra: dict[str, StateStore] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Doc | None:
        try:
            raw = self._redis.get(self._ns + key)
        except Exception as exc:  # redis.RedisError and socket errors alike
            raise StateUnavailableError(str(exc)) from exc
        return None if raw is None else _load(raw)

    def update(self, key: str, fn: Updater[T], ttl_s: int | None = None) -> T:
        """`ttl_s`: forget the key after that long without a write (None: keep it)."""

        name = self._ns + key
        try:
            for _ in range(self.WATCH_RETRIES):
                with self._redis.pipeline() as pipe:
                    try:
                        pipe.watch(name)
                        raw = pipe.get(name)
                        new, result = fn(None if raw is None else _load(raw))
                        if new is None:
                            pipe.unwatch()
                            return result
                        pipe.multi()
                        pipe.set(name, json.dumps(new), ex=ttl_s)
                        pipe.execute()
                        return result
                    except WatchError:
                        continue
        except StateUnavailableError:
            raise
        except Exception as exc:
            raise StateUnavailableError(str(exc)) from exc
        raise StateUnavailableError(f"{key}: too much contention ({self.WATCH_RETRIES} retries)")

    def items(self, prefix: str) -> dict[str, Doc]:
        try:
            names = list(self._redis.scan_iter(match=self._ns + prefix + "*", count=500))
            values = self._redis.mget(names) if names else []
        except Exception as exc:
            raise StateUnavailableError(str(exc)) from exc
        result = {}
        for name, raw in zip(names, values, strict=True):
            if raw is not None:
                text = name.decode() if isinstance(name, bytes) else str(name)
                result[text.removeprefix(self._ns)] = _load(raw)
        return result

    def gcra(self, key: str) -> StateStore:
        with self._lock:
            store = self._gcra.get(key)
            if store is None:
                store = self._gcra[key] = RedisStateStore(self._redis, self._ns + key)
            return store


def _load(raw: str | bytes) -> Doc:
    value = json.loads(raw)
    assert isinstance(value, dict)
    return value
