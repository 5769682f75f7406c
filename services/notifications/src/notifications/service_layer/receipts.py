"""Delivery receipts from the SMS provider: delivered becomes `NotificationDelivered`, a failed
delivery (an unknown number, a switched-off phone past the provider's validity) a final
`NotificationFailed`. Each receipt is applied once; repeats are acknowledged and ignored."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from contracts.events.notifications import NotificationDelivered, NotificationFailed
from notifications.adapters import postgres
from notifications.adapters.postgres import Message


async def apply_receipt(pool: asyncpg.Pool, notification_id: UUID, provider_ref: str, status: str,
                        now: datetime) -> str:
    delivered = status == "delivered"

    def event_for(m: Message):
        if delivered:
            return NotificationDelivered(notification_id=m.notification_id, channel="sms",
                                         template_code=m.template_code, language=m.language, delivered_at=now)
        return NotificationFailed(notification_id=m.notification_id, channel="sms", template_code=m.template_code,
                                  reason="rejected_by_provider", attempts=max(m.attempts, 1), final=True)

    async with pool.acquire() as conn:
        return await postgres.record_receipt(conn, notification_id, provider_ref, delivered=delivered, now=now,
                                             event_for=event_for)
