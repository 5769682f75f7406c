"""Why a message breaks the contract, in words safe to put on a dead-letter topic.

Messages name fields and rules, never the offending values: a value may be personal data that
was put on the bus by mistake, and dead letters are kept forever.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import ValidationError


class ContractError(Exception):
    """A message that does not fit the event catalogue and never will; dead-letter it with `code`."""

    code: ClassVar[str] = "contract_error"


class InvalidEnvelope(ContractError):
    """The bytes are not a valid envelope, or its fields contradict its event."""

    code = "invalid_envelope"


class UnknownEventType(ContractError):
    """The envelope names an event type the catalogue does not know."""

    code = "unknown_event_type"


class UnknownSchemaVersion(ContractError):
    """The event type is known but this schema version is not (usually: written by a newer producer)."""

    code = "unknown_schema_version"


class OutdatedSchemaVersion(ContractError):
    """A producer tried to publish an older version of an event; only the latest may be written."""

    code = "outdated_schema_version"


class InvalidPayload(ContractError):
    """The payload does not validate against the model of its type and version."""

    code = "invalid_payload"


def describe(exc: ValidationError) -> str:
    """Pydantic's errors as `field: problem; ...`, without the input values."""
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "<root>"
        problems.append(f"{where}: {error['msg']}")
    return "; ".join(problems)
