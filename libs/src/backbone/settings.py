"""Settings common to every service; each service subclasses with its own env prefix."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Read once in the service's bootstrap and passed down; tests construct it directly."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    service_name: str = Field(description="The service's name; also its Kafka principal and database.")
    kafka_bootstrap: str = Field("127.0.0.1:19092", description="Kafka bootstrap servers, host:port[,host:port].")
    kafka_security_protocol: Literal["SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "SASL_PLAINTEXT", description="Kafka client security protocol; SCRAM-SHA-512 is the mechanism.")
    kafka_username: str = Field(description="SCRAM user of this service (deploy/ generates its password).")
    kafka_password: SecretStr = Field(SecretStr(""), description="SCRAM password of this service.")
    database_url: SecretStr = Field(
        SecretStr(""), description="postgresql://user:password@host:port/db of this service's own database.")
    db_pool_max: int = Field(10, ge=1, le=100, description="Largest number of pooled database connections.")
    http_host: str = Field("127.0.0.1", description="Address the HTTP API listens on.")
    http_port: int = Field(8100, ge=1, le=65535, description="Port the HTTP API listens on.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Lowest log level written.")
    startup_timeout_s: float = Field(60.0, gt=0, description="How long start-up waits for Kafka and PostgreSQL.")
    trusted_proxies: list[str] = Field(
        default_factory=list, description="Addresses (or networks) of reverse proxies whose X-Forwarded-For and "
                                          "X-Forwarded-Proto are believed; none by default, so a client's address is "
                                          "the connection's and a forged header changes nothing.")
