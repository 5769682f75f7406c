"""The envelope every event travels in on Kafka, and its canonical bytes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Self
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from uuid6 import uuid7

from contracts.errors import InvalidEnvelope, describe
from contracts.events.base import Event
from contracts.vocabulary import Organisation, Service

SYSTEM_ACTOR = "system"
"""The actor of events no officer caused (timers, automatic decisions)."""

Actor = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$", max_length=64)]
"""A pseudonymous officer id or "system"; never a name or an e-mail address."""

EventType = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Za-z0-9]{1,63}$")]


def _in_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_in_utc)]


def new_event_id() -> UUID:
    """A time-ordered UUIDv7, as a plain `uuid.UUID`."""
    return UUID(int=uuid7().int)


class Envelope(BaseModel):
    """One event on the bus: who, when, for which client, why, and the versioned payload.

    The Kafka message key is `client_id` (see `key()`), so one client's events stay in order.
    `correlation_id` is shared by everything one request set off; `causation_id` is the
    `event_id` of the event this one reacts to.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: UUID = Field(default_factory=new_event_id)
    type: EventType
    schema_version: int = Field(ge=1)
    occurred_at: UtcDatetime
    recorded_at: UtcDatetime
    producer: Service
    organisation: Organisation
    actor: Actor
    client_id: UUID
    correlation_id: UUID
    causation_id: UUID | None = None
    payload: dict[str, Any]

    @classmethod
    def wrap(
        cls,
        event: Event,
        *,
        producer: str,
        organisation: str,
        actor: str,
        client_id: UUID,
        correlation_id: UUID,
        causation_id: UUID | None = None,
        occurred_at: datetime | None = None,
        recorded_at: datetime | None = None,
    ) -> Self:
        """Put `event` in a new envelope; times default to now and `occurred_at` to `recorded_at`.

        Raises `InvalidEnvelope` if the producer may not publish this event, the event names
        another client, or a field is invalid.
        """
        if not event.published_by(producer):
            raise InvalidEnvelope(f"{event.TYPE} is published by {event.PRODUCER}, not by {producer}")
        check_same_client(event, client_id)
        recorded_at = recorded_at or datetime.now(UTC)
        try:
            return cls(
                type=event.TYPE,
                schema_version=event.VERSION,
                occurred_at=occurred_at or recorded_at,
                recorded_at=recorded_at,
                producer=producer,
                organisation=organisation,
                actor=actor,
                client_id=client_id,
                correlation_id=correlation_id,
                causation_id=causation_id,
                payload=event.model_dump(mode="json"),
            )
        except ValidationError as exc:
            raise InvalidEnvelope(f"invalid envelope for {event.TYPE}: {describe(exc)}") from None

    def key(self) -> bytes:
        """The Kafka message key."""
        return str(self.client_id).encode()

    def to_bytes(self) -> bytes:
        """Canonical JSON (sorted keys, no spaces, UTF-8): the same envelope always gives the same bytes."""
        # Canonical bytes let the audit trail hash what it received and let replays compare equal.
        data = self.model_dump(mode="json")
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    @classmethod
    def from_bytes(cls, raw: bytes | str) -> Self:
        """Parse an envelope; raises `InvalidEnvelope` naming the broken fields (never their values)."""
        try:
            return cls.__pydantic_validator__.validate_json(raw)  # model_validate_json, one call less
        except ValidationError as exc:
            raise InvalidEnvelope(f"not a valid envelope: {describe(exc)}") from None


def check_same_client(event: Event, client_id: UUID) -> None:
    """Refuse an event whose own `client_id` (if it has one) differs from the envelope's."""
    own = getattr(event, "client_id", None)
    if own is not None and own != client_id:
        raise InvalidEnvelope(f"{event.TYPE} names another client than its envelope")
