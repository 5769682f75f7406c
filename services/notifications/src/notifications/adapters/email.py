"""E-mail over a real SMTP conversation (aiosmtplib): UTF-8, a plain-text and an HTML part, and a
Message-ID derived from the notification id.

What SMTP guarantees: once the server answers 250 to the end of DATA it has taken responsibility
for the message. What it cannot: if the connection drops (or this process dies) after the server
took the message but before we recorded that, we cannot know whether it was taken, so the retry
sends it again with the same Message-ID. Mail stores and clients commonly drop a second copy with
the same Message-ID, but SMTP itself promises nothing: e-mail is at-least-once, with duplicates
limited to that window.

Connections are kept open between messages (at most as many as are sending at once) and reused for
the next message, which saves the connect, EHLO (and STARTTLS and AUTH) and QUIT of each message.
A connection idle longer than `keepalive_s` is closed rather than reused (servers close idle ones
after a few minutes, RFC 5321 4.5.3.2.7), and one that failed in any way is closed, never reused.
A failure on a reused connection is the same temporary failure as on a new one: nothing about
what the server took changes.
"""

from __future__ import annotations

import ssl
import time
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formatdate
from uuid import UUID

import aiosmtplib

from notifications.adapters.errors import SendFailed
from notifications.domain.templates import Rendered


def message_id(notification_id: UUID, domain: str) -> str:
    return f"<{notification_id}@{domain}>"


def build(rendered: Rendered, *, notification_id: UUID, sender: str, to: str, domain: str) -> Message:
    """The message: a plain-text and an HTML part in UTF-8 (base64), the subject encoded
    (RFC 2047), a Message-ID from the notification id. Built with the email package's MIME classes,
    which take headers as they are (about ten times faster than parsing each one as `EmailMessage`
    does); an address that is not ASCII (SMTPUTF8) goes the general way, `build_general`."""
    if not (sender + to).isascii():
        return build_general(rendered, notification_id=notification_id, sender=sender, to=to, domain=domain)
    msg = MIMEMultipart("alternative")
    msg["From"] = sender
    msg["To"] = to
    # A Header object, not its encoded string: the generator folds it after "Subject: ", so a long subject
    # does not begin with a folded line (read back with a leading space).
    msg["Subject"] = (rendered.subject if rendered.subject.isascii()
                      else Header(rendered.subject, "utf-8", header_name="Subject"))
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = message_id(notification_id, domain)
    for body, subtype in ((rendered.text, "plain"), (rendered.html(), "html")):
        part = MIMEText(body, subtype, "utf-8")  # base64: the text's own line ends, whatever the transport's
        del part["MIME-Version"]  # the message's own is enough
        msg.attach(part)
    msg["Content-Language"] = rendered.language
    return msg


def build_general(rendered: Rendered, *, notification_id: UUID, sender: str, to: str, domain: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = rendered.subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = message_id(notification_id, domain)
    msg.set_content(rendered.text, charset="utf-8")
    msg.add_alternative(rendered.html(), subtype="html", charset="utf-8")
    msg["Content-Language"] = rendered.language  # after the parts: they would take Content-* headers along
    return msg


class SmtpSender:
    def __init__(self, *, host: str, port: int, starttls: bool, username: str, password: str,
                 timeout: float, keepalive_s: float = 10.0) -> None:
        self.host, self.port, self.starttls = host, port, starttls
        self.username, self.password, self.timeout = username, password, timeout
        self.keepalive_s = keepalive_s
        self._idle: list[tuple[aiosmtplib.SMTP, float]] = []  # open connections, newest last, with when last used
        self.connections_made = 0

    async def _connection(self) -> aiosmtplib.SMTP:
        now = time.monotonic()
        while self._idle:
            smtp, used = self._idle.pop()
            if smtp.is_connected and now - used < self.keepalive_s:
                return smtp
            smtp.close()  # idle too long: the server may be closing it just now
        smtp = aiosmtplib.SMTP(hostname=self.host, port=self.port, timeout=self.timeout, start_tls=self.starttls,
                               username=self.username or None, password=self.password or None,
                               tls_context=ssl.create_default_context() if self.starttls else None)
        await smtp.connect()
        self.connections_made += 1
        return smtp

    async def send(self, message: Message) -> None:
        """Returns when the server accepted the message; raises `SendFailed` otherwise."""
        smtp: aiosmtplib.SMTP | None = None
        try:
            smtp = await self._connection()
            await smtp.send_message(message)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = sorted({e.code for e in exc.recipients})
            permanent = all(500 <= c < 600 for c in codes)
            raise SendFailed("rejected_by_provider" if permanent else "provider_unavailable",
                             f"recipient refused ({codes})", permanent=permanent) from None
        except aiosmtplib.SMTPResponseException as exc:
            permanent = 500 <= exc.code < 600 and exc.code not in (530, 535)  # auth problems are ours to fix
            raise SendFailed("rejected_by_provider" if permanent else "provider_unavailable",
                             f"SMTP {exc.code}", permanent=permanent) from None
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            raise SendFailed("provider_unavailable", type(exc).__name__, permanent=False) from None
        else:
            if self.keepalive_s > 0:
                self._idle.append((smtp, time.monotonic()))
            else:
                await _quietly_quit(smtp)
            smtp = None
        finally:
            if smtp is not None:  # failed (or cancelled): this connection is not used again
                smtp.close()

    async def close(self) -> None:
        """Close the kept connections (QUIT, then the socket)."""
        idle, self._idle = self._idle, []
        for smtp, _ in idle:
            await _quietly_quit(smtp)


async def _quietly_quit(smtp: aiosmtplib.SMTP) -> None:
    if smtp.is_connected:
        try:
            await smtp.quit()
        except (TimeoutError, aiosmtplib.SMTPException, OSError):
            smtp.close()
