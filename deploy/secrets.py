"""Credentials and keys generated on this machine, kept in the state folder (mode 600), never committed."""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path

from contracts import sealing
from contracts.topics import SERVICES, principals
from deploy.console import add_audit_keys


def _new() -> str:
    return secrets.token_urlsafe(24)


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def add_intake_keys(data: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Add, in place, whichever of intake's vault and ingress keys `data` lacks.

    Replacing a key would make stored personal data, or boxes organisations already sealed,
    unreadable: rotation prepends a key to the setting, it never regenerates one.
    """
    intake = data.setdefault("intake", {})
    intake.setdefault("vault_master_keys", f"k1:{_key()}")
    intake.setdefault("vault_index_key", _key())
    intake.setdefault("ingress_private_keys", sealing.generate_private_key())
    return data


VAULT_SERVICES = ("assessment", "planning", "guidance")
"""Services that keep free text about clients, encrypted per client under their own master keyring."""


def add_vault_keys(data: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Add, in place, the master keyring of each service in VAULT_SERVICES that lacks one (never replaced)."""
    for service in VAULT_SERVICES:
        data.setdefault(service, {}).setdefault("vault_master_keys", f"k1:{_key()}")
    return data


def load_or_create(path: Path) -> dict[str, dict[str, str]]:
    """Return {"kafka": {principal: pw}, "postgres": {role: pw}, "intake": {setting: key}}, adding any missing.

    Existing values are kept: Kafka's admin password is baked into its formatted storage, and
    intake's keys protect data already stored or sealed.
    """
    data: dict[str, dict[str, str]] = json.loads(path.read_text()) if path.exists() else {}
    kafka = data.setdefault("kafka", {})
    for name in ("admin", "broker", *principals()):
        kafka.setdefault(name, _new())
    pg = data.setdefault("postgres", {})
    for name in ("postgres", *SERVICES):
        pg.setdefault(name, _new())
    add_intake_keys(data)
    add_vault_keys(data)
    add_audit_keys(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True))
    os.chmod(tmp, 0o600)
    tmp.replace(path)
    return data
