from pydantic_settings import SettingsConfigDict

from backbone.settings import ServiceSettings


class PlanningSettings(ServiceSettings):
    """Planning's settings, read from environment variables prefixed `PLANNING_`."""

    model_config = SettingsConfigDict(env_prefix="PLANNING_", extra="ignore", frozen=True)
    service_name: str = "planning"
    kafka_username: str = "planning"
    http_port: int = 8103
