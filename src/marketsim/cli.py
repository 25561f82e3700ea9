"""`marketsim`: run a simulated Shopee or TikTok Shop server.

    marketsim shopee --port 8101
    marketsim tiktok --port 8102 --faults faults.json --webhook-url http://127.0.0.1:3000/webhooks/tiktok

Both run until Ctrl-C; the control API is under /_sim/ and the OpenAPI docs under /docs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console

from marketsim.common.faults import FaultProfile

app = typer.Typer(help="Local Shopee and TikTok Shop servers with injectable faults.")
console = Console()

DEFAULT_TIKTOK_APP_KEY = "6demoappkey"
DEFAULT_TIKTOK_APP_SECRET = "demo-app-secret-not-for-production"  # noqa: S105

Host = Annotated[str, typer.Option(help="Address to bind.")]
WebhookUrl = Annotated[
    str | None, typer.Option(help="Where webhooks (pushes) go; also settable at /_sim/webhook.")
]
Seed = Annotated[
    int, typer.Option(help="Seeds generated ids and (unless the file sets one) faults.")
]
FaultsFile = Annotated[
    Path | None,
    typer.Option(
        "--faults", exists=True, dir_okay=False, help="A FaultProfile JSON file (see /_sim/faults)."
    ),
]
ClockOffset = Annotated[
    float,
    typer.Option(
        "--clock-offset-s",
        help="Start the simulated clock this many seconds ahead of real time (negative: behind).",
    ),
]
TimeFactor = Annotated[
    float, typer.Option(min=0.0, help="Scales webhook retry and delay waits (0.01 = 100x faster).")
]


def load_faults(path: Path | None, seed: int) -> FaultProfile | None:
    if path is None:
        return None
    try:
        raw: dict[str, Any] = json.loads(path.read_text())
        raw.setdefault("seed", seed)
        return FaultProfile.model_validate(raw)
    except (ValueError, ValidationError) as exc:
        console.print(f"[red]Invalid faults file {path}:[/red] {exc}")
        raise typer.Exit(2) from exc


def _announce(name: str, host: str, port: int, credentials: str, webhook_url: str | None) -> None:
    """Say where it listens and how to sign against it (demo credentials are not secrets)."""
    console.print(f"[bold]marketsim {name}[/bold] on http://{host}:{port}")
    console.print(credentials)
    console.print(f"  webhook     {webhook_url or '(none: set PUT /_sim/webhook)'}")
    console.print(f"  control API http://{host}:{port}/_sim/  docs http://{host}:{port}/docs")


def _serve(fastapi_app: Any, host: str, port: int) -> None:
    from marketsim.common.server import serve

    serve(fastapi_app, host, port)


@app.command()
def shopee(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8101,
    host: Host = "127.0.0.1",
    partner_id: Annotated[int | None, typer.Option(help="Partner id clients sign with.")] = None,
    partner_key: Annotated[str | None, typer.Option(help="Partner key clients sign with.")] = None,
    webhook_url: WebhookUrl = None,
    seed: Seed = 0,
    faults: FaultsFile = None,
    time_factor: TimeFactor = 1.0,
    clock_offset_s: ClockOffset = 0.0,
) -> None:
    """Run the Shopee Open Platform v2 simulator."""
    from marketsim.shopee.app import DEFAULT_PARTNER_ID, DEFAULT_PARTNER_KEY, create_app

    pid = partner_id if partner_id is not None else DEFAULT_PARTNER_ID
    key = partner_key or DEFAULT_PARTNER_KEY
    fastapi_app = create_app(
        partner_id=pid,
        partner_key=key,
        webhook_url=webhook_url,
        seed=seed,
        faults=load_faults(faults, seed),
        time_factor=time_factor,
        clock_offset_s=clock_offset_s,
    )
    creds = f"  partner_id  {pid}\n  partner_key {key}"
    _announce("shopee", host, port, creds, webhook_url)
    _serve(fastapi_app, host, port)


@app.command()
def tiktok(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8102,
    host: Host = "127.0.0.1",
    app_key: Annotated[str | None, typer.Option(help="App key clients sign with.")] = None,
    app_secret: Annotated[str | None, typer.Option(help="App secret clients sign with.")] = None,
    webhook_url: WebhookUrl = None,
    seed: Seed = 0,
    faults: FaultsFile = None,
    time_factor: TimeFactor = 1.0,
    clock_offset_s: ClockOffset = 0.0,
) -> None:
    """Run the TikTok Shop (API 202309) simulator."""
    # Imported lazily: each simulator loads only when asked for.
    from marketsim.tiktok.app import create_app

    key = app_key or DEFAULT_TIKTOK_APP_KEY
    secret = app_secret or DEFAULT_TIKTOK_APP_SECRET
    fastapi_app = create_app(
        app_key=key,
        app_secret=secret,
        webhook_url=webhook_url,
        seed=seed,
        faults=load_faults(faults, seed),
        time_factor=time_factor,
        clock_offset_s=clock_offset_s,
    )
    creds = f"  app_key     {key}\n  app_secret  {secret}"
    _announce("tiktok", host, port, creds, webhook_url)
    _serve(fastapi_app, host, port)


if __name__ == "__main__":  # pragma: no cover
    app()
