from __future__ import annotations

import base64
import os

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from backbone.settings import ServiceSettings


class PlanningSettings(ServiceSettings):
    """Planning's settings, read from environment variables prefixed `PLANNING_`."""

    model_config = SettingsConfigDict(env_prefix="PLANNING_", extra="ignore", frozen=True)
    service_name: str = "planning"
    kafka_username: str = "planning"
    http_port: int = 8103

    vault_master_keys: SecretStr = Field(
        SecretStr(""), description="Master keys wrapping each client's data key for the plan's free-text notes: "
                                   "`id:base64,...`, the current one first.")
    drawing_up_target_working_days: int = Field(
        10, ge=0, le=60, description="R10: the target, in working days after the assessment, to draw up the plan "
                                     "(the law says without delay).")
    quota_refugee_three_years: bool = Field(
        True, description="Programme policy: quota refugees' plans run 3 years, the third year an R15 extension "
                          "granted by this policy. Off: R14's 2 years, extended only on an officer's R15 decision.")
    saturday_is_working_day: bool = Field(False, description="R33: whether Saturday counts as a working day.")
    deadline_check_interval_s: float = Field(
        300.0, gt=0, description="How often missed deadlines (R10-R13) are looked for and published.")

    @classmethod
    def for_documentation(cls) -> PlanningSettings:
        """Settings with a throwaway key, to build the app offline for its OpenAPI and AsyncAPI documents."""
        return cls(vault_master_keys=SecretStr("doc:" + base64.b64encode(os.urandom(32)).decode()))
