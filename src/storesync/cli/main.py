"""The `storesync` command: one sub-command per operator action."""

from __future__ import annotations

import typer

from storesync import __version__
from storesync.cli import apikeys, breakers, db, deadletters, keys, sync, users
from storesync.cli.backup import backup, restore
from storesync.cli.demo import demo
from storesync.cli.reconcile import reconcile
from storesync.cli.serve import serve
from storesync.cli.verify import verify_cmd
from storesync.cli.worker import scheduler, worker

app = typer.Typer(
    name="storesync",
    help="StoreSync: one catalog and one stock count for every Shopee and TikTok Shop shop.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(db.app, name="db")
app.add_typer(sync.app, name="sync")
app.add_typer(deadletters.app, name="deadletters")
app.add_typer(breakers.app, name="breakers")
app.add_typer(keys.app, name="keys")
app.add_typer(users.app, name="users", no_args_is_help=True)
app.add_typer(apikeys.app, name="apikeys", no_args_is_help=True)
app.command()(sync.resync)
app.command()(demo)
app.command()(serve)
app.command()(worker)
app.command()(scheduler)
app.command()(reconcile)
app.command()(backup)
app.command()(restore)
app.command("verify")(verify_cmd)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)
