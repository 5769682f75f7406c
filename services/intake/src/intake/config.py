from __future__ import annotations

import base64
import os
from datetime import date
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from backbone.settings import ServiceSettings
from contracts import sealing
from intake.domain.agreements import HANGO_AGREEMENT_FROM, INGA_PLANNED_FROM


class IntakeSettings(ServiceSettings):
    """Intake's settings, read from environment variables prefixed `INTAKE_`."""

    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore", frozen=True)
    service_name: str = "intake"
    kafka_username: str = "intake"
    http_port: int = 8101

    vault_master_keys: SecretStr = Field(
        SecretStr(""), description="Master keys wrapping each client's data key: `id:base64,...`, the current one "
                                   "first; older ones stay until every data key is re-wrapped.")
    vault_index_key: SecretStr = Field(SecretStr(""), description="Base64 HMAC key of the vault's match keys.")
    ingress_private_keys: SecretStr = Field(
        SecretStr(""), description="Base64 X25519 private keys that open sealed personal data on ingress topics, "
                                   "comma-separated, the current one first (its public key is published at "
                                   "GET /ingress/public-key).")

    hango_agreement_from: date = Field(HANGO_AGREEMENT_FROM, description="Raseborg provides Hanko's services from.")
    inga_agreement_status: Literal["pending", "in_force"] = Field(
        "pending", description="Inkoo's service agreement with Raseborg: pending (Inkoo's own services are "
                               "responsible) or in force from `inga_agreement_from`.")
    inga_agreement_from: date = Field(INGA_PLANNED_FROM, description="The day Inkoo's agreement takes effect.")
    saturday_is_working_day: bool = Field(False, description="R33: whether Saturday counts as a working day.")
    assessment_target_working_days: int = Field(5, ge=0, le=60, description="R8: the target, in working days, "
                                                 "to start the assessment (the law says without delay).")
    claim_objection_working_days: int = Field(
        10, ge=1, le=60, description="Working days (R33) the responsible organisation has to object to a receiving "
                                     "municipality's claim; unopposed, the claim then takes effect.")
    handover_protection_days: int = Field(
        30, ge=0, le=365, description="Days after a change of responsibility during which erasure on request and "
                                      "the end of the relationship are refused.")
    retention_check_interval_s: float = Field(3600.0, gt=0, description="How often the R29 erasure job runs.")
    public_rate_limit: str = Field("5/minute;30/hour", description="Requests per client address on the public "
                                                                   "endpoint (the `limits` library's notation).")
    public_origins: list[str] = Field(default_factory=list, description="Web origins (e.g. the public guide's "
                                      "https://guide.example) whose pages may post the contact form (CORS).")

    @classmethod
    def for_documentation(cls) -> IntakeSettings:
        """Settings with throwaway keys, to build the app offline for its OpenAPI and AsyncAPI documents."""
        return cls(vault_master_keys=SecretStr("doc:" + base64.b64encode(os.urandom(32)).decode()),
                   vault_index_key=SecretStr(base64.b64encode(os.urandom(32)).decode()),
                   ingress_private_keys=SecretStr(sealing.generate_private_key()))
