from pydantic_settings import SettingsConfigDict

from backbone.settings import ServiceSettings


class AuditSettings(ServiceSettings):
    """Audit's settings, read from environment variables prefixed `AUDIT_`."""

    model_config = SettingsConfigDict(env_prefix="AUDIT_", extra="ignore", frozen=True)
    service_name: str = "audit"
    kafka_username: str = "audit"
    http_port: int = 8106
