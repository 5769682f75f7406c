from pydantic_settings import SettingsConfigDict

from backbone.settings import ServiceSettings


class AssessmentSettings(ServiceSettings):
    """Assessment's settings, read from environment variables prefixed `ASSESSMENT_`."""

    model_config = SettingsConfigDict(env_prefix="ASSESSMENT_", extra="ignore", frozen=True)
    service_name: str = "assessment"
    kafka_username: str = "assessment"
    http_port: int = 8102
