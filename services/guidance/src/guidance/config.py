from __future__ import annotations

import base64
import os

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from backbone.settings import ServiceSettings


class GuidanceSettings(ServiceSettings):
    """Guidance's settings, read from environment variables prefixed `GUIDANCE_`."""

    model_config = SettingsConfigDict(env_prefix="GUIDANCE_", extra="ignore", frozen=True)
    service_name: str = "guidance"
    kafka_username: str = "guidance"
    http_port: int = 8104

    vault_master_keys: SecretStr = Field(
        SecretStr(""), description="Master keys wrapping each client's data key (free text about clients): "
                                   "`id:base64,...`, the current one first.")
    saturday_is_working_day: bool = Field(False, description="R33: whether Saturday counts as a working day.")
    answer_working_days: int = Field(10, ge=1, le=60, description="A provider answers a referral within this many "
                                                                  "working days, or it is overdue.")
    start_grace_working_days: int = Field(5, ge=0, le=60, description="Working days after a start by which an "
                                                                      "accepted person has started, or it is overdue.")
    jobs_interval_s: float = Field(600.0, gt=0, description="How often the overdue checks (R12, referrals) run.")
    seed_catalogue: bool = Field(True, description="Load the programme's catalogue into an empty catalogue at start.")

    @classmethod
    def for_documentation(cls) -> GuidanceSettings:
        """Settings with a throwaway key, to build the app offline for its OpenAPI and AsyncAPI documents."""
        return cls(vault_master_keys=SecretStr("doc:" + base64.b64encode(os.urandom(32)).decode()))
