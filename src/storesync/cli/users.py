"""`storesync users create --email E --role R [--password-stdin] | list | disable E`."""

from __future__ import annotations

import json
import sys

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from storesync.audit import service as audit
from storesync.auth import service
from storesync.auth.endpoints import user_out
from storesync.auth.identity import cli_identity
from storesync.cli.common import console, database, settings_or_exit

app = typer.Typer(help="People who sign in to the dashboard: create, list, disable.")
out = Console(soft_wrap=True)
JsonOpt = typer.Option(False, "--json", help="Machine-readable output.")


@app.command("create")
def create(
    email: str = typer.Option(..., "--email", help="Their sign-in email."),
    role: str = typer.Option(..., "--role", help="viewer, operator or admin."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from stdin (first line)."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Create a user. Without --password-stdin they cannot sign in until a password is set."""
    settings = settings_or_exit()
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    with database(settings) as db:
        user = service.create_user(db, email, service.parse_role(role), password)
        audit.record(db, cli_identity(), "user.create", user.email, after={"role": user.role})
        shown = user_out(user)
    if as_json:
        out.print_json(shown.model_dump_json())
    else:
        console.print(f"[green]created[/] {shown.email} ({shown.role.value})")


@app.command("list")
def list_(as_json: bool = JsonOpt) -> None:
    """Every user, their role and whether they can sign in."""
    with database(settings_or_exit()) as db:
        users = [user_out(u) for u in service.list_users(db)]
    if as_json:
        out.print_json(json.dumps([u.model_dump(mode="json") for u in users]))
        return
    table = Table(box=box.SIMPLE)
    for column in ("email", "role", "status", "last sign-in"):
        table.add_column(column)
    for u in users:
        status = "disabled" if u.disabled else ("active" if u.can_log_in else "no password")
        last = u.last_login_at.isoformat(timespec="seconds") if u.last_login_at else "never"
        table.add_row(u.email, u.role.value, status, last)
    out.print(table)


@app.command("disable")
def disable(email: str = typer.Argument(..., help="The user's email.")) -> None:
    """Stop a user signing in; their open dashboard sessions end now."""
    with database(settings_or_exit()) as db:
        user = service.disable_user(db, email)
        audit.record(db, cli_identity(), "user.disable", user.email, before={"disabled": False})
    console.print(f"[yellow]disabled[/] {email}")
