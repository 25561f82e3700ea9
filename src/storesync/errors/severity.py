"""Severity levels as the playbook defines them: response-time targets and notification channels.

These are data, not prose: the incident and notification features read them to pick channels and
to schedule escalation, so changing a target here changes behaviour everywhere at once.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import timedelta


class Channel(enum.StrEnum):
    IN_APP = "in_app"
    EMAIL = "email"
    SLACK = "slack"
    SMS = "sms"
    PHONE = "phone"


@dataclass(frozen=True)
class SeverityPolicy:
    """What one severity level promises: how fast someone responds and how they are told."""

    response_min: timedelta
    response_max: timedelta
    channels: tuple[Channel, ...]
    escalation_level: int  # the playbook's level (1 automated .. 4 critical incident) it starts at


class Severity(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def policy(self) -> SeverityPolicy:
        return SEVERITY_POLICIES[self]

    def at_least(self, other: Severity) -> Severity:
        """The higher of two: a concrete error may raise its class default, never lower it."""
        return self if self.rank >= other.rank else other


_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2, Severity.CRITICAL: 3}

SEVERITY_POLICIES: dict[Severity, SeverityPolicy] = {
    Severity.LOW: SeverityPolicy(
        timedelta(hours=24), timedelta(hours=48), (Channel.IN_APP,), escalation_level=1
    ),
    Severity.MEDIUM: SeverityPolicy(
        timedelta(hours=4), timedelta(hours=8), (Channel.EMAIL, Channel.IN_APP), escalation_level=2
    ),
    Severity.HIGH: SeverityPolicy(
        timedelta(hours=1),
        timedelta(hours=2),
        (Channel.EMAIL, Channel.SLACK, Channel.IN_APP),
        escalation_level=3,
    ),
    Severity.CRITICAL: SeverityPolicy(
        timedelta(minutes=15),
        timedelta(minutes=30),
        (Channel.EMAIL, Channel.SLACK, Channel.IN_APP, Channel.SMS, Channel.PHONE),
        escalation_level=4,
    ),
}
