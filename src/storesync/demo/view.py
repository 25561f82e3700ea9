"""The live terminal view (Rich) and its plain-text fallback when stderr is not a terminal."""

from __future__ import annotations

import time

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from storesync.demo.runner import Snapshot


def _ms(value: object) -> str:
    return "-" if value is None else f"{value} ms"


def render(s: Snapshot) -> Panel:
    head = Text.assemble(
        ("StoreSync listening on ", "bold"),
        (s.url or "…", "bold cyan"),
        "   (health /api/health, orders /api/v1/orders, API docs /docs)\n",
        (f"{s.phase}", "bold yellow"),
        f"  {s.elapsed_s:5.0f} s   shops: {', '.join(s.shops) or '…'}   variants: {s.variants}",
    )
    table = Table.grid(padding=(0, 3))
    for _ in range(4):
        table.add_column()
    r, p = s.recorded, s.propagation
    table.add_row("orders created", str(s.created), "imported", Text(str(r.orders), style="green"))
    table.add_row("refused (409)", str(s.refused), "duplicates", str(r.duplicates))
    table.add_row(
        "status moves", str(s.moves), "shipped / cancelled", f"{s.shipped} / {s.cancelled}"
    )
    table.add_row("stock pushes (jobs)", str(r.push_jobs), "listings pushed", str(r.pushed))
    table.add_row(
        "platform API calls", str(s.calls.total), "stock updates", str(s.calls.stock_updates)
    )
    table.add_row(
        "sync lag p50", _ms(p.get("p50")), "p95 / max", f"{_ms(p.get('p95'))} / {_ms(p.get('max'))}"
    )
    table.add_row("samples", str(p.get("samples", 0)), "in flight", str(s.in_flight))
    table.add_row("dirty listings", str(r.dirty), "oversold units", str(r.oversold_units))
    errors = ", ".join(f"{code} {n}" for code, n in sorted(r.errors_by_code.items())) or "none"
    if s.traffic_errors:
        errors += f"   (simulator call errors: {s.traffic_errors})"
    foot = Text.assemble(
        ("errors by code: ", "bold"),
        errors,
        f"\nserver log: {s.server_log}",
        f"\nadmin API key (Authorization: Bearer …): {s.api_key_file or '…'}",
    )
    return Panel(Group(head, Text(), table, Text(), foot), title="storesync demo")


class LiveView:
    """Rich Live on a terminal; otherwise one plain line every `plain_every_s` seconds."""

    def __init__(self, console: Console, plain_every_s: float = 10.0) -> None:
        self.console = console
        self.plain_every_s = plain_every_s
        self._live: Live | None = None
        self._last_plain = 0.0
        self._last_phase = ""

    def __enter__(self) -> LiveView:
        if self.console.is_terminal:
            self._live = Live(console=self.console, refresh_per_second=4, transient=False)
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.__exit__(None, None, None)

    def update(self, s: Snapshot) -> None:
        if self._live is not None:
            self._live.update(render(s))
            return
        now = time.monotonic()
        if s.phase != self._last_phase or now - self._last_plain >= self.plain_every_s:
            self._last_phase, self._last_plain = s.phase, now
            p = s.propagation
            self.console.print(
                f"[{s.phase}] {s.elapsed_s:.0f}s url={s.url} created={s.created} "
                f"imported={s.recorded.orders} refused={s.refused} pushes={s.recorded.push_jobs} "
                f"calls={s.calls.total} lag p50={_ms(p.get('p50'))} p95={_ms(p.get('p95'))} "
                f"dirty={s.recorded.dirty} errors={s.recorded.errors_by_code or 'none'}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
