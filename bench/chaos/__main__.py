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

`--mode embedded` runs the embedded default instead (SQLite, `storesync serve` with its
in-process worker and scheduler), whose process fault is `storesync serve` itself SIGKILLed and
restarted. `--runs N --seed-from K` runs seeds K..K+N-1 one after the other, each in both modes
unless `--mode` says otherwise, prints one summary line per run on stderr and one JSON with
every run's report; the exit code is the worst run's.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import signal
import sys
import traceback
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
    parser.add_argument(
        "--mode",
        choices=("scaled", "embedded", "both"),
        help="scaled out (PostgreSQL, Redis, workers), the embedded default, or both "
        "(default: both with --runs, else scaled)",
    )
    parser.add_argument("--runs", type=int, help="run this many seeds in a row")
    parser.add_argument("--seed-from", type=int, help="the first seed of --runs (default: --seed)")
    parser.add_argument(
        "--clock-skew",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="TikTok's clock 4 min ahead of ours, Shopee's 4 min behind (default: on)",
    )
    args = parser.parse_args(argv)
    if args.mode is None:
        args.mode = "both" if args.runs is not None else "scaled"
    if args.runs is not None and args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def plan(args: argparse.Namespace) -> list[argparse.Namespace]:
    """One namespace per run: seeds in order, each in the mode(s) asked for."""
    seeds = (
        [args.seed]
        if args.runs is None
        else [
            (args.seed_from if args.seed_from is not None else args.seed) + k
            for k in range(args.runs)
        ]
    )
    modes = ["scaled", "embedded"] if args.mode == "both" else [args.mode]
    runs = []
    for seed in seeds:
        for mode in modes:
            one = copy.copy(args)
            one.seed, one.mode = seed, mode
            if args.run_dir is not None and (len(seeds) > 1 or len(modes) > 1):
                one.run_dir = args.run_dir / f"seed{seed}-{mode}"
            runs.append(one)
    return runs


def run_one(args: argparse.Namespace) -> tuple[int, dict[str, Any] | None]:
    run = ChaosRun(args)
    report: dict[str, Any] | None = None
    try:
        report = run.execute()
    except (TimeoutError, RuntimeError, OSError) as exc:
        print(f"chaos run could not complete: {exc}", file=sys.stderr)
        return 2, {"ok": False, "seed": args.seed, "mode": args.mode, "setup_error": str(exc)}
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # a bug of the run itself: say so, and go on with the next run
        traceback.print_exc()
        error = f"{type(exc).__name__}: {exc}"
        return 2, {"ok": False, "seed": args.seed, "mode": args.mode, "setup_error": error}
    finally:
        run.cleanup(failed=report is None or not report.get("ok"))
    return (0 if report["ok"] else 1), report


def summary_line(code: int, report: dict[str, Any]) -> str:
    if "setup_error" in report:
        return (
            f"seed={report['seed']} mode={report['mode']} ok=False exit={code} "
            f"could not set up: {report['setup_error'][:200]}"
        )
    orders = report["orders"]
    dead = sum(report["dead_letters"].values()) if report.get("dead_letters") else 0
    return (
        f"seed={report['seed']} mode={report['mode']} ok={report['ok']} "
        f"violated={','.join(report['violated']) or '-'} "
        f"orders={orders['created']}/{orders['imported']} dead_letters={dead} "
        f"converge_s={report['time_to_converge_s']} wall_s={report['wall_clock_s']}"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    runs = plan(args)
    results: list[tuple[int, dict[str, Any]]] = []
    try:
        for one in runs:
            code, report = run_one(one)
            assert report is not None
            results.append((code, report))
            if args.runs is not None:
                print(
                    f"RUN {len(results)}/{len(runs)} {summary_line(code, report)}", file=sys.stderr
                )
    except KeyboardInterrupt:
        print("interrupted; cleaning up", file=sys.stderr)
        return 130
    if args.runs is None:
        code, report = results[0]
        if code == 2:
            return 2
        text = json.dumps(report, indent=2, default=str)
    else:
        lines = [summary_line(c, r) for c, r in results]
        for line in lines:
            print(line, file=sys.stderr)
        everything = {
            "ok": all(c == 0 for c, _ in results),
            "summaries": lines,
            "runs": [r for _, r in results],
        }
        text = json.dumps(everything, indent=2, default=str)
    print(text)
    if args.json_out:
        args.json_out.write_text(text)
    codes = {c for c, _ in results}
    return 1 if 1 in codes else 2 if 2 in codes else 0


if __name__ == "__main__":
    sys.exit(main())
