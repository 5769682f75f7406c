"""Events of notifications: messages to clients in their own language, sent or not."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from contracts.events.base import Event
from contracts.vocabulary import Code, LanguageCode, Service

Channel = Literal["email", "sms", "letter"]
"""How a message reaches the client; a letter is a PDF the home municipality prints and posts."""


class NotificationEvent(Event):
    """An event published by notifications."""

    PRODUCER: ClassVar[Service] = Service.NOTIFICATIONS


class NotificationSent(NotificationEvent):
    """A message from template `template_code` went out; `notification_id` is its idempotency key."""

    TYPE: ClassVar[str] = "NotificationSent"
    VERSION: ClassVar[int] = 1

    notification_id: UUID
    channel: Channel
    template_code: Code
    language: LanguageCode
    sent_at: AwareDatetime


class FailureReason(StrEnum):
    """Why a message could not be sent."""

    NO_CONTACT_DETAILS = "no_contact_details"
    NO_CONSENT = "no_consent"
    REJECTED_BY_PROVIDER = "rejected_by_provider"
    PROVIDER_UNAVAILABLE = "provider_unavailable"
    TEMPLATE_MISSING_FOR_LANGUAGE = "template_missing_for_language"


class NotificationFailed(NotificationEvent):
    """A message could not be sent after `attempts` tries; `final` means no more retries."""

    TYPE: ClassVar[str] = "NotificationFailed"
    VERSION: ClassVar[int] = 1

    notification_id: UUID
    channel: Channel
    template_code: Code
    reason: FailureReason
    attempts: int = Field(ge=1)
    final: bool


class NotificationDelivered(NotificationEvent):
    """The provider reported the message delivered to the client's device (an SMS delivery receipt)."""

    TYPE: ClassVar[str] = "NotificationDelivered"
    VERSION: ClassVar[int] = 1

    notification_id: UUID
    channel: Channel
    template_code: Code
    language: LanguageCode
    delivered_at: AwareDatetime


EVENTS: tuple[type[Event], ...] = (NotificationSent, NotificationFailed, NotificationDelivered)
