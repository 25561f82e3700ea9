"""The embedded default's background machinery: an in-process Dramatiq worker and the scheduler,
started and stopped with the server so `storesync serve` needs no other process."""

from __future__ import annotations

from dataclasses import dataclass, field

import dramatiq

from storesync.bootstrap import Container
from storesync.worker.broker import start_worker
from storesync.worker.scheduler import Schedule, Scheduler


@dataclass
class Background:
    container: Container
    run_worker: bool = True
    run_scheduler: bool = True
    worker_threads: int = 4
    schedule: Schedule = field(default_factory=Schedule)
    _worker: dramatiq.Worker | None = None
    _scheduler: Scheduler | None = None

    def start(self) -> None:
        if self.run_worker:
            assert self.container.broker is not None
            self._worker = start_worker(self.container.broker, self.worker_threads)
        if self.run_scheduler:
            self._scheduler = Scheduler(self.container, self.schedule)
            self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.stop()
        if self._worker is not None:
            self._worker.stop(timeout=10_000)
