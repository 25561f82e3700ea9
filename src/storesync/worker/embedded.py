"""The embedded default's background machinery: an in-process Dramatiq worker and the scheduler,
started and stopped with the server so `storesync serve` needs no other process."""

from __future__ import annotations

from dataclasses import dataclass

import dramatiq

from storesync.worker.broker import start_worker
from storesync.worker.scheduler import Scheduler


@dataclass
class Background:
    broker: dramatiq.Broker
    scheduler: Scheduler | None = None  # None: `storesync scheduler` runs elsewhere
    run_worker: bool = True
    worker_threads: int = 4
    _worker: dramatiq.Worker | None = None

    def start(self) -> None:
        if self.run_worker:
            self._worker = start_worker(self.broker, self.worker_threads)
        if self.scheduler is not None:
            self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.stop()
        if self._worker is not None:
            self._worker.stop(timeout=10_000)
