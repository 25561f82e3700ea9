"""`backup` and `restore`: PostgreSQL through its own tools (`pg_dump -Fc`, `pg_restore`), SQLite
through its online backup API, which copies a consistent snapshot page by page while the server
keeps writing (a file copy of a WAL database is not one: the -wal file holds committed pages).

These are flows over a database URL, not a session: the tools and the backup API open their own
connections. Progress goes to the caller's callback (the CLI draws it on stderr).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from storesync.errors import DatabaseError, ValidationError

Progress = Callable[[int, int], None]  # (done, total) in the backend's own unit (SQLite: pages)
SQLITE_PAGES_PER_STEP = 256  # 1 MiB at the default 4 KiB page: the writer waits at most one step
TOOLS_HINT = "install the PostgreSQL client tools (Debian: postgresql-client; scripts/tools)"


@dataclass(frozen=True)
class Target:
    """A database as the backup tools see it: a SQLite file, or a PostgreSQL database."""

    url: URL

    @classmethod
    def parse(cls, url: str) -> Target:
        return cls(make_url(url))

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def path(self) -> Path:
        if not self.url.database or self.url.database == ":memory:":
            raise ValidationError(
                "a SQLite backup needs a database file", details={"url": "sqlite"}
            )
        return Path(self.url.database).resolve()

    def identity(self) -> tuple[str, ...]:
        """What makes two URLs the same database (driver, password and options aside)."""
        if self.is_sqlite:
            return ("sqlite", str(self.path))
        host = self.url.host or "localhost"
        host = "localhost" if host in {"127.0.0.1", "::1"} else host
        return ("postgresql", host, str(self.url.port or 5432), self.url.database or "")

    def libpq(self) -> tuple[str, dict[str, str]]:
        """A libpq URI without the password, and the environment carrying it: a password in
        argv is readable by every user of the machine (ps)."""
        plain = self.url.set(drivername="postgresql", password=None)
        env = dict(os.environ)
        if self.url.password is not None:
            env["PGPASSWORD"] = str(self.url.password)
        return plain.render_as_string(hide_password=False), env


def default_name(target: Target, stamp: str) -> str:
    return f"storesync-{stamp}.{'sqlite' if target.is_sqlite else 'dump'}"


def backup(url: str, out: Path, progress: Progress | None = None) -> Path:
    """Write a backup of the database at `url` to `out` (its folder is created); returns `out`."""
    target = Target.parse(url)
    out.parent.mkdir(parents=True, exist_ok=True)
    # It holds every shop's (encrypted) tokens, like the database itself: this user only, from
    # the first byte (the tools and SQLite keep an existing file's mode).
    os.close(os.open(out, os.O_CREAT | os.O_WRONLY, 0o600))
    out.chmod(0o600)
    if target.is_sqlite:
        _sqlite_copy(target.path, out, progress)
        _sqlite_check(out)
    else:
        uri, env = target.libpq()
        _run(
            [_tool("pg_dump"), "-Fc", "--no-owner", "--no-privileges", "--file", str(out), uri], env
        )
        _run([_tool("pg_restore"), "--list", str(out)], env)  # readable, or fail now, not at 3 a.m.
    return out


def restore(
    backup_file: Path,
    to_url: str,
    live_url: str,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> None:
    """Load `backup_file` into the database at `to_url`, replacing what it holds.

    Refuses the database StoreSync is configured to serve from unless `force`: a restore there
    replaces every order and ledger entry since the backup."""
    target = Target.parse(to_url)
    if not backup_file.is_file():
        raise ValidationError(
            f"no backup file at {backup_file}", details={"file": str(backup_file)}
        )
    if target.identity() == Target.parse(live_url).identity() and not force:
        raise ValidationError(
            "refusing to restore over the live database (the one StoreSync serves); "
            "stop StoreSync and pass --force to replace it",
            details={"to": target.identity()[-1]},
        )
    if target.is_sqlite:
        _sqlite_check(backup_file)
        target.path.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(backup_file, target.path, progress)
        return
    uri, env = target.libpq()
    command = [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges"]
    # One transaction: a restore that fails half-way leaves the target as it was.
    _run(
        [*command, "--single-transaction", "--exit-on-error", "--dbname", uri, str(backup_file)],
        env,
    )


def _sqlite_copy(source: Path, dest: Path, progress: Progress | None) -> None:
    if not source.is_file():  # connect() would create an empty one and "back it up"
        raise ValidationError(f"no SQLite database at {source}", details={"file": str(source)})
    src = sqlite3.connect(source)
    dst = sqlite3.connect(dest)
    try:

        def step(_status: int, remaining: int, total: int) -> None:
            if progress is not None:
                progress(total - remaining, total)

        src.backup(dst, pages=SQLITE_PAGES_PER_STEP, progress=step)
    except sqlite3.Error as exc:
        raise DatabaseError(f"SQLite backup failed: {exc}", details={"file": str(source)}) from exc
    finally:
        dst.close()
        src.close()


def _sqlite_check(path: Path) -> None:
    if not path.is_file():
        raise ValidationError(f"no SQLite database at {path}", details={"file": str(path)})
    try:
        conn = sqlite3.connect(path)
        try:
            result = conn.execute("PRAGMA quick_check").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise ValidationError(f"{path} is not a SQLite database: {exc}") from exc
    if result is None or result[0] != "ok":
        raise ValidationError(f"{path} failed SQLite's quick_check: {result}")


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise DatabaseError(f"{name} not found: {TOOLS_HINT}", details={"tool": name})
    return found


def _run(command: list[str], env: dict[str, str]) -> None:
    # argv is ours: a tool found on PATH, fixed flags, paths and a URI (no shell).
    done = subprocess.run(  # noqa: S603
        command, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        # The tools' stderr names the object and the server's reason; the URI is never in it
        # with a password (that travels in PGPASSWORD).
        reason = done.stderr.strip().splitlines()[-3:]
        raise DatabaseError(
            f"{Path(command[0]).name} failed (exit {done.returncode}): {' / '.join(reason)}",
            details={"tool": Path(command[0]).name, "exit": done.returncode},
        )
