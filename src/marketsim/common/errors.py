"""Errors a simulator raises to its control API (`/_sim/*`), each with its HTTP status.

Platform API errors have each platform's own envelope and live in `<platform>/errors.py`.
"""

from __future__ import annotations


class SimError(Exception):
    status_code = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class BadRequest(SimError):
    status_code = 400


class NotFound(SimError):
    status_code = 404


class Conflict(SimError):
    """The request is well formed but the simulated state refuses it (e.g. an illegal move)."""

    status_code = 409


class OutOfStock(Conflict):
    """An order for more units than buyers can see (stock minus reservations)."""
