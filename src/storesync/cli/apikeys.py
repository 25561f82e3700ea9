"""`storesync apikeys create --name N --role R [--json] | list | revoke ID`.

The key is printed once, at creation; only its digest is stored, so a lost key is revoked and
replaced, never recovered.
"""

from __future__ import annotations

import json

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from storesync.audit import service as audit
from storesync.auth import service
from storesync.auth.endpoints import key_out
from storesync.auth.identity import cli_identity
from storesync.cli.common import console, database, settings_or_exit

app = typer.Typer(help="API keys for scripts and integrations: create, list, revoke.")
out = Console(soft_wrap=True)
JsonOpt = typer.Option(False, "--json", help="Machine-readable output.")


@app.command("create")
def create(
    name: str = typer.Option(..., "--name", help="What uses it, e.g. grafana or ci."),
    role: str = typer.Option(..., "--role", help="viewer, operator or admin."),
    as_json: bool = JsonOpt,
) -> None:
    """Create a key and print it (the only time it is shown)."""
    who = cli_identity()
    with database(settings_or_exit()) as db:
        created = service.create_api_key(db, name, service.parse_role(role), created_by=who.actor)
        audit.record(db, who, "apikey.create", created.id, after={"name": name, "role": role})
    if as_json:
        body = {"id": created.id, "name": created.name, "role": created.role.value}
        out.print_json(json.dumps({**body, "key": created.key}))
        return
    console.print(f"[green]created key {created.id}[/] {created.name} ({created.role.value})")
    console.print("Send it as `Authorization: Bearer <key>`. It is not shown again:")
    out.print(created.key)


@app.command("list")
def list_(as_json: bool = JsonOpt) -> None:
    """Every key: its prefix, role, last use; never the key itself."""
    with database(settings_or_exit()) as db:
        keys = [key_out(k) for k in service.list_api_keys(db)]
    if as_json:
        out.print_json(json.dumps([k.model_dump(mode="json") for k in keys]))
        return
    table = Table(box=box.SIMPLE)
    for column in ("id", "name", "role", "prefix", "last used", "status"):
        table.add_column(column)
    for k in keys:
        last = k.last_used_at.isoformat(timespec="seconds") if k.last_used_at else "never"
        table.add_row(
            str(k.id),
            k.name,
            k.role.value,
            f"ssk_{k.prefix}_…",
            last,
            "revoked" if k.revoked_at else "active",
        )
    out.print(table)


@app.command("revoke")
def revoke(
    key_id: int = typer.Argument(..., help="The key's id (see `apikeys list`).", min=1),
) -> None:
    """Revoke a key: requests with it get 401 from now on."""
    with database(settings_or_exit()) as db:
        row = service.revoke_api_key(db, key_id)
        audit.record(db, cli_identity(), "apikey.revoke", key_id, after={"name": row.name})
    console.print(f"[yellow]revoked[/] key {key_id} ({row.name})")
