"""`storesync demo`: StoreSync, both simulators and live order traffic, in one command."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from storesync.cli.common import console
from storesync.demo.procs import StartupError
from storesync.demo.runner import DemoError, DemoOptions, DemoRun
from storesync.demo.shops import SetupError
from storesync.demo.view import LiveView
from storesync.testing.oauth import ConnectError


def demo(
    duration: Annotated[
        float | None,
        typer.Option(min=1, help="Seconds of order traffic; default: until Ctrl-C."),
    ] = None,
    rate: Annotated[
        float, typer.Option(min=0.1, max=100, help="Orders per second, on random shops.")
    ] = 2.0,
    products: Annotated[
        int,
        typer.Option(min=1, max=2000, help="Products in the seeded catalog (1-5 variants each)."),
    ] = 100,
    seed: Annotated[int, typer.Option(help="Seeds the catalog and the traffic.")] = 0,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port StoreSync listens on.")] = 3000,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            file_okay=False,
            help="Where the SQLite database and the logs go (must not hold a database yet); "
            "default: a fresh temporary directory.",
        ),
    ] = None,
    settle: Annotated[
        float,
        typer.Option(
            min=0, help="After the traffic stops, wait up to this long for every shop to agree."
        ),
    ] = 15.0,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print one JSON summary on stdout at the end (the view uses stderr)."
        ),
    ] = False,
) -> None:
    """Run StoreSync with both simulators and live orders, and show it keeping shops in step.

    Starts the Shopee and TikTok Shop simulators and StoreSync (SQLite, in-process worker),
    connects two shops per platform through the real OAuth flow, lists one seeded catalog on all
    four and imports it, then places orders on random shops while a live view shows orders,
    pushes, platform calls, sync lag and errors. Exit code 1 when an order was not imported,
    imported twice, or a shop disagrees with the master stock after settling.
    """

    options = DemoOptions(
        duration_s=duration,
        rate=rate,
        products=products,
        seed=seed,
        port=port,
        data_dir=data_dir,
        settle_s=settle,
    )
    view = LiveView(console)
    run = DemoRun(options, on_update=view.update)

    def interrupted(_sig: int, _frame: FrameType | None) -> None:
        # First Ctrl-C: stop the traffic, settle and report. A second one aborts.
        if run.stop.is_set():
            raise KeyboardInterrupt
        run.stop.set()
        console.print("stopping: settling, then the summary (Ctrl-C again to abort)")

    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    try:
        with view:
            summary = run.run()
    except (DemoError, StartupError, SetupError, ConnectError) as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        console.print("aborted: simulators and server stopped, no summary")
        raise typer.Exit(130) from None
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        _print_summary(summary)
    raise typer.Exit(0 if summary["ok"] else 1)


def _print_summary(summary: dict[str, object]) -> None:
    p = summary["propagation_ms"]
    assert isinstance(p, dict)
    console.print(
        f"[bold]{'OK' if summary['ok'] else 'NOT OK'}[/]: "
        f"{summary['orders_created']} orders created, {summary['orders_imported']} imported, "
        f"{summary['duplicates']} duplicates, {summary['oversold_units']} oversold units, "
        f"drift {summary['drift']}; propagation p50 {p['p50']} ms, p95 {p['p95']} ms, "
        f"max {p['max']} ms over {p['samples']} samples; {summary['api_calls']} platform calls "
        f"({summary['stock_update_calls']} stock updates)"
    )
    console.print(
        f"data in {summary['data_dir']}; an admin API key for it is in {summary['api_key_file']}"
    )
