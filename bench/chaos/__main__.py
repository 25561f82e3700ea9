"""The proving ground: StoreSync scaled out under faults, then every invariant of
docs/invariants.md.

    python -m bench.chaos --minutes 3
    python -m bench.chaos --minutes 0.5 --no-restart-services   # leave PostgreSQL/Redis alone

(from the repository root). Runs, as separate OS processes on loopback: both simulators,
`storesync serve`, two `storesync worker`s and one `storesync scheduler`, on a fresh PostgreSQL
database (127.0.0.1:5432, dropped at the end) and a dedicated Redis DB as broker. Shops are
connected through OAuth and a catalog is seeded; then, for `--minutes`, buyers order on both
platforms (ship / cancel / complete moves follow) while the simulators fail 429 / 5xx / timeouts
/ resets on a share of calls, drop, duplicate, delay and reorder webhooks, and the run revokes a
shop's access token, SIGKILLs a worker (and restarts it), restarts PostgreSQL and restarts Redis
(losing every queued message).

Then the faults stop, one reconciliation pass runs, the run waits (bounded) for convergence and
checks the invariants over the recorded history. It prints one JSON report and exits 0 if every
invariant held, 1 if one was violated, 2 if the run itself could not be set up (130 when
interrupted).

`STORESYNC_CHAOS_RESTART_SERVICES=0` (or --no-restart-services) skips the PostgreSQL and Redis
restarts, which affect everything else using them on this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from bench.chaos.run import ChaosRun


def parse(argv: list[str] | None) -> argparse.Namespace:
    restart_default = os.environ.get("STORESYNC_CHAOS_RESTART_SERVICES", "1") != "0"
    parser = argparse.ArgumentParser(
        prog="python -m bench.chaos", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--minutes", type=float, default=3.0, help="how long orders flow")
    parser.add_argument("--rate", type=float, default=2.0, help="orders per second, all shops")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--products", type=int, default=8)
    parser.add_argument("--shops-per-platform", type=int, default=1)
    parser.add_argument("--worker-threads", type=int, default=4)
    parser.add_argument("--converge-timeout", type=float, default=120.0)
    parser.add_argument(
        "--redis-db", type=int, help="Redis DB used as broker (default: the first free of 12..9)"
    )
    parser.add_argument(
        "--restart-services",
        action=argparse.BooleanOptionalAction,
        default=restart_default,
        help="restart PostgreSQL and Redis once mid-run (default: on)",
    )
    parser.add_argument("--run-dir", type=Path, help="keep logs here (default: a temp dir)")
    parser.add_argument("--json-out", type=Path, help="also write the report here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    run = ChaosRun(args)
    report: dict[str, Any] | None = None
    try:
        report = run.execute()
    except KeyboardInterrupt:
        print("interrupted; cleaning up", file=sys.stderr)
        return 130
    except (TimeoutError, RuntimeError, OSError) as exc:
        print(f"chaos run could not complete: {exc}", file=sys.stderr)
        return 2
    finally:
        run.cleanup(failed=report is None or not report.get("ok"))
    text = json.dumps(report, indent=2, default=str)
    print(text)
    if args.json_out:
        args.json_out.write_text(text)
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
