"""Request-scoped dependencies: what an endpoint may ask for, each under its own type.

The API's entry point puts one `RequestDeps` on `app.state.deps` (built by the composition root);
endpoints name the member they use (`jobs: JobsDep`), never the whole container. The request is
the unit of work: `Db` commits when the handler returns and rolls back on error.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from pydantic import StringConstraints
from sqlalchemy.orm import Session, sessionmaker

from storesync.config import Settings
from storesync.db.engine import unit_of_work
from storesync.resilience.service import Resilience
from storesync.shop.clients import ShopClients
from storesync.worker.jobs import Jobs


@dataclass(frozen=True)
class RequestDeps:
    settings: Settings
    db: sessionmaker[Session]
    jobs: Jobs
    clients: ShopClients
    resilience: Resilience


def request_deps(request: Request) -> RequestDeps:
    deps: RequestDeps = request.app.state.deps
    return deps


def session(request: Request) -> Iterator[Session]:
    with unit_of_work(request_deps(request).db) as db:
        yield db


def _settings(request: Request) -> Settings:
    return request_deps(request).settings


def _jobs(request: Request) -> Jobs:
    return request_deps(request).jobs


def _clients(request: Request) -> ShopClients:
    return request_deps(request).clients


def _resilience(request: Request) -> Resilience:
    return request_deps(request).resilience


def _session_factory(request: Request) -> sessionmaker[Session]:
    return request_deps(request).db


# scope="function": commit before the response is sent. The default ("request") commits after
# it, so a client could read stale data right after a 2xx, and a failed commit would go unseen.
Db = Annotated[Session, Depends(session, scope="function")]
SessionFactory = Annotated[sessionmaker[Session], Depends(_session_factory)]
SettingsDep = Annotated[Settings, Depends(_settings)]
JobsDep = Annotated[Jobs, Depends(_jobs)]
ClientsDep = Annotated[ShopClients, Depends(_clients)]
ResilienceDep = Annotated[Resilience, Depends(_resilience)]


# --- bounded request values: bad input is a 422 here, never a 500 from the database ----------

# Ids are INTEGER columns: 32-bit on PostgreSQL (a larger value there is NumericValueOutOfRange,
# a 503) and 64-bit on SQLite (past that, OverflowError, a 500). The narrower one bounds both.
MAX_ID = 2**31 - 1
# The largest page one request returns: a dashboard table or an export loop's page, never a
# whole table serialised by one request.
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100
# OFFSET n reads and drops n rows first; past a million, narrow the query with its filters.
MAX_OFFSET = 1_000_000

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
ShopIdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]

# PostgreSQL text cannot hold a NUL (SQLite can): in a body's free text it would come back from
# the database as a DataError, a 503. The middleware refuses NULs in paths and query strings.
NoNul = StringConstraints(pattern=r"^[^\x00]*$")
