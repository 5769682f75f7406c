from pydantic_settings import SettingsConfigDict

from backbone.settings import ServiceSettings


class GuidanceSettings(ServiceSettings):
    """Guidance's settings, read from environment variables prefixed `GUIDANCE_`."""

    model_config = SettingsConfigDict(env_prefix="GUIDANCE_", extra="ignore", frozen=True)
    service_name: str = "guidance"
    kafka_username: str = "guidance"
    http_port: int = 8104
