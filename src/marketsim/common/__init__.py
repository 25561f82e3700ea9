"""What both simulators share: clock, faults, call log, rate limiter, webhooks, control API.

See ../INTERFACE.md for the contract the simulators code against.
"""

from marketsim.common.calls import CallLog
from marketsim.common.clock import SimClock
from marketsim.common.control import SimContext, SimPlatform, control_router
from marketsim.common.errors import BadRequest, Conflict, NotFound, OutOfStock, SimError
from marketsim.common.faults import (
    Decision,
    FamilyFaults,
    FaultInjector,
    FaultProfile,
    WebhookDecision,
    WebhookFaults,
)
from marketsim.common.gate import gate
from marketsim.common.ratelimit import RateLimiter
from marketsim.common.webhooks import WebhookSender

__all__ = [
    "BadRequest",
    "CallLog",
    "Conflict",
    "Decision",
    "FamilyFaults",
    "FaultInjector",
    "FaultProfile",
    "NotFound",
    "OutOfStock",
    "RateLimiter",
    "SimClock",
    "SimContext",
    "SimError",
    "SimPlatform",
    "WebhookDecision",
    "WebhookFaults",
    "WebhookSender",
    "control_router",
    "gate",
]
