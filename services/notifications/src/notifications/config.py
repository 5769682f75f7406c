from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from backbone.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    """Notifications's settings, read from environment variables prefixed `NOTIFICATIONS_`."""

    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore", frozen=True)
    service_name: str = "notifications"
    kafka_username: str = "notifications"
    http_port: int = 8105

    public_url: str = Field("", description="This service's address as the SMS gateway reaches it (receipts are "
                                            "posted to <public_url>/sms/receipts); default http://host:port.")
    intake_url: str = Field("http://127.0.0.1:8101", description="Intake's address; contact details are read "
                                                                 "from POST /internal/contacts at send time.")
    intake_token: SecretStr = Field(SecretStr(""), description="A `service` credential of principal "
                                                               "`notifications` issued on intake.")
    smtp_host: str = Field("127.0.0.1", description="SMTP relay host.")
    smtp_port: int = Field(2525, ge=1, le=65535, description="SMTP relay port.")
    smtp_starttls: bool = Field(False, description="Require STARTTLS (production relays).")
    smtp_username: str = Field("", description="SMTP AUTH user; empty: no authentication.")
    smtp_password: SecretStr = Field(SecretStr(""), description="SMTP AUTH password.")
    smtp_timeout_s: float = Field(15.0, gt=0, description="Timeout of each SMTP command.")
    smtp_keepalive_s: float = Field(10.0, ge=0, description="An SMTP connection is kept open for the next message "
                                                           "this long after its last one; 0: a new connection "
                                                           "per message.")
    mail_from: str = Field("integration@raseborg.example", description="The sender of every e-mail.")
    message_id_domain: str = Field("notifications.raseborg.example",
                                   description="Right-hand side of Message-IDs (<notification-id@domain>).")
    sms_url: str = Field("http://127.0.0.1:2526", description="The SMS provider's API base URL.")
    sms_api_key: SecretStr = Field(SecretStr(""), description="Bearer key for the SMS provider's API.")
    sms_callback_secret: SecretStr = Field(SecretStr(""), description="HMAC-SHA256 key the provider signs "
                                                                       "delivery receipts with.")
    sms_sender: str = Field("Integration", description="Alphanumeric sender id of SMS.")
    sms_timeout_s: float = Field(10.0, gt=0, description="Timeout of one send request to the SMS provider.")
    retry_base_s: float = Field(30.0, gt=0, description="First retry after a temporary failure; doubles each time.")
    retry_max_s: float = Field(3600.0, gt=0, description="Longest wait between two attempts.")
    retry_horizon_s: float = Field(48 * 3600.0, gt=0, description="After this long since queueing, a temporary "
                                                                  "failure is final.")
    lease_s: float = Field(120.0, gt=0, description="A send not recorded as done within this is retried (crash).")
    dispatch_batch: int = Field(50, ge=1, le=1000, description="Messages claimed per dispatch round.")
    dispatch_idle_s: float = Field(0.2, gt=0, description="Pause of the dispatcher when nothing is due.")
    view_wait_s: float = Field(300.0, ge=0, description="How long a message waits for intake's event about its "
                                                       "client to reach the client view before going without it.")
    dispatch_concurrency: int = Field(8, ge=1, le=100, description="Messages sent at once.")

    def receipts_url(self) -> str:
        base = self.public_url or f"http://{self.http_host}:{self.http_port}"
        return base.rstrip("/") + "/sms/receipts"
