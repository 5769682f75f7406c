"""`python -m audit redrive`: audit reads its own dead-letter topic like every service (issue 8)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest

from deploy.config import REPO

pytestmark = pytest.mark.integration


async def _redrive(infra, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **infra.service_env("audit", 1)}
    return await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "audit", "redrive", *args], env=env,
                                   cwd=REPO, capture_output=True, text=True, timeout=120)


async def test_audit_redrive_reads_its_own_dead_letter_topic_and_names_a_missing_dead_letter(infra):
    done = await _redrive(infra, "--partition", "0", "--offset", str(10**9))

    assert done.returncode == 1, done.stderr
    assert "no dead letter at 0/1000000000" in done.stderr or "deadletter.audit.v1 is empty" in done.stderr


async def test_audit_redrive_needs_a_dead_letter_or_all(infra):
    done = await _redrive(infra)

    assert done.returncode == 2 and "one of the arguments --offset --all is required" in done.stderr
