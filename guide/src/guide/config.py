"""The guide's settings, read from environment variables prefixed `GUIDANCE_GUIDE_` (guidance serves it)."""

from __future__ import annotations

from typing import Literal

from pydantic import AnyHttpUrl, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class GuideSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GUIDANCE_GUIDE_", extra="ignore", frozen=True)

    intake_url: AnyHttpUrl = Field(AnyHttpUrl("http://127.0.0.1:8100"),
                                   description="Intake's base URL; the contact form is forwarded to its "
                                               "POST /public/contact-requests.")
    public_url: AnyHttpUrl = Field(AnyHttpUrl("http://127.0.0.1:8104/guide"),
                                   description="Where the public reaches the guide; the flyer's QR codes "
                                               "point to <public_url>/<language>/.")
    inga_agreement: Literal["pending", "in_force"] = Field(
        "pending", description="Inkoo's agreement with Raseborg on municipal integration services, as it "
                               "stands (programme §1): the responsibility page says so.")
    intake_timeout_s: float = 10.0
    max_form_bytes: int = 16_384

    @property
    def base(self) -> str:
        return str(self.public_url).rstrip("/")
