"""Generated keys: every service that keeps client text gets its own master keyring, never replaced."""

from __future__ import annotations

import json
import stat

import pytest

from backbone.crypto import MasterKeyring
from deploy.secrets import VAULT_SERVICES, load_or_create

pytestmark = pytest.mark.unit


def test_each_vault_service_gets_its_own_master_keyring_kept_across_runs(tmp_path):
    path = tmp_path / "secrets.json"

    first = load_or_create(path)
    again = load_or_create(path)

    keyrings = [first[service]["vault_master_keys"] for service in VAULT_SERVICES]
    assert set(VAULT_SERVICES) == {"assessment", "planning", "guidance"}
    assert len(set(keyrings)) == len(VAULT_SERVICES) and first["intake"]["vault_master_keys"] not in keyrings
    assert all(MasterKeyring.from_setting(k).current_id == "k1" for k in keyrings)
    assert again == first == json.loads(path.read_text())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
