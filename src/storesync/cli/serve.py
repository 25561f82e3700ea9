"""`storesync serve`: the HTTP server."""

from __future__ import annotations

import typer
import uvicorn

from storesync.api.app import create_app
from storesync.bootstrap import build_container
from storesync.cli.common import console, settings_or_exit
from storesync.cli.keys import refuse_demo_credentials
from storesync.db.migrate import upgrade


def serve(
    host: str = typer.Option(None, help="Address to bind (default STORESYNC_HOST, 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default STORESYNC_PORT, 3000)."),
    migrate: bool = typer.Option(True, help="Apply pending migrations before serving."),
) -> None:
    """Serve the REST API, webhook receivers, /api/health and /metrics."""
    settings = settings_or_exit()
    refuse_demo_credentials(settings)
    if migrate:
        upgrade(settings.effective_database_url)
    host = host or settings.host
    port = port or settings.port
    app = create_app(build_container(settings), background=True)
    console.print(f"StoreSync listening on [bold]http://{host}:{port}[/]  (health: /api/health)")
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)
