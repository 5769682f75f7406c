"""The operator console's pieces of the deployment (issue 16): audit's anchor key and its `service`
credential at each producing service (for redrive), and Kafka client configurations for operators."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from contracts.topics import PRODUCING_SERVICES, principals
from deploy.config import Layout
from deploy.errors import DeployError

REDRIVE_LABEL = "audit console redrive"


def add_audit_keys(data: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Add, in place, audit's anchor signing key (and its public half) and audit's credential token
    at every producing service, when missing. Kept once made: anchors already published were
    signed with that key."""
    from backbone.auth.tokens import format_token, new_key_id, new_secret

    audit = data.setdefault("audit", {})
    if "anchor_signing_key" not in audit:
        audit["anchor_signing_key"] = base64.b64encode(Ed25519PrivateKey.generate().private_bytes_raw()).decode()
    private = Ed25519PrivateKey.from_private_bytes(base64.b64decode(audit["anchor_signing_key"]))
    audit["anchor_verify_key"] = base64.b64encode(private.public_key().public_bytes_raw()).decode()
    tokens = json.loads(audit.get("service_tokens", "{}"))
    for svc in PRODUCING_SERVICES:
        tokens.setdefault(svc, format_token(new_key_id(), new_secret()))
    audit["service_tokens"] = json.dumps(tokens, sort_keys=True)
    return data


def audit_env(url_of: Callable[[str], str]) -> dict[str, str]:
    """Where audit calls each service (redrive): `url_of(service)` is its base URL in this deployment."""
    return {"AUDIT_SERVICE_URLS": json.dumps({svc: url_of(svc) for svc in PRODUCING_SERVICES}, sort_keys=True)}


async def _register(dsn: str, token: str, now: datetime) -> bool:
    import asyncpg

    from backbone.auth.tokens import hash_secret, parse_token

    key_id, secret = parse_token(token)
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        done = await conn.fetchval(
            "INSERT INTO api_credentials (key_id, principal, role, label, secret_hash, created_at) "
            "VALUES ($1, 'audit', 'service', $2, $3, $4) ON CONFLICT (key_id) DO NOTHING RETURNING true",
            key_id, REDRIVE_LABEL, hash_secret(secret), now)
        return bool(done)
    finally:
        await conn.close()


def register_redrive_credentials(layout: Layout, secrets: dict[str, dict[str, str]]) -> str:
    """Store audit's credential in each running service's credentials table (made by its migrations)."""
    tokens = json.loads(secrets["audit"]["service_tokens"])
    now = datetime.now(UTC)
    added = 0
    for svc in PRODUCING_SERVICES:
        dsn = f"postgresql://{svc}:{secrets['postgres'][svc]}@{layout.host}:{layout.pg_port}/{svc}"
        added += asyncio.run(_register(dsn, tokens[svc], now))
    return f"audit's redrive credential at {len(PRODUCING_SERVICES)} services ({added} new)"


def client_properties(bootstrap: str, secrets: dict[str, dict[str, str]], principal: str) -> str:
    """A Kafka client configuration for Kafka's own command-line tools, as `principal`."""
    if principal not in principals():
        raise DeployError(f"principal: {principal!r} is not one of {', '.join(principals())}")
    password = secrets["kafka"][principal].replace("\\", "\\\\").replace('"', '\\"')
    return "\n".join([
        f"# Kafka client settings for {principal}; holds its password: keep it private (mode 600).",
        f"bootstrap.servers={bootstrap}",
        "security.protocol=SASL_PLAINTEXT",
        "sasl.mechanism=SCRAM-SHA-512",
        "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
        f'username="{principal}" password="{password}";',
        "",
    ])


def write_client_config(bootstrap: str, secrets: dict[str, dict[str, str]], principal: str, out: Path) -> Path:
    text = client_properties(bootstrap, secrets, principal)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(out, 0o600)  # also when the file existed with a wider mode
    return out
