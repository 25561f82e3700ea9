"""structlog set-up: JSON lines in production, readable colours in a terminal.

Every line carries the correlation id bound in `observability.context`, so one request can be
followed from the HTTP access line through its jobs into its outbound platform calls. Every line,
ours or the standard library's (uvicorn, dramatiq, sqlalchemy), passes `_redact_secrets` last
before rendering, tracebacks included: a token never reaches a log sink under its own name.
"""

from __future__ import annotations

import io
import logging
import sys
import traceback
from typing import Any, Literal, TextIO

import structlog
from structlog.typing import EventDict, ExcInfo, WrappedLogger

from storesync.observability.context import correlation_id
from storesync.observability.redact import redact, redact_text


def _add_correlation_id(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    value = correlation_id.get()
    if value is not None:
        event.setdefault("correlation_id", value)
    return event


def _redact_secrets(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """Secret-named fields masked, free text (messages, formatted tracebacks) scrubbed."""
    masked: EventDict = redact(event)
    return masked


def _redacted_traceback(sio: TextIO, exc_info: ExcInfo) -> None:
    # Not structlog's default (Rich with show_locals=True): a traceback's locals print the
    # tokens a platform call held, under names like `tokens` or `credentials` no mask knows.
    text = io.StringIO()
    traceback.print_exception(*exc_info, file=text)
    sio.write("\n" + redact_text(text.getvalue()))


def configure_logging(
    level: str = "INFO", fmt: Literal["auto", "json", "console"] = "auto"
) -> None:
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        _add_correlation_id,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if use_json
        else structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=_redacted_traceback
        )
    )
    # One chain for every record, ours and foreign: tracebacks become text (JSON) before the
    # mask runs, so it sees them.
    final: list[Any] = [structlog.stdlib.ProcessorFormatter.remove_processors_meta]
    if use_json:
        final.append(structlog.processors.format_exc_info)
    final += [_redact_secrets, renderer]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Not cached: a cached logger keeps the configuration of its first call for the life of
        # the process, so a command run in-process (tests, CliRunner) froze every logger it
        # touched at its level and its processors (seen: later captured logs came back empty).
        # Resolving the configuration per call costs microseconds at our log volume.
        cache_logger_on_first_use=False,
    )
    # Route the standard library (uvicorn, sqlalchemy, dramatiq) through the same renderer.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(foreign_pre_chain=shared, processors=final)
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and Shopee puts access_token in the query string:
    # our clients log each call themselves, without secrets.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # uvicorn's own access log duplicates ours (which carries the correlation id).
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
