from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from backbone.settings import ServiceSettings


class AuditSettings(ServiceSettings):
    """Audit's settings, read from environment variables prefixed `AUDIT_`."""

    model_config = SettingsConfigDict(env_prefix="AUDIT_", extra="ignore", frozen=True)
    service_name: str = "audit"
    kafka_username: str = "audit"
    http_port: int = 8106

    # The operator console (audit/entrypoints/console/)
    console_secure_cookie: bool = Field(
        True, description="Mark the console's session cookie Secure (browsers keep it on https and on localhost).")
    service_urls: dict[str, str] = Field(
        default_factory=dict, description='JSON {"intake": "http://host:port", ...}: where redrive calls each service.')
    service_tokens: dict[str, SecretStr] = Field(
        default_factory=dict, description="JSON {service: token}: audit's `service` credential at each service.")
    lag_sample_interval_s: float = Field(30.0, gt=0, description="How often consumer lag is sampled for the chart.")
    lag_keep_hours: int = Field(24, ge=1, description="How long lag samples are kept.")

    # Anchoring the trail's head outside the database (audit/domain/anchor.py)
    anchor_signing_key: SecretStr = Field(
        SecretStr(""), description="Ed25519 private key, base64 of its 32 raw bytes; deploy generates it. "
                                   "Empty: no anchors are published.")
    anchor_verify_key: str = Field(
        "", description="Ed25519 public key (base64, 32 bytes) that verify checks anchors with; "
                        "derived from the signing key when empty.")
    anchor_interval_s: float = Field(60.0, gt=0, description="How often the head is signed and published.")
