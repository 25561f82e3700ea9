"""`storesync worker` and `storesync scheduler`: the scaled-out background processes."""

from __future__ import annotations

import signal
import threading

import typer

from storesync.bootstrap import build_container
from storesync.cli.common import console, settings_or_exit
from storesync.cli.keys import refuse_demo_credentials
from storesync.worker.broker import start_worker


def worker(
    threads: int = typer.Option(4, help="Worker threads in this process."),
) -> None:
    """Process jobs from STORESYNC_BROKER_URL (Redis or RabbitMQ) until stopped."""
    settings = settings_or_exit()
    if not settings.broker_url:
        console.print(
            "[red]error:[/] STORESYNC_BROKER_URL is not set; `storesync serve` runs jobs in-process"
        )
        raise typer.Exit(2)
    refuse_demo_credentials(settings)
    container = build_container(settings)
    running = start_worker(container.broker, threads)
    console.print(f"worker: {threads} threads on {settings.broker_url.split('@')[-1]}")
    _wait_for_signal()
    running.stop(timeout=10_000)
    container.close()


def scheduler(
    poll_interval: float = typer.Option(
        None, help="Seconds between order polls per shop (default STORESYNC_POLL_INTERVAL_S, 60)."
    ),
) -> None:
    """Enqueue periodic work (sweeps, polling). Run exactly one per deployment."""
    container = build_container(settings_or_exit())
    driver = container.scheduler(poll_interval)
    driver.start()
    console.print("scheduler running")
    _wait_for_signal()
    driver.stop()
    container.close()


def _wait_for_signal() -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
