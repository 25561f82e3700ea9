"""`storesync worker` and `storesync scheduler`: the scaled-out background processes."""

from __future__ import annotations

import signal
import threading
from wsgiref.simple_server import WSGIServer

import typer
from rich.markup import escape

from storesync.bootstrap import Container, build_container
from storesync.cli.common import console, settings_or_exit
from storesync.cli.keys import refuse_demo_credentials
from storesync.config import ConfigurationError
from storesync.worker.broker import start_worker
from storesync.worker.exposition import serve_metrics


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
    metrics = _metrics_or_exit(container)
    running = start_worker(container.broker, threads)
    console.print(f"worker: {threads} threads on {settings.broker_url.split('@')[-1]}")
    _wait_for_signal()
    running.stop(timeout=10_000)
    if metrics is not None:
        metrics.shutdown()
    container.close()


def scheduler(
    poll_interval: float = typer.Option(
        None, help="Seconds between order polls per shop (default STORESYNC_POLL_INTERVAL_S, 60)."
    ),
) -> None:
    """Enqueue periodic work (sweeps, polling). Run exactly one per deployment."""
    container = build_container(settings_or_exit())
    metrics = _metrics_or_exit(container)
    driver = container.scheduler(poll_interval)
    driver.start()
    console.print("scheduler running")
    _wait_for_signal()
    driver.stop()
    if metrics is not None:
        metrics.shutdown()
    container.close()


def _metrics_or_exit(container: Container) -> WSGIServer | None:
    """This process's /metrics on STORESYNC_METRICS_PORT (worker/exposition.py says why a port
    per process); a port that cannot be served stops the start, it is not skipped quietly."""
    settings = container.settings
    try:
        server = serve_metrics(settings, container.engine)
    except (ConfigurationError, OSError) as exc:
        console.print(f"[red]error:[/] metrics on port {settings.metrics_port}: {escape(str(exc))}")
        container.close()
        raise typer.Exit(2) from exc
    if server is not None:
        console.print(f"metrics: http://{settings.host}:{settings.metrics_port}/metrics")
    return server


def _wait_for_signal() -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
