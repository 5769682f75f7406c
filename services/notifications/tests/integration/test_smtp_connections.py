"""The SMTP sender keeps its connection for the next message, and never reuses one that failed, that
the server closed, or that was idle too long (against a real SMTP server on localhost)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import uuid4

import pytest
from aiosmtpd.smtp import SMTP

from notifications.adapters.email import SmtpSender, build
from notifications.adapters.errors import SendFailed
from notifications.domain.offices import office_of
from notifications.domain.templates import template
from tests.support.processes import free_port

pytestmark = pytest.mark.integration


class Server:
    """Accepts every message but to `refused@...`, and remembers its connections."""

    def __init__(self) -> None:
        self.accepted: list[str] = []
        self.connections: list[SMTP] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's name
        if address.startswith("refused@"):
            return "550 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.accepted.extend(envelope.rcpt_tos)
        return "250 Message accepted for delivery"

    def protocol(self) -> SMTP:
        smtp = SMTP(self, hostname="mail.test")
        self.connections.append(smtp)
        return smtp

    def drop_connections(self) -> None:
        for smtp in self.connections:
            if smtp.transport is not None:
                smtp.transport.close()


@asynccontextmanager
async def smtp_server() -> AsyncIterator[tuple[Server, int]]:
    server, port = Server(), free_port()
    listening = await asyncio.get_running_loop().create_server(server.protocol, "127.0.0.1", port)
    try:
        yield server, port
    finally:
        server.drop_connections()
        listening.close()


def message(to: str):
    rendered = template("welcome", "sv").render({"name": "Test Person", "municipality": "raseborg",
                                                 **office_of("raseborg")})
    return build(rendered, notification_id=uuid4(), sender="integration@raseborg.example", to=to, domain="n.example")


def sender(port: int, keepalive_s: float = 10.0) -> SmtpSender:
    return SmtpSender(host="127.0.0.1", port=port, starttls=False, username="", password="", timeout=5,
                      keepalive_s=keepalive_s)


async def test_messages_in_a_row_share_one_connection_and_each_is_accepted():
    async with smtp_server() as (server, port):
        smtp = sender(port)
        for i in range(5):
            await smtp.send(message(f"person{i}@example.org"))
        await smtp.close()

    assert server.accepted == [f"person{i}@example.org" for i in range(5)]
    assert (smtp.connections_made, len(server.connections)) == (1, 1)


async def test_messages_sent_at_once_use_a_connection_each_and_then_reuse_them():
    async with smtp_server() as (server, port):
        smtp = sender(port)
        await asyncio.gather(*(smtp.send(message(f"a{i}@example.org")) for i in range(3)))
        await asyncio.gather(*(smtp.send(message(f"b{i}@example.org")) for i in range(3)))
        await smtp.close()

    assert len(server.accepted) == 6
    assert smtp.connections_made == 3


async def test_a_connection_the_server_closed_is_not_reused_and_the_next_message_is_sent_on_a_new_one():
    async with smtp_server() as (server, port):
        smtp = sender(port)
        await smtp.send(message("first@example.org"))
        server.drop_connections()
        await asyncio.sleep(0.2)  # the client side sees the connection closed

        await smtp.send(message("second@example.org"))
        await smtp.close()

    assert server.accepted == ["first@example.org", "second@example.org"]
    assert smtp.connections_made == 2


async def test_a_connection_idle_longer_than_the_keepalive_is_replaced():
    async with smtp_server() as (server, port):
        smtp = sender(port, keepalive_s=0.1)
        await smtp.send(message("first@example.org"))
        await asyncio.sleep(0.3)

        await smtp.send(message("second@example.org"))
        await smtp.close()

    assert len(server.accepted) == 2
    assert smtp.connections_made == 2


async def test_a_connection_on_which_a_message_was_refused_is_not_reused():
    async with smtp_server() as (server, port):
        smtp = sender(port)
        with pytest.raises(SendFailed) as refused:
            await smtp.send(message("refused@example.org"))
        await smtp.send(message("next@example.org"))
        await smtp.close()

    assert (refused.value.reason, refused.value.permanent) == ("rejected_by_provider", True)
    assert server.accepted == ["next@example.org"]
    assert smtp.connections_made == 2


async def test_with_no_keepalive_each_message_has_its_own_connection():
    async with smtp_server() as (server, port):
        smtp = sender(port, keepalive_s=0)
        for i in range(3):
            await smtp.send(message(f"person{i}@example.org"))

    assert len(server.accepted) == 3
    assert (smtp.connections_made, len(server.connections)) == (3, 3)
