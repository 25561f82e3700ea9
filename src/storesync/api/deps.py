"""Request-scoped dependencies: the container and a unit of work per request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
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


# scope="function": commit before the response is sent. The default ("request") commits after
# it, so a client could read stale data right after a 2xx, and a failed commit would go unseen.
Db = Annotated[Session, Depends(session, scope="function")]
App = Annotated[Container, Depends(container)]
