"""Notifications' HTTP API: SMS delivery receipts (signed by the provider), opt-outs, the state of a
client's messages, and the letters a municipality prints."""

from __future__ import annotations

import json
from typing import Annotated, Literal
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from backbone.auth import Caller, authenticated
from contracts.events.notifications import NotificationSent
from notifications.adapters import postgres
from notifications.adapters.errors import ClientGone, SendFailed
from notifications.adapters.letters import render_pdf
from notifications.adapters.sms import signature_valid
from notifications.service_layer.dispatch import compose, purpose_of
from notifications.service_layer.receipts import apply_receipt

router = APIRouter()
Officer = Annotated[Caller, Depends(authenticated("officer", "system"))]
Reader = Annotated[Caller, Depends(authenticated("officer", "system", "operator"))]
OptChannel = Literal["email", "sms", "letter"]


class Receipt(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str = Field(min_length=1, max_length=100)
    reference: UUID
    status: Literal["delivered", "failed"]


class OptOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: OptChannel


class MessageState(BaseModel):
    notification_id: UUID
    template_code: str
    state: str
    channel: str | None
    language: str | None
    attempts: int
    failure_reason: str | None


def _services(request: Request):
    return request.app.state.notifications


def _pool(request: Request) -> asyncpg.Pool:
    return request.app.state.context.pool


@router.post("/sms/receipts", tags=["provider"], status_code=200)
async def sms_receipt(request: Request) -> dict[str, str]:
    """A delivery receipt from the SMS provider, signed `X-Signature: sha256=<HMAC of the body>`."""
    services = _services(request)
    body = await request.body()
    if not signature_valid(services.callback_secret, body, request.headers.get("X-Signature")):
        raise HTTPException(401, "X-Signature: missing or not valid for this body")
    try:
        receipt = Receipt.model_validate(json.loads(body))
    except (ValueError, TypeError):
        raise HTTPException(422, "body: needs id, reference (a notification id) and status (delivered, failed)")
    result = await apply_receipt(_pool(request), receipt.reference, receipt.id, receipt.status, services.now())
    if result == "unknown":
        raise HTTPException(404, "reference: no SMS with this reference and provider id")
    if result == "early":
        raise HTTPException(409, "reference: the send is not recorded yet; deliver the receipt again later")
    return {"result": result}


async def _client_owner(pool: asyncpg.Pool, client_id: UUID, caller: Caller) -> None:
    row = await pool.fetchrow("SELECT home_municipality, responsible_organisation, erased_on FROM client_view "
                              "WHERE client_id = $1", client_id)
    if row is None or row["erased_on"] is not None:
        raise HTTPException(404, "client_id: no such client")
    if caller.principal not in (row["home_municipality"], row["responsible_organisation"]):
        raise HTTPException(403, {"rule": "ownership.client",
                                  "msg": "only the client's responsible organisation or home municipality"})


@router.put("/clients/{client_id}/opt-outs/{channel}", tags=["clients"], status_code=204)
async def opt_out(client_id: UUID, channel: OptChannel, caller: Officer, request: Request) -> Response:
    """The client does not want messages on `channel`: nothing more goes there; waiting messages
    that have no other channel left are cancelled."""
    pool = _pool(request)
    await _client_owner(pool, client_id, caller)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("INSERT INTO opt_outs (client_id, channel) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                           client_id, channel)
        await conn.execute(
            """UPDATE notifications SET state = 'cancelled', failure_reason = 'opted_out', updated_at = now()
               WHERE client_id = $1 AND state = 'queued'
                 AND channels <@ (SELECT array_agg(channel) FROM opt_outs WHERE client_id = $1)""", client_id)
    return Response(status_code=204)


@router.delete("/clients/{client_id}/opt-outs/{channel}", tags=["clients"], status_code=204)
async def opt_in(client_id: UUID, channel: OptChannel, caller: Officer, request: Request) -> Response:
    pool = _pool(request)
    await _client_owner(pool, client_id, caller)
    await pool.execute("DELETE FROM opt_outs WHERE client_id = $1 AND channel = $2", client_id, channel)
    return Response(status_code=204)


@router.get("/clients/{client_id}/notifications", tags=["clients"], response_model=list[MessageState])
async def client_messages(client_id: UUID, caller: Reader, request: Request) -> list[MessageState]:
    """The client's messages and their states (no content: notifications keeps none)."""
    pool = _pool(request)
    if caller.role != "operator":
        await _client_owner(pool, client_id, caller)
    rows = await pool.fetch("SELECT * FROM notifications WHERE client_id = $1 ORDER BY created_at", client_id)
    return [MessageState(**{k: r[k] for k in MessageState.model_fields}) for r in rows]


@router.get("/letters", tags=["letters"])
async def printable_letters(caller: Officer, request: Request) -> list[dict]:
    """Letters waiting to be printed and posted by the caller's municipality."""
    rows = await _pool(request).fetch(
        """SELECT n.notification_id, n.template_code, n.language, n.created_at FROM notifications n
           JOIN client_view v USING (client_id) WHERE n.state = 'printable' AND v.home_municipality = $1
           ORDER BY n.created_at""", caller.principal)
    return [{**dict(r), "pdf": f"/letters/{r['notification_id']}.pdf"} for r in rows]


@router.get("/letters/{notification_id}.pdf", tags=["letters"], response_class=Response)
async def letter_pdf(notification_id: UUID, caller: Officer, request: Request) -> Response:
    """The letter as a PDF, made now from the template and intake's contact details, not stored.
    The first fetch records the letter as sent."""
    services, pool = _services(request), _pool(request)
    m = await postgres.get(pool, notification_id)
    if m is None or m.state not in ("printable", "sent") or m.channel != "letter":
        raise HTTPException(404, "notification_id: no printable letter")
    if caller.principal != m.home_municipality:
        raise HTTPException(403, {"rule": "ownership.client", "msg": "only the client's home municipality prints"})
    try:
        contact = await services.contacts.contact(m.client_id, purpose_of(m.template_code) + "_letter")
    except ClientGone:
        raise HTTPException(404, "notification_id: the client is erased")
    except SendFailed:
        raise HTTPException(503, "intake cannot be reached; try again", headers={"Retry-After": "5"})
    pdf = render_pdf(compose(m, contact), name=contact.name, address=contact.address, sender=services.letter_sender)
    if m.state == "printable":
        now = services.now()
        event = NotificationSent(notification_id=m.notification_id, channel="letter", template_code=m.template_code,
                                 language=m.language, sent_at=now)
        async with pool.acquire() as conn, conn.transaction():
            updated = await conn.fetchval(
                """UPDATE notifications SET state = 'sent', sent_at = $2, updated_at = $2,
                          stream_version = stream_version + 1
                   WHERE notification_id = $1 AND state = 'printable' RETURNING true""", m.notification_id, now)
            if updated:
                await postgres.append(conn, m, event, now)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{notification_id}.pdf"',
                             "Cache-Control": "no-store"})
