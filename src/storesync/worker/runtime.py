"""The container a worker process runs with, set once by the entry point (serve/worker/demo)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storesync.bootstrap import Container

_container: Container | None = None


def install(container: Container | None) -> None:
    global _container  # one per process, set by the composition root
    _container = container


def container() -> Container:
    if _container is None:
        raise RuntimeError("worker runtime not installed: call storesync.worker.runtime.install()")
    return _container
