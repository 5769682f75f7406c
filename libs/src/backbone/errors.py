"""Errors the runtime distinguishes: concurrency conflicts, and failures that will or won't pass."""

from __future__ import annotations

import asyncio
from uuid import UUID

import asyncpg
from aiokafka.errors import (
    CorruptRecordException,
    InvalidMessageError,
    InvalidTimestampError,
    KafkaError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
    UnsupportedForMessageFormatError,
)
from pydantic import ValidationError

from contracts.errors import ContractError


class ConcurrencyError(Exception):
    """Another writer appended to the stream first; reload the stream and retry the command."""

    def __init__(self, stream_id: UUID, expected: int, actual: int | None) -> None:
        self.stream_id, self.expected, self.actual = stream_id, expected, actual
        found = "a concurrent append" if actual is None else f"version {actual}"
        super().__init__(f"stream {stream_id}: expected version {expected}, found {found}; retry the command")


class Rejected(Exception):
    """A command or message refused by a rule (with the rule's id); retrying will not help."""

    def __init__(self, rule: str, reason: str) -> None:
        self.rule, self.reason = rule, reason
        super().__init__(f"{rule}: {reason}")


class EventTooLarge(Rejected):
    """An event bigger than Kafka takes: it could never be published, so it is never stored."""

    RULE = "event.size"

    def __init__(self, event_type: str, size: int, limit: int) -> None:
        self.event_type, self.size, self.limit = event_type, size, limit
        super().__init__(self.RULE, f"a {event_type} event of {size} bytes is larger than the {limit} bytes a "
                                    "message may have on its topic (max.message.bytes, max_request_size)")


PERMANENT = (ContractError, Rejected, ValidationError)
"""Failures that will never pass: the message goes to the dead-letter topic."""

TRANSIENT = (OSError, asyncio.TimeoutError, asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError,
             asyncpg.InterfaceError, asyncpg.TooManyConnectionsError, asyncpg.SerializationError,
             asyncpg.DeadlockDetectedError, asyncpg.OperatorInterventionError, ConcurrencyError,
             KafkaError)
"""Failures of the moment (a dependency down, a conflict): retried with backoff, never skipped."""

RECORD_REFUSED = (MessageSizeTooLargeError, RecordTooLargeError, RecordListTooLargeError, InvalidMessageError,
                  CorruptRecordException, InvalidTimestampError, UnsupportedForMessageFormatError)
"""Kafka refuses this one record and always will (too large, malformed): the relay parks it and goes on.
Anything else the broker answers (authorisation, a partition without leader...) is about the topic or
the moment, not the record, and is retried."""
