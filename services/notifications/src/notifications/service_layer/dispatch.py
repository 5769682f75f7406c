"""The dispatcher: takes due messages, reads the client's contact details from intake, picks the
channel and language, renders the template and sends; records the state before and after.

Exactly once, as far as each channel allows:
- the message id is derived from the triggering event and the template (one message per trigger);
- each attempt first records `sending` (with a lease and the attempt number) in its own transaction,
  and afterwards `sent`, `queued` (retry later) or `failed`, checking the attempt number, with the
  event in the same transaction as the state;
- a worker that dies mid-send leaves `sending` behind; when the lease runs out another attempt
  sends again with the same SMS idempotency key (the gateway returns the first answer and sends
  nothing) or the same e-mail Message-ID (see `adapters/email.py` for what SMTP cannot promise).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import structlog

from backbone.errors import TRANSIENT
from contracts.events.notifications import NotificationFailed, NotificationSent
from notifications.adapters import email as mail
from notifications.adapters import postgres
from notifications.adapters.errors import SendFailed
from notifications.adapters.intake import Contact, IntakeContacts
from notifications.adapters.postgres import Message
from notifications.adapters.sms import SmsGateway
from notifications.domain import language as lang
from notifications.domain.offices import office_of, place_values
from notifications.domain.quiet_hours import next_sms_time
from notifications.domain.retry import RetryPolicy
from notifications.domain.templates import Rendered, TemplateError, languages_of, template

log = structlog.get_logger()
VIEW_RETRY = timedelta(seconds=2)


@dataclass
class Channels:
    email: mail.SmtpSender
    sms: SmsGateway
    mail_from: str
    message_id_domain: str


def purpose_of(template_code: str) -> str:
    return "notification_" + "".join(c if c.isalnum() else "_" for c in template_code)


def compose(m: Message, contact: Contact) -> Rendered:
    """The message in the best language the template has, filled with its parameters, the office's
    details and the person's name (read from intake for this send only)."""
    preferred = contact.languages or m.view_languages
    choice = lang.choose(preferred, m.home_municipality, languages_of(m.template_code))
    values = {**office_of(m.home_municipality), "municipality": m.home_municipality or "raseborg",
              **m.params, **place_values(m.params), "name": contact.name}
    return template(m.template_code, choice.language).render(values)


class Dispatcher:
    def __init__(self, pool: asyncpg.Pool, contacts: IntakeContacts, channels: Channels, *, policy: RetryPolicy,
                 now: Callable[[], datetime], batch: int = 50, lease_s: float = 120.0, idle_s: float = 0.2,
                 concurrency: int = 8, view_wait_s: float = 300.0) -> None:
        self.pool, self.contacts, self.channels, self.policy, self.now = pool, contacts, channels, policy, now
        self.view_wait = timedelta(seconds=view_wait_s)
        self.batch, self.lease_s, self.idle_s = batch, lease_s, idle_s
        self._limit = asyncio.Semaphore(concurrency)
        self.sent = 0

    async def run(self) -> None:
        delay = 0.1
        while True:
            try:
                if await self.step() == 0:
                    await asyncio.sleep(self.idle_s)
                delay = 0.1
            except TRANSIENT as exc:
                log.warning("dispatcher interrupted, retrying", error=type(exc).__name__, delay_s=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            except Exception as exc:  # noqa: BLE001 - e.g. a connection left broken by a lost server
                # The dispatcher must never stop: the messages it had claimed go again when their lease runs
                # out (the same idempotency key for an SMS), the others at their time.
                log.error("dispatcher step failed unexpectedly, retrying", error=type(exc).__name__, delay_s=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def step(self) -> int:
        """One round: claim the due messages and attempt each once. Returns how many were attempted.

        The round's contact details are read from intake in one request and its opt-outs in one query,
        both after the claim, so each is as fresh as a read per message would be."""
        claimed = await postgres.claim(self.pool, self.now(), limit=self.batch, lease_s=self.lease_s)
        now = self.now()
        # Intake's event about the client has not reached the client view yet (another topic, another
        # consumer): such a message waits for it a little, so the office and the language fallback are the
        # client's.
        early = [m for m in claimed if m.home_municipality is None and now < m.not_before + self.view_wait]
        waiting = {m.notification_id for m in early}
        ready = [m for m in claimed if m.notification_id not in waiting]
        contacts: dict[UUID, Contact | None] = {}
        opted: dict[UUID, frozenset[str]] = {}
        unreadable: SendFailed | None = None
        if ready:
            try:
                contacts = await self.contacts.contacts(dict.fromkeys(
                    (m.client_id, purpose_of(m.template_code)) for m in ready))
            except SendFailed as failure:
                unreadable = failure
            else:
                opted = await postgres.opted_out_of(self.pool, [m.client_id for m in ready])
        await asyncio.gather(*(self._guarded(m, self._wait_for_view(m, now)) for m in early),
                             *(self._guarded(m, self._attempt(m, contacts, opted, unreadable)) for m in ready))
        contacts.clear()  # the contact details live for this round's sends only
        return len(claimed)

    async def _guarded(self, m: Message, attempt: Coroutine[Any, Any, None]) -> None:
        async with self._limit:
            try:
                await attempt
            except TRANSIENT:
                raise
            except Exception as exc:  # noqa: BLE001 - a bug must not stop the other messages: retry later
                log.error("attempt failed unexpectedly", notification_id=str(m.notification_id),
                          error=type(exc).__name__)
                await self._failed(m, m.channels[0], SendFailed("provider_unavailable", type(exc).__name__,
                                                                permanent=False))

    async def _wait_for_view(self, m: Message, now: datetime) -> None:
        await self._finish(m, "queued", next_attempt_at=now + VIEW_RETRY, attempts=m.attempts - 1)

    async def _attempt(self, m: Message, contacts: dict[UUID, Contact | None], opted: dict[UUID, frozenset[str]],
                       unreadable: SendFailed | None) -> None:
        if unreadable is not None:
            await self._failed(m, m.channels[0], unreadable)
            return
        contact = contacts.get(m.client_id)
        if contact is None:  # intake has no personal data of the client: erased
            await self._finish(m, "cancelled", failure_reason="client_not_found")
            return
        await self._send(m, contact, opted.get(m.client_id, frozenset()))

    async def _send(self, m: Message, contact: Contact, opted: frozenset[str]) -> None:
        reachable = [c for c in m.channels if contact.reachable_by(c)]
        usable = [c for c in reachable if c not in opted]
        if not usable:
            reason = "no_consent" if reachable else "no_contact_details"
            await self._failed(m, m.channels[0], SendFailed(reason, "no usable channel", permanent=True))
            return
        channel = usable[0]
        try:
            rendered = compose(m, contact)
        except (TemplateError, LookupError) as exc:
            await self._failed(m, channel, SendFailed("template_missing_for_language", type(exc).__name__,
                                                      permanent=True))
            return
        now = self.now()
        if channel == "letter":  # printed by the municipality: the PDF is made when it is fetched
            await self._finish(m, "printable", channel=channel, language=rendered.language)
            return
        if channel == "sms":
            if rendered.sms is None:
                await self._failed(m, channel, SendFailed("template_missing_for_language", "no sms text",
                                                          permanent=True))
                return
            allowed = next_sms_time(now)
            if allowed > now:  # 21:00-08:00: wait for the morning, not counted as an attempt
                await self._finish(m, "queued", channel=channel, language=rendered.language, next_attempt_at=allowed,
                                   attempts=m.attempts - 1)
                return
        try:
            if channel == "sms":
                accepted = await self.channels.sms.send(m.notification_id, contact.phone, rendered.sms)
                extra = {"provider_ref": accepted.provider_ref, "segments": accepted.segments,
                         "encoding": accepted.encoding}
            else:
                message = mail.build(rendered, notification_id=m.notification_id, sender=self.channels.mail_from,
                                     to=contact.email, domain=self.channels.message_id_domain)
                await self.channels.email.send(message)
                extra = {}
        except SendFailed as failure:
            await self._failed(m, channel, failure, language=rendered.language)
            return
        sent_at = self.now()
        event = NotificationSent(notification_id=m.notification_id, channel=channel, template_code=m.template_code,
                                 language=rendered.language, sent_at=sent_at)
        if await self._finish(m, "sent", event=event, channel=channel, language=rendered.language, sent_at=sent_at,
                              last_error=None, failure_reason=None, **extra):
            self.sent += 1
            log.info("message sent", notification_id=str(m.notification_id), channel=channel,
                     template=m.template_code, language=rendered.language, attempt=m.attempts)

    async def _failed(self, m: Message, channel: str, failure: SendFailed, *, language: str | None = None) -> None:
        now = self.now()
        at = self.policy.next_attempt(attempts=m.attempts, queued_at=m.not_before, now=now,
                                      permanent=failure.permanent)
        final = at is None
        event = NotificationFailed(notification_id=m.notification_id, channel=channel, template_code=m.template_code,
                                   reason=failure.reason, attempts=m.attempts, final=final)
        await self._finish(m, "failed" if final else "queued", event=event, channel=channel,
                           next_attempt_at=at or now, last_error=failure.detail[:200], failure_reason=failure.reason,
                           **({"language": language} if language else {}))
        log.warning("message failed" if final else "message will be retried", notification_id=str(m.notification_id),
                    channel=channel, reason=failure.reason, detail=failure.detail, attempt=m.attempts, final=final,
                    retry_in_s=None if final else (at - now) / timedelta(seconds=1))

    async def _finish(self, m: Message, state: str, *, event=None, **columns) -> bool:
        async with self.pool.acquire() as conn:
            done = await postgres.finish(conn, m, state=state, now=self.now(), event=event, **columns)
        if not done:
            log.warning("attempt outcome superseded", notification_id=str(m.notification_id), attempt=m.attempts)
        return done
