from pydantic_settings import SettingsConfigDict

from backbone.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    """Notifications's settings, read from environment variables prefixed `NOTIFICATIONS_`."""

    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore", frozen=True)
    service_name: str = "notifications"
    kafka_username: str = "notifications"
    http_port: int = 8105
