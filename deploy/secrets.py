"""Credentials generated on this machine, kept in the state folder (mode 600), never committed."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from contracts.topics import SERVICES, principals


def _new() -> str:
    return secrets.token_urlsafe(24)


def load_or_create(path: Path) -> dict[str, dict[str, str]]:
    """Return {"kafka": {principal: pw}, "postgres": {role: pw}}, adding any that are missing.

    Existing passwords are kept: Kafka's admin password is baked into its formatted storage.
    """
    data: dict[str, dict[str, str]] = json.loads(path.read_text()) if path.exists() else {}
    kafka = data.setdefault("kafka", {})
    for name in ("admin", "broker", *principals()):
        kafka.setdefault(name, _new())
    pg = data.setdefault("postgres", {})
    for name in ("postgres", *SERVICES):
        pg.setdefault(name, _new())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True))
    os.chmod(tmp, 0o600)
    tmp.replace(path)
    return data
