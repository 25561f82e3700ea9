"""`storesync breakers list|reset|open|events`: see and steer the circuit breakers by hand.

Breaker state lives where the running processes keep it: in Redis when scaled out (this command
then acts on it directly), or inside the server's own process on the embedded default (this
command then asks that server through its API at STORESYNC_PUBLIC_URL, or `--url`, with the key
in STORESYNC_API_KEY or, if unset, a short-lived operator key this command makes and revokes).
Either way a reset or force-open is recorded in `breaker_events` and the audit log with who
(`cli:<OS user>`, or the key) and why (`--reason`, required).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import httpx
import typer
from rich.table import Table
from sqlalchemy import select

from storesync.audit import service as audit
from storesync.auth import service as access
from storesync.auth.identity import Role, cli_identity
from storesync.bootstrap import Container, build_container
from storesync.breaker.resume import resume_shop
from storesync.breaker.schemas import BreakerOut, TransitionOut
from storesync.cli.common import console, settings_or_exit
from storesync.db.engine import unit_of_work
from storesync.db.models import Shop
from storesync.errors import StoreSyncError
from storesync.resilience import events
from storesync.resilience.service import breaker_key, parse_key

app = typer.Typer(help="Circuit breakers per platform and shop.", no_args_is_help=True)

ShopOpt = typer.Option(None, "--shop", help="Shop id (see `GET /api/v1/shops`).")
KeyOpt = typer.Option(None, "--key", help="Breaker key instead of --shop, e.g. shopee:app.")
ReasonOpt = typer.Option(..., "--reason", help="Why, for the history.")
UrlOpt = typer.Option(None, "--url", help="Ask this server's API (default: direct with Redis).")


@contextmanager
def _container() -> Iterator[Container]:
    container = build_container(settings_or_exit())
    try:
        yield container
    except StoreSyncError as exc:
        console.print(f"[red]{exc.code.value}:[/] {exc.message}\n[dim]{exc.action}[/]")
        raise typer.Exit(1) from None
    finally:
        container.close()


def _key(container: Container, shop: int | None, key: str | None) -> str:
    if key:
        parse_key(key)
        return key
    if shop is None:
        console.print("[red]error:[/] give --shop ID or --key KEY")
        raise typer.Exit(2)
    with unit_of_work(container.session_factory) as session:
        row = session.get(Shop, shop)
        if row is None:
            console.print(f"[red]error:[/] no shop {shop}")
            raise typer.Exit(2)
        return breaker_key(row.platform, row.id)


class _Api:
    """The running server's API, for state that lives in its process (embedded default)."""

    def __init__(self, url: str, key: str) -> None:
        self.http = httpx.Client(
            base_url=url.rstrip("/"), timeout=10, headers={"Authorization": f"Bearer {key}"}
        )

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.http.request(method, "/api/v1/breakers" + path, **kwargs)
        except httpx.HTTPError as exc:
            console.print(
                f"[red]error:[/] no StoreSync server answers at {self.http.base_url} ({exc}). "
                "On the embedded default the breakers live inside `storesync serve`."
            )
            raise typer.Exit(1) from None
        body = response.json()
        if response.status_code >= 400:
            error = body.get("error", {})
            console.print(f"[red]{error.get('code')}:[/] {error.get('message')}")
            raise typer.Exit(1)
        return body


@contextmanager
def _remote(container: Container, url: str | None) -> Iterator[_Api | None]:
    if not url and container.settings.redis_url:
        yield None  # the state is in Redis: act on it directly
        return
    key = os.environ.get("STORESYNC_API_KEY")
    made = None
    if not key:
        # Whoever runs this can write the database anyway; a key that lives for one command is
        # simpler than asking them to make one, and the audit log still names them.
        with unit_of_work(container.session_factory) as session:
            made = access.create_api_key(
                session, cli_identity().actor, Role.OPERATOR, created_by=cli_identity().actor
            )
        key = made.key
    try:
        yield _Api(url or container.settings.effective_public_url, key)
    finally:
        if made is not None:
            with unit_of_work(container.session_factory) as session:
                access.revoke_api_key(session, made.id)


@app.command("list")
def list_cmd(url: str | None = UrlOpt) -> None:
    """Every breaker: state, failure rate, since when, next probe, ramp."""
    with _container() as container, _remote(container, url) as api:
        rows = api.request("GET", "") if api else _direct_list(container)
    table = Table(
        "breaker", "shop", "state", "failure rate", "calls", "since", "next probe", "ramp"
    )
    for row in rows:
        table.add_row(
            row["key"],
            row.get("shop_name") or "",
            _state(row["state"]),
            f"{row['failure_rate']:.0%}",
            str(row["calls_in_window"]),
            _time(row.get("since")),
            _time(row.get("next_probe_at")),
            f"{row['ramp_percent']}%",
        )
    console.print(table)


def _direct_list(container: Container) -> list[dict[str, Any]]:
    with unit_of_work(container.session_factory) as session:
        shops = {breaker_key(s.platform, s.id): s.name for s in session.scalars(select(Shop))}
    views = container.resilience.views(list(shops))
    return [
        BreakerOut.of(v, parse_key(v.key)[1], shops.get(v.key)).model_dump(mode="json")
        for v in views
    ]


@app.command("reset")
def reset_cmd(
    shop: int | None = ShopOpt,
    key: str | None = KeyOpt,
    reason: str = ReasonOpt,
    url: str | None = UrlOpt,
) -> None:
    """Close a breaker now (traffic then ramps back 10 → 25 → 50 → 100 %)."""
    _act("reset", shop, key, reason, url)


@app.command("open")
def open_cmd(
    shop: int | None = ShopOpt,
    key: str | None = KeyOpt,
    reason: str = ReasonOpt,
    url: str | None = UrlOpt,
) -> None:
    """Force a breaker open: no call reaches the platform until someone resets it."""
    _act("open", shop, key, reason, url)


def _act(action: str, shop: int | None, key: str | None, reason: str, url: str | None) -> None:
    who = cli_identity()
    with _container() as container:
        name = _key(container, shop, key)
        with _remote(container, url) as api:
            if api is not None:  # the server records it, with the key as who
                done = api.request("POST", f"/{name}/{action}", json={"reason": reason})
        if api is None:
            change = (
                container.resilience.reset if action == "reset" else container.resilience.force_open
            )
            transition = change(name, who.actor, reason)
            done = TransitionOut.of(transition).model_dump(mode="json")
            with unit_of_work(container.session_factory) as session:
                audit.record(
                    session,
                    who,
                    f"breaker.{action}",
                    name,
                    before={"state": str(transition.from_state)},
                    after={"state": str(transition.to_state), "reason": reason},
                )
            _, shop_id = parse_key(name)
            if action == "reset" and shop_id is not None:
                resume_shop(container.jobs, shop_id)  # the workers run its deferred work now
    console.print(
        f"{done['key']}: {_state(done['from_state'])} → {_state(done['to_state'])} "
        f"by {done['actor']} ({done['reason']})"
    )


@app.command("events")
def events_cmd(
    shop: int | None = ShopOpt,
    key: str | None = KeyOpt,
    limit: int = typer.Option(20, "--limit", min=1, max=1000),
) -> None:
    """A breaker's transitions, newest first (automatic and by hand)."""

    with _container() as container:
        name = _key(container, shop, key)
        with unit_of_work(container.session_factory) as session:
            rows = [
                (e.created_at, e.from_state, e.to_state, e.actor, e.reason)
                for e in events.history(session, name, limit)
            ]
    table = Table("when", "from", "to", "who", "why", title=name)
    for when, from_state, to_state, who, why in rows:
        table.add_row(_time(when), _state(from_state), _state(to_state), who, why)
    console.print(table)


def _state(state: str) -> str:
    colour = {"closed": "green", "half_open": "yellow"}.get(state, "red")
    return f"[{colour}]{state}[/]"


def _time(value: str | datetime | None) -> str:
    if value is None:
        return ""
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    return when.astimezone().strftime("%Y-%m-%d %H:%M:%S")
