from pydantic_settings import SettingsConfigDict

from backbone.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    """Intake's settings, read from environment variables prefixed `INTAKE_`."""

    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore", frozen=True)
    service_name: str = "intake"
    kafka_username: str = "intake"
    http_port: int = 8101
