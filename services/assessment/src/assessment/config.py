from __future__ import annotations

import base64
import os

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from backbone.settings import ServiceSettings


class AssessmentSettings(ServiceSettings):
    """Assessment's settings, read from environment variables prefixed `ASSESSMENT_`."""

    model_config = SettingsConfigDict(env_prefix="ASSESSMENT_", extra="ignore", frozen=True)
    service_name: str = "assessment"
    kafka_username: str = "assessment"
    http_port: int = 8102

    saturday_is_working_day: bool = Field(False, description="R33: whether Saturday counts as a working day.")
    assessment_target_working_days: int = Field(5, ge=0, le=60, description="R8: the target, in working days "
                                                 "after registration, for the initial interview of a client who "
                                                 "is not a registered jobseeker (the law says without delay).")
    deadline_check_interval_s: float = Field(3600.0, gt=0, description="How often the deadline job looks for "
                                                                       "missed R8/R9 deadlines.")
    vault_master_keys: SecretStr = Field(
        SecretStr(""), description="Master keys wrapping each client's data key for notes: `id:base64,...`, the "
                                   "current one first (deploy generates them).")

    @classmethod
    def for_documentation(cls) -> AssessmentSettings:
        """Settings with a throwaway key, to build the app offline for its OpenAPI and AsyncAPI documents."""
        return cls(vault_master_keys=SecretStr("doc:" + base64.b64encode(os.urandom(32)).decode()))
