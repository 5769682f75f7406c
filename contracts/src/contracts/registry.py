"""The catalogue of event types and versions, and how any version is read as the latest."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from contracts.envelope import Envelope, check_same_client
from contracts.errors import (
    InvalidEnvelope,
    InvalidPayload,
    OutdatedSchemaVersion,
    UnknownEventType,
    UnknownSchemaVersion,
    describe,
)
from contracts.events import assessment, guidance, intake, notifications, operations, planning, superseded
from contracts.events.base import Event

Upcaster = Callable[[Any], Event]
"""Turns an event of version N into the same event type at version N+1."""


class Registry:
    """Event models by type and version, with an upcaster for every step up to the latest.

    Built once, complete and immutable: each type's versions run 1..N without gaps and every
    version below N has an upcaster, or construction fails.
    """

    def __init__(self, models: Iterable[type[Event]], upcasters: Mapping[type[Event], Upcaster]) -> None:
        self._models: dict[str, dict[int, type[Event]]] = {}
        for model in models:
            versions = self._models.setdefault(model.TYPE, {})
            if model.VERSION in versions:
                raise ValueError(f"{model.TYPE} v{model.VERSION} is registered twice")
            versions[model.VERSION] = model
        self._upcasters = dict(upcasters)
        self._check_complete()
        self._latest = {type_: max(versions) for type_, versions in self._models.items()}

    def _check_complete(self) -> None:
        for type_, versions in self._models.items():
            if sorted(versions) != list(range(1, len(versions) + 1)):
                raise ValueError(f"{type_} versions must run from 1 without gaps")
            for version in range(1, len(versions)):
                if versions[version] not in self._upcasters:
                    raise ValueError(f"{type_} v{version} has no upcaster to v{version + 1}")
        registered = {model for versions in self._models.values() for model in versions.values()}
        for old in self._upcasters:
            if old not in registered or old is self.model(old.TYPE):
                raise ValueError(f"{old.__name__} is not a registered superseded version")

    def types(self) -> tuple[str, ...]:
        """Every event type, sorted."""
        return tuple(sorted(self._models))

    def versions(self, type_: str) -> tuple[int, ...]:
        """Every schema version of `type_`, oldest first."""
        return tuple(sorted(self._versions(type_)))

    def latest_version(self, type_: str) -> int:
        """The version producers write; raises `UnknownEventType`."""
        self._versions(type_)
        return self._latest[type_]

    def model(self, type_: str, version: int | None = None) -> type[Event]:
        """The model of `type_` at `version` (default: latest); raises `UnknownEventType` or `UnknownSchemaVersion`."""
        versions = self._versions(type_)
        version = max(versions) if version is None else version
        if version not in versions:
            raise UnknownSchemaVersion(f"{type_} has no schema version {version} (known: {sorted(versions)})")
        return versions[version]

    def decode(self, envelope: Envelope) -> Event:
        """The envelope's payload as the latest version of its event, upcasting older versions.

        Raises `UnknownEventType`, `UnknownSchemaVersion`, `InvalidPayload` or `InvalidEnvelope`
        (all `ContractError`): the message can never be handled and belongs on a dead-letter topic.
        """
        model = self.model(envelope.type, envelope.schema_version)
        if not model.published_by(envelope.producer):
            raise InvalidEnvelope(f"{model.TYPE} is published by {model.PRODUCER}, not by {envelope.producer}")
        try:
            event = model.__pydantic_validator__.validate_python(envelope.payload)  # model_validate, one call less
        except ValidationError as exc:
            raise InvalidPayload(f"{model.TYPE} v{model.VERSION}: {describe(exc)}") from None
        latest = self._latest[event.TYPE]
        while latest > event.VERSION:
            event = self._upcast(event)
        check_same_client(event, envelope.client_id)
        return event

    def encode(self, event: Event, **context: Any) -> Envelope:
        """Wrap an event of a registered type at its latest version; `context` as for `Envelope.wrap`."""
        if self.model(event.TYPE, event.VERSION) is not type(event):
            raise UnknownEventType(f"{type(event).__name__} is not the registered model of {event.TYPE}")
        latest = self.latest_version(event.TYPE)
        if event.VERSION != latest:
            raise OutdatedSchemaVersion(f"{event.TYPE} v{event.VERSION} is outdated; publish v{latest}")
        return Envelope.wrap(event, **context)

    def _versions(self, type_: str) -> dict[int, type[Event]]:
        if type_ not in self._models:
            raise UnknownEventType(f"unknown event type {type_!r}")
        return self._models[type_]

    def _upcast(self, event: Event) -> Event:
        target = self.model(event.TYPE, event.VERSION + 1)
        try:
            newer = self._upcasters[type(event)](event)
        except ValidationError as exc:
            problem = f"{event.TYPE} v{event.VERSION} cannot be read as v{target.VERSION}"
            raise InvalidPayload(f"{problem}: {describe(exc)}") from None
        if type(newer) is not target:
            raise TypeError(f"the upcaster of {event.TYPE} v{event.VERSION} must return {target.__name__}")
        return newer


CATALOGUE = Registry(
    models=(
        intake.EVENTS + assessment.EVENTS + planning.EVENTS + guidance.EVENTS + notifications.EVENTS + superseded.EVENTS
        + operations.EVENTS
    ),
    upcasters=superseded.UPCASTERS,
)
"""Every event the system knows."""


def decode(envelope: Envelope) -> Event:
    """`CATALOGUE.decode`: the payload as the latest version of its event."""
    return CATALOGUE.decode(envelope)


def encode(event: Event, **context: Any) -> Envelope:
    """`CATALOGUE.encode`: wrap a latest-version event for publishing."""
    return CATALOGUE.encode(event, **context)


def latest_version(type_: str) -> int:
    """`CATALOGUE.latest_version`."""
    return CATALOGUE.latest_version(type_)
