"""Invariant 8, dead letters and signals: every dead letter carries its error code; the report
counts them by code and by task."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Engine

from bench.chaos.checks.base import Check, rows


def check(engine: Engine) -> Check:
    letters = rows(engine, "SELECT task, error_code, status FROM dead_letters")
    by_code: Counter[str] = Counter()
    by_task: Counter[str] = Counter()
    without_code = 0
    for task, code, _status in letters:
        by_code[code or "(none)"] += 1
        by_task[task] += 1
        without_code += int(not code)
    return Check(
        "dead_letters_have_codes",
        without_code == 0,
        {
            "total": len(letters),
            "by_code": dict(sorted(by_code.items())),
            "by_task": dict(sorted(by_task.items())),
            "without_code": without_code,
        },
    )
