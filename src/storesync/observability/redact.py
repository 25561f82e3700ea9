"""Masking secrets before anything leaves the process: log lines, error details, stored payloads.

Pure and standard-library only, so every layer may call it (the structlog processor, the
marketplace transport, the webhook store):

- `redact(value)` walks dicts, lists and tuples, replaces the value of every secret-named key
  with `MASK`, and runs `redact_text` over every other string.
- `redact_text(text)` masks secrets inside free text: `name=value` pairs (query strings, our own
  messages), `"name": value` pairs (JSON and Python reprs), pydantic's echo of its input,
  `Authorization:`/`Cookie:` header lines, bearer credentials and URL passwords.
- `redact_url(url)`: the same for one URL, its password masked however it is spelled.

A name is secret (`is_secret_name`) when, lower-cased with `-` read as `_`, it is one of
`SECRET_NAMES` or ends in `token`, `tokens`, `secret`, `password`, `_key`, `_signature` or
`_sign` (access and refresh tokens, app secrets, partner and API keys, CSRF tokens), unless it
is one of the few public `_key` names in `PUBLIC_NAMES`. A new name is masked by default: a
masked field costs a look at the code, a leaked token costs a shop. Masking is by name, not by
guessing at values, so a token under an innocent name is not caught: callers keep platform bodies
out of errors in the first place (marketplaces/http.py) and use this as the second line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

MASK = "[redacted]"

SECRET_NAMES = frozenset(
    {
        "sign",
        "signature",
        "dsn",  # a Sentry DSN carries its project key
        "password_hash",
        "passwd",
        "authorization",
        "proxy_authorization",
        "cookie",
        "set_cookie",
        "credentials",
    }
)
_SECRET_SUFFIXES = (
    "token",
    "tokens",
    "secret",
    "secrets",
    "password",
    "_key",
    "_signature",
    "_sign",
)
# `_key` names that identify rather than authenticate (an app's public id, our own lookup keys).
PUBLIC_NAMES = frozenset(
    {"app_key", "primary_key", "foreign_key", "breaker_key", "coalescing_key", "idempotency_key"}
)

_NAME = r"[A-Za-z][A-Za-z0-9_-]*"
_QUERY_PAIR = re.compile(rf"(?<![A-Za-z0-9_.-])({_NAME})=([^&\s\"',;)}}\]]+)")
_QUOTED_PAIR = re.compile(
    rf"([\"'])({_NAME})\1(\s*:\s*)(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|[^\s,}}\]]+)"
)
_HEADER_LINE = re.compile(
    r"(?im)\b((?:proxy-)?authorization|(?:set-)?cookie|x-csrf-token)(\s*:\s*)[^\r\n]+"
)
# pydantic's messages echo the input (`input_value={...}, input_type=dict`), cut in the middle
# when long, so its quotes no longer pair up: mask the whole echo.
_PYDANTIC_INPUT = re.compile(r"input_value=.*?(?=, input_type=)", re.S)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^:/@\s]*):[^@/\s]+@")


def is_secret_name(name: str) -> bool:
    key = name.strip().lower().replace("-", "_")
    if key in PUBLIC_NAMES:
        return False
    return key in SECRET_NAMES or key.endswith(_SECRET_SUFFIXES)


def redact(value: Any) -> Any:
    """A copy of `value` with every secret-named field masked; other strings via redact_text.
    Empty values stay as they are: "the token was missing" is worth seeing."""
    if isinstance(value, Mapping):
        return {
            k: MASK if v and isinstance(k, str) and is_secret_name(k) else redact(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(item) for item in value]
    if isinstance(value, tuple):
        items = [redact(item) for item in value]
        # A named tuple takes its fields as arguments, a plain one an iterable.
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    if isinstance(value, str):
        return redact_text(value)
    return value


def redact_text(text: str) -> str:
    if not text:
        return text
    text = _URL_PASSWORD.sub(rf"\1:{MASK}@", text)
    text = _PYDANTIC_INPUT.sub(f"input_value={MASK}", text)
    text = _HEADER_LINE.sub(rf"\1\2{MASK}", text)
    text = _BEARER.sub(rf"\1 {MASK}", text)
    text = _QUOTED_PAIR.sub(_quoted, text)
    return _QUERY_PAIR.sub(_query, text)


def redact_url(url: str) -> str:
    """A URL fit for a message: password and secret query parameters masked."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return redact_text(url)
    netloc = parts.netloc
    if password is not None:
        netloc = f"{parts.username or ''}:{MASK}@{netloc.rpartition('@')[2]}"
    return redact_text(urlunsplit(parts._replace(netloc=netloc)))


def _quoted(match: re.Match[str]) -> str:
    quote, name, separator, _ = match.groups()
    if not is_secret_name(name):
        return match.group(0)
    return f"{quote}{name}{quote}{separator}{quote}{MASK}{quote}"


def _query(match: re.Match[str]) -> str:
    name = match.group(1)
    return f"{name}={MASK}" if is_secret_name(name) else match.group(0)
