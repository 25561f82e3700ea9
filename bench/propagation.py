"""Propagation benchmark: the demo's scenario at a higher order rate against simulators that answer
like real platforms (50 ms ± 20 ms per API call), reporting

- propagation latency percentiles (order on one shop -> new quantity on every other shop),
- orders per second sustained (created on the platforms, and imported by StoreSync),
- API-call efficiency: stock-update calls made / the minimum the changes needed. The minimum is
  one update call per OTHER shop per platform item for each stock change (an order that holds
  stock, or a cancellation that frees it): both APIs write one item per call (Shopee: <= 50
  models, TikTok: one product), and the shop that took the order already shows it. Several changes
  to one item coalesced into one call push the ratio below 1; see
  `storesync.demo.summary.stock_call_efficiency` for the variant that also counts the origin write.

    python bench/propagation.py --rate 10 --duration 60
    python bench/propagation.py --rate 10 --duration 60 --sims thread   # simulators in-process

Prints the figures, then one JSON line; `--json-out FILE` also writes the JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

from storesync.demo.runner import DemoOptions, DemoRun
from storesync.demo.stack import SimLauncher, process_sim
from storesync.testing.ports import free_port
from storesync.testing.sims import AppCredentials


class ThreadSim:
    """A simulator on a thread of this process (for comparing with one process per simulator)."""

    def __init__(self, platform_name: str, webhook_url: str, creds: AppCredentials) -> None:
        from marketsim.common.server import BackgroundServer

        if platform_name == "shopee":
            from marketsim.shopee.app import create_app as shopee

            app = shopee(
                partner_id=creds.shopee_partner_id,
                partner_key=creds.shopee_partner_key,
                webhook_url=webhook_url,
            )
        else:
            from marketsim.tiktok.app import create_app as tiktok

            app = tiktok(
                app_key=creds.tiktok_app_key,
                app_secret=creds.tiktok_app_secret,
                webhook_url=webhook_url,
            )
        self.server = BackgroundServer(app)
        self.server.start()
        self.url = self.server.url

    def wait_ready(self, timeout_s: float = 30.0) -> None:
        return None  # BackgroundServer.start() returns once it serves

    def stop(self) -> None:
        self.server.stop()


def thread_sim(name: str, webhook_url: str, creds: AppCredentials, _log_dir: Path) -> ThreadSim:
    return ThreadSim(name, webhook_url, creds)


def machine() -> dict[str, Any]:
    mem_kb = 0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=10.0, help="orders per second")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of traffic")
    parser.add_argument("--products", type=int, default=100, help="catalog size (~3 variants each)")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="added to every API call")
    parser.add_argument("--jitter-ms", type=float, default=20.0, help="± uniform jitter")
    parser.add_argument("--sims", choices=("process", "thread"), default="process")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--settle", type=float, default=15.0, help="max seconds to wait for shops to agree"
    )
    parser.add_argument(
        "--worker-threads", type=int, default=4, help="StoreSync's STORESYNC_WORKER_THREADS"
    )
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra StoreSync setting, e.g. STORESYNC_RATELIMIT_RPS=50 (repeatable)",
    )
    parser.add_argument("--json-out", type=Path, help="also write the JSON result here")
    args = parser.parse_args(argv)

    launcher: SimLauncher = process_sim if args.sims == "process" else thread_sim
    # Enough stock that 60 s at 10+/s never sells a SKU out (out of stock would be refused and
    # no longer measure propagation).
    options = DemoOptions(
        duration_s=args.duration,
        rate=args.rate,
        products=args.products,
        seed=args.seed,
        port=free_port(),
        settle_s=args.settle,
        min_stock=100,
        max_stock=300,
        sim_faults={
            "seed": args.seed,
            "families": {"*": {"latency_ms": args.latency_ms, "latency_jitter_ms": args.jitter_ms}},
        },
        sim_launcher=launcher,
        worker_threads=args.worker_threads,
        server_env=dict(item.split("=", 1) for item in args.server_env),
    )
    print(
        f"running {args.duration:.0f} s at {args.rate}/s, simulators as {args.sims}es …",
        file=sys.stderr,
    )
    summary = DemoRun(options).run()
    result = {
        "machine": machine(),
        "sims": args.sims,
        "worker_threads": args.worker_threads,
        "server_env": args.server_env,
        "platform_latency_ms": {"mean": args.latency_ms, "jitter": args.jitter_ms},
        **summary,
        "imported_per_s": round(summary["orders_imported"] / summary["duration_s"], 2),
    }
    report(result)
    line = json.dumps(result)
    print(line)
    if args.json_out:
        args.json_out.write_text(line + "\n")
    return 0 if summary["ok"] else 1


def report(r: dict[str, Any]) -> None:
    p = r["propagation_ms"]
    rows = [
        ("orders created / imported", f"{r['orders_created']} / {r['orders_imported']}"),
        ("orders/s target / sustained", f"{r['rate']} / {r['orders_per_s']}"),
        ("imported/s", r["imported_per_s"]),
        (
            "propagation p50 / p95 / p99 / max",
            f"{p['p50']} / {p['p95']} / {p['p99']} / {p['max']} ms ({p['samples']} samples, "
            f"resolution {p['resolution_ms']} ms, unconverged {p['unconverged']})",
        ),
        ("stock changes", r["stock_changes"]),
        (
            "stock-update calls / minimum",
            f"{r['stock_update_calls']} / {r['min_stock_update_calls']}",
        ),
        ("efficiency (calls / minimum)", r["stock_call_ratio"]),
        ("  counting the origin write", r["stock_call_ratio_vs_all_listings"]),
        ("all platform API calls", r["api_calls"]),
        (
            "duplicates / oversold / drift",
            f"{r['duplicates']} / {r['oversold_units']} / {r['drift']}",
        ),
        ("errors by code", r["errors_by_code"] or "none"),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
