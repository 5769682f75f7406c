"""The local SMTP server's fault controls (deploy/mailserver.py), over a real SMTP conversation with
aiosmtplib, the client notifications uses: `fail` and `hang` keep nothing and answer 451, `delay`
keeps the message and answers late, and a fault ends at its time or count."""

from __future__ import annotations

import asyncio
import socket
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import pytest
from aiosmtpd.smtp import SMTP

from deploy.mailserver import Keeper, messages, set_faults

pytestmark = pytest.mark.unit


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _mail(n: int) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@example.org", "b@example.org", f"test {n}"
    msg["Message-ID"] = f"<m{n}@test>"
    msg.set_content("hello")
    return msg


@pytest.fixture
async def server(tmp_path: Path):
    port = _port()
    handler = Keeper(tmp_path)
    srv = await asyncio.get_running_loop().create_server(lambda: SMTP(handler, hostname="t"), "127.0.0.1", port)
    yield port, tmp_path
    srv.close()
    await srv.wait_closed()


async def _send(port: int, n: int, timeout: float = 5) -> None:
    await aiosmtplib.send(_mail(n), hostname="127.0.0.1", port=port, timeout=timeout)


async def test_fail_answers_451_and_keeps_nothing_until_the_count_is_used_up(server):
    port, maildir = server
    set_faults(maildir, "fail", count=2)
    for n in (1, 2):
        with pytest.raises(aiosmtplib.SMTPDataError) as err:
            await _send(port, n)
        assert err.value.code == 451
    await _send(port, 3)
    assert [m["message_id"] for m in messages(maildir)] == ["<m3@test>"]


async def test_a_fault_for_a_time_ends_by_itself(server):
    port, maildir = server
    set_faults(maildir, "fail", seconds=0.5)
    with pytest.raises(aiosmtplib.SMTPDataError):
        await _send(port, 1)
    await asyncio.sleep(0.6)
    await _send(port, 2)
    assert [m["message_id"] for m in messages(maildir)] == ["<m2@test>"]


async def test_hang_times_the_client_out_and_keeps_nothing(server):
    port, maildir = server
    set_faults(maildir, "hang", count=1, delay_s=1.0)
    with pytest.raises(aiosmtplib.SMTPTimeoutError):
        await _send(port, 1, timeout=0.3)
    await asyncio.sleep(1.0)
    assert messages(maildir) == []


async def test_delay_keeps_the_message_although_the_client_timed_out(server):
    """SMTP's one duplicate window: the server took the message, the client cannot know it."""
    port, maildir = server
    set_faults(maildir, "delay", count=1, delay_s=1.0)
    with pytest.raises(aiosmtplib.SMTPTimeoutError):
        await _send(port, 1, timeout=0.3)
    await _send(port, 1)  # the client's retry of the same message
    await asyncio.sleep(1.0)
    assert [m["message_id"] for m in messages(maildir)] == ["<m1@test>", "<m1@test>"]


async def test_none_clears_a_fault(server):
    port, maildir = server
    set_faults(maildir, "fail", seconds=60)
    set_faults(maildir, "none")
    await _send(port, 1)
    assert len(messages(maildir)) == 1


def test_an_unknown_mode_is_refused_naming_the_field(tmp_path):
    with pytest.raises(ValueError, match="mode"):
        set_faults(tmp_path, "explode")
