"""Request-scoped dependencies: the container and a unit of work per request."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from sqlalchemy.orm import Session

from storesync.bootstrap import Container
from storesync.db.engine import unit_of_work


def container(request: Request) -> Container:
    result: Container = request.app.state.container
    return result


def session(request: Request) -> Iterator[Session]:
    """The request is the unit of work: commit when the handler returns, roll back on error."""
    with unit_of_work(container(request).session_factory) as db:
        yield db
