"""Events about running the system rather than about a client's process; any producing service
publishes them about itself."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, StringConstraints

from contracts.events.base import Event
from contracts.vocabulary import Service

TopicName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9.-]{0,120}$")]


class OperationsEvent(Event):
    """Published by whichever producing service it is about (`published_by`), on its own topic."""

    PRODUCER: ClassVar[Service] = Service.INTAKE  # the catalogue's checks want one; `published_by` says who may

    @classmethod
    def published_by(cls, producer: str) -> bool:
        from contracts.topics import PRODUCING_SERVICES

        return producer in PRODUCING_SERVICES


class DeadLetterRedriven(OperationsEvent):
    """An operator had a service apply one of its own dead letters again after a fix
    (backbone.redrive). Names the dead letter and the message's origin by topic, partition and
    offset, and what came of it: never the message's content. The envelope's `client_id` is the
    event's client when the dead letter was an event, else the service's operations stream."""

    TYPE: ClassVar[str] = "DeadLetterRedriven"
    VERSION: ClassVar[int] = 1

    dead_letter_topic: TopicName
    dead_letter_partition: int = Field(ge=0)
    dead_letter_offset: int = Field(ge=0)
    source_topic: TopicName
    source_partition: int = Field(ge=0)
    source_offset: int = Field(ge=0)
    consumer: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9.-]{0,120}$")]
    outcome: Literal["applied", "already-applied", "dead-lettered-again"]
    redrives: int = Field(ge=1, description="How many times this message has been redriven, this time included.")


EVENTS: tuple[type[Event], ...] = (DeadLetterRedriven,)
