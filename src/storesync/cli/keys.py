"""`storesync keys rotate|retire`: the keys that encrypt shop tokens at rest, and the start-up
check that refuses the public demo app's credentials against real platforms.

Rotation, with the key file (the embedded default, data_dir/secret.key):

1. `storesync keys rotate` puts a new key in front of the file, then re-encrypts every stored
   token under it; the old keys still decrypt. A running process whose cipher was given the key
   source (`TokenCipher(settings.secret_keys)`, shop/crypto.py) reads the file again when it
   encrypts or fails to decrypt, so it keeps working without a restart.
2. `storesync keys retire` drops every key but the newest, once no token needs an older one.

With STORESYNC_SECRET_KEY the environment is the source, which this command cannot change:
`rotate` prints the new list to set (new key first) and re-encrypts nothing, since the running
processes do not know the new key yet; after setting it everywhere and restarting, `rotate
--reencrypt-only` re-encrypts, and `retire` prints the one-key list to set last.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.markup import escape

from storesync.audit import service as audit
from storesync.auth.identity import cli_identity
from storesync.cli.common import console, database, settings_or_exit
from storesync.config import Settings, new_secret_key
from storesync.shop.crypto import KeyUsage, TokenCipher, needing_old_keys, reencrypt_all

app = typer.Typer(help="Keys that encrypt shop tokens at rest.", no_args_is_help=True)

JsonOpt = typer.Option(False, "--json", help="Print the outcome as one JSON object.")


def refuse_demo_credentials(settings: Settings) -> None:
    """For the processes that call platforms: one line per credential that would send the
    public demo app's (or no) secret to a real platform host, then exit 2."""
    problems = settings.credential_problems()
    for problem in problems:
        console.print(f"[bold red]error:[/] {escape(problem)}", soft_wrap=True, highlight=False)
    if problems:
        raise typer.Exit(code=2)


@app.command("rotate")
def rotate(
    reencrypt_only: bool = typer.Option(
        False, "--reencrypt-only", help="Add no key: re-encrypt under the newest configured one."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Add a new key in front and re-encrypt every shop token under it."""
    settings = settings_or_exit()
    with _exclusive(settings):
        keys = settings.secret_keys()
        if not reencrypt_only:
            keys = [new_secret_key(), *keys]
            if settings.secret_keys_from_environment:
                _print_environment_steps(keys, as_json)
                return
            settings.store_secret_keys(keys)
        with database(settings) as session:
            usage = reencrypt_all(session, TokenCipher(keys))
            after = {"keys": len(keys), "reencrypted": usage.changed}
            audit.record(session, cli_identity(), "keys.rotate", after=after)
    _report(
        as_json,
        {"action": "rotate", "keys": len(keys), "reencrypted": usage.changed, **_broken(usage)},
        f"{usage.changed} token(s) re-encrypted under the newest of {len(keys)} key(s)",
        usage,
    )


@app.command("retire")
def retire(as_json: bool = JsonOpt) -> None:
    """Drop every key but the newest; refused while a token still needs an older one."""
    settings = settings_or_exit()
    with _exclusive(settings):
        keys = settings.secret_keys()
        with database(settings) as session:
            usage = needing_old_keys(session, TokenCipher(keys))
            if usage.changed:
                console.print(
                    f"[bold red]error:[/] {usage.changed} token(s) still need an older key; run "
                    "`storesync keys rotate --reencrypt-only` first",
                    soft_wrap=True,
                )
                raise typer.Exit(code=1)
            body, text = _retire(settings, keys)
            if body["retired"]:  # the count only: `body` may carry the key to set
                audit.record(
                    session, cli_identity(), "keys.retire", after={"retired": body["retired"]}
                )
    _report(as_json, body | _broken(usage), text, usage)


def _retire(settings: Settings, keys: list[str]) -> tuple[dict[str, object], str]:
    """Keep only the newest key (or say what to set); the outcome and what to print."""
    retired = len(keys) - 1
    body: dict[str, object] = {"action": "retire", "retired": retired, "keys": 1}
    if not retired:
        return body, "only one key: nothing to retire"
    if settings.secret_keys_from_environment:
        return body | {"secret_key": keys[0]}, (
            f"STORESYNC_SECRET_KEY={keys[0]}\n"
            f"Set the value above for every StoreSync process and restart them to retire "
            f"{retired} old key(s); no token needs them any more."
        )
    settings.store_secret_keys(keys[:1])
    return body, f"{retired} old key(s) retired; every token opens with the newest"


def _print_environment_steps(keys: list[str], as_json: bool) -> None:
    value = ",".join(keys)
    if as_json:
        typer.echo(json.dumps({"action": "rotate", "keys": len(keys), "secret_key": value}))
        return
    # stdout, alone on its line, so it can be copied or captured; the steps go to stderr.
    typer.echo(f"STORESYNC_SECRET_KEY={value}")
    console.print(
        "The keys come from STORESYNC_SECRET_KEY, which this command cannot change. Set the "
        "value above (new key first, the old ones still decrypt) for every StoreSync process "
        "and restart them; then run `storesync keys rotate --reencrypt-only`, and later "
        "`storesync keys retire`.",
        soft_wrap=True,
    )


def _broken(usage: KeyUsage) -> dict[str, object]:
    return {"unreadable": usage.unreadable, "unreadable_shops": list(usage.shops)}


def _report(as_json: bool, body: dict[str, object], text: str, usage: KeyUsage) -> None:
    if as_json:
        typer.echo(json.dumps(body))
        return
    typer.echo(text)
    if usage.unreadable:
        console.print(
            f"[yellow]warning:[/] {usage.unreadable} token(s) open with no configured key "
            f"(shops {', '.join(map(str, usage.shops))}); reconnect those shops",
            soft_wrap=True,
        )


@contextmanager
def _exclusive(settings: Settings) -> Iterator[None]:
    """One rotate or retire at a time on this data_dir: two rotations writing the file at once
    would lose one new key and every token re-encrypted under it."""
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(settings.data_dir / "secret.key.lock", os.O_CREAT | os.O_WRONLY, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # released when the descriptor closes
        yield
    finally:
        os.close(fd)
