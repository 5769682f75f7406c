"""The one definition of topics, principals and who may write or read what.

``deploy/`` creates topics, SCRAM users and ACLs from this module, and the services take their
topic names from it, so the bus and the code cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

SERVICES: tuple[str, ...] = ("intake", "assessment", "planning", "guidance", "notifications", "audit")
"""Every deployable service; each is a Kafka principal of the same name."""

ORGANISATIONS: tuple[str, ...] = ("employment-region", "raseborg", "hango", "inga", "luvn", "kela")
"""External organisations; each is a Kafka principal of the same name with its own ingress topic."""

OPERATOR = "operator"
"""The principal of operators watching the log (read-only)."""

PRODUCING_SERVICES: tuple[str, ...] = ("intake", "assessment", "planning", "guidance", "notifications")

TopicKind = Literal["event", "ingress", "dead-letter", "anchor"]

FOREVER = -1

INGRESS_RETENTION_MS = 30 * 24 * 3600 * 1000
"""Ingress topics are a delivery channel, not a record: intake's event store and vault are. Their
messages carry personal data sealed to intake's key, which must not outlive erasure (R29) on the
bus, so they are kept 30 days: long enough to replay an outage, short enough to forget."""


def retention(kind: TopicKind, writer: str) -> int:
    """How long a topic keeps its messages, in milliseconds (-1: forever). Intake's dead letters are
    refused ingress messages, sealed personal data included, so they are kept like ingress."""
    if kind == "ingress" or (kind == "dead-letter" and writer == "intake"):
        return INGRESS_RETENTION_MS
    return FOREVER


def event_topic(service: str) -> str:
    return f"integration.{service}.v1"


def ingress_topic(organisation: str) -> str:
    return f"ingress.{organisation}.v1"


def dead_letter_topic(service: str) -> str:
    return f"deadletter.{service}.v1"


# Which event topics each service consumes (besides ingress for intake and dead letters for audit).
CONSUMES: dict[str, tuple[str, ...]] = {
    "intake": tuple(ingress_topic(org) for org in ORGANISATIONS)
    + (event_topic("intake"),),  # its own, read back for the erasures a backup restore would undo
    "assessment": (event_topic("intake"),),
    "planning": (event_topic("intake"), event_topic("assessment"), event_topic("guidance")),
    "guidance": (event_topic("intake"), event_topic("planning")),
    "notifications": tuple(event_topic(s) for s in ("intake", "assessment", "planning", "guidance")),
    "audit": tuple(event_topic(s) for s in PRODUCING_SERVICES)
    + tuple(dead_letter_topic(s) for s in SERVICES if s != "audit"),
}


@dataclass(frozen=True)
class Topic:
    """A topic with its single writer and its readers (principal names)."""

    name: str
    kind: TopicKind
    writer: str
    readers: tuple[str, ...]
    partitions: int
    config: dict[str, str] = field(default_factory=dict)


def _retained(kind: TopicKind, writer: str) -> dict[str, str]:
    return {"retention.ms": str(retention(kind, writer)), "retention.bytes": str(FOREVER), "cleanup.policy": "delete"}


def _readers(topic: str) -> tuple[str, ...]:
    return tuple(s for s in SERVICES if topic in CONSUMES[s]) + (OPERATOR,)


def _redriver(service: str) -> tuple[str, ...]:
    """A service reads its own dead-letter topic to redrive a dead letter after a fix (backbone.redrive)."""
    return (service,)


def _event_readers(service: str) -> tuple[str, ...]:
    """Its consumers, and the service itself: its relay reads its own event topic back (assigned
    partitions, no group) to learn what reached it before a crash, so as not to send it twice
    (backbone.relay)."""
    readers = _readers(event_topic(service))
    return readers if service in readers else readers + (service,)


def all_topics() -> tuple[Topic, ...]:
    """Every topic the system uses; the message key on each is the client id."""
    topics = [
        Topic(event_topic(s), "event", s, _event_readers(s), 3, _retained("event", s))
        for s in PRODUCING_SERVICES
    ]
    topics += [
        Topic(ingress_topic(o), "ingress", o, _readers(ingress_topic(o)), 3, _retained("ingress", o))
        for o in ORGANISATIONS
    ]
    topics += [
        Topic(dead_letter_topic(s), "dead-letter", s, _readers(dead_letter_topic(s)) + _redriver(s), 1,
              _retained("dead-letter", s))
        for s in SERVICES
        if s != "audit"
    ]
    # The audit service is the last consumer: its own dead letters go to a topic audit writes
    # and only operators read.
    topics.append(Topic(dead_letter_topic("audit"), "dead-letter", "audit", (OPERATOR,) + _redriver("audit"), 1,
                        _retained("dead-letter", "audit")))
    topics.append(anchor_topic())
    return tuple(topics)


def principals() -> tuple[str, ...]:
    """Every SCRAM principal besides the broker's admin."""
    return SERVICES + ORGANISATIONS + (OPERATOR,)


def consumer_group_prefix(principal: str) -> str:
    """Consumer groups a principal may use start with its own name."""
    return principal


# The audit trail's anchors (issue 16): its head hash signed with a key the database does not hold,
# written by audit only, read by audit (verify) and operators, kept forever.
ANCHOR_TOPIC = "anchor.audit.v1"


def anchor_topic() -> Topic:
    return Topic(ANCHOR_TOPIC, "anchor", "audit", ("audit", OPERATOR), 1, _retained("event", "audit"))


CONSUMES["audit"] += (ANCHOR_TOPIC,)
