"""Organisations' messages on their ingress topics, applied exactly once through the inbox.

The sender is the topic's organisation: only its Kafka principal may write `ingress.<org>.v1`
(contracts.topics, enforced by the broker's ACLs), so a field claiming another sender means nothing.
A message that does not validate, whose sealed part does not open, or that a rule refuses goes to
intake's dead-letter topic with the reason (field names and rule ids, never values).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID, uuid5

import asyncpg
import structlog

from backbone.inbox import Delivery, Subscription
from contracts import sealing
from contracts.ingress import IngressMessage, SealedIdentity, parse_personal
from contracts.topics import ORGANISATIONS, ingress_topic
from contracts.vocabulary import Organisation
from intake.adapters.postgres import PostgresUnitOfWork
from intake.adapters.vault import VaultCrypto
from intake.domain.errors import NotFound, Refused, Unchanged
from intake.service_layer import commands, handlers

log = structlog.get_logger()

SENDERS: dict[str, Organisation] = {ingress_topic(org): Organisation(org) for org in ORGANISATIONS}
INBOX_IDS = UUID("5d0f6c2e-6f1b-4a8e-9a51-2b7c0e4d9f13")
"""Namespace of the inbox ids of ingress messages."""


@dataclass(frozen=True)
class Received:
    """An ingress message and the organisation whose topic it came on."""

    message: IngressMessage
    sender: Organisation

    @property
    def event_id(self) -> UUID:
        """The inbox id: per sender, so one organisation's message ids can never shadow another's."""
        return uuid5(INBOX_IDS, f"{self.sender}/{self.message.message_id}")

    @classmethod
    def decode(cls, raw: bytes, topic: str) -> Received:
        return cls(IngressMessage.from_bytes(raw), SENDERS[topic])


def subscription(deps: handlers.Deps, keys: VaultCrypto, private_keys: Sequence[str], *,
                 ready: asyncio.Event | None = None) -> Subscription:
    """`ready`: set once start-up has re-applied the erasures of a restore; nothing is applied before."""
    async def apply(conn: asyncpg.Connection, deliveries: Sequence[Delivery]) -> None:
        if ready is not None:
            await ready.wait()
        for delivery in deliveries:
            received = delivery.envelope
            await apply_message(conn, received.message, received.sender, deps, keys, private_keys)

    return Subscription("ingress", tuple(SENDERS), batch_handler=apply, decoder=Received.decode)


async def apply_message(conn: asyncpg.Connection, message: IngressMessage, sender: Organisation,
                        deps: handlers.Deps, keys: VaultCrypto, private_keys: Sequence[str]) -> None:
    uow = PostgresUnitOfWork.on_connection(conn, keys)
    opened = sealing.open_sealed(private_keys, message.sealed, context=message.context())
    actor = f"ingress.{sender}"
    if message.type == "Registration":
        cmd = commands.Register(sender=sender, actor=actor, registration=message.registration(),
                                person=parse_personal(opened), correlation_id=message.message_id)
        outcome = await handlers.register(cmd, deps, uow)
    else:
        change = message.status_change()
        identity = parse_personal(opened, SealedIdentity)
        cmd = commands.ChangeJobseekerStatus(sender=sender, actor=actor, identity_code=identity.identity_code,
                                             registered=change.registered, on=change.on,
                                             correlation_id=message.message_id)
        try:
            outcome = await handlers.change_jobseeker_status(cmd, deps, uow)
        except NotFound:
            raise Refused("ingress.unknown_person", "no client has this identity code; register the person "
                                                    "first") from None
        except Unchanged as exc:  # the status is as the message says already: nothing to do, nothing lost
            log.info("ingress message changed nothing", message_id=str(message.message_id), type=message.type,
                     sender=sender, rule=exc.rule)
            return
    log.info("ingress message applied", message_id=str(message.message_id), type=message.type, sender=sender,
             client_id=str(outcome.client_id))
