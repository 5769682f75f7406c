"""`make run`'s guidance demo: referrals to fitting services and visits, through the real API."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from deploy.config import REPO
from guidance import demo

pytestmark = pytest.mark.integration


async def test_the_demo_refers_its_clients_and_records_visits(guidance, client_of):
    clients = [await client_of(), await client_of(languages=("et", "fi")),
               await client_of(organisation="employment-region", jobseeker=True, languages=("uk", "en"))]
    rows = await guidance.pool.fetch("SELECT client_id, responsible_organisation, languages, registered_jobseeker "
                                     "FROM client_view WHERE client_id = ANY($1::uuid[]) ORDER BY client_id", clients)
    tokens = await demo.issue(guidance.pool)

    made = await asyncio.to_thread(demo.seed, guidance.url, rows, tokens)

    referred = await guidance.pool.fetch("SELECT client_id, service_code, language, state FROM referrals "
                                         "WHERE client_id = ANY($1::uuid[])", clients)
    assert len(made) == 5 and len(referred) == 3
    codes = {r["client_id"]: (r["service_code"], r["language"]) for r in referred}
    assert codes[clients[0]] == ("civic_orientation", "ar")
    assert codes[clients[1]] == ("language_cafe.karis", "fi")
    assert codes[clients[2]] == ("short_course.working_life", "en")
    assert {r["state"] for r in referred} <= {"made", "accepted", "started"}
    assert await guidance.pool.fetchval("SELECT count(*) FROM visits WHERE client_id = ANY($1::uuid[])", clients) == 1


async def test_a_provider_credential_is_issued_by_the_credentials_command(infra, guidance, http):
    env = {**os.environ, **infra.service_env("guidance", 1)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "guidance", "credentials", "issue", "--principal", "provider:larkkulla",
        "--role", "provider", "--label", "Lärkkulla course office", env=env, cwd=REPO,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, _ = await asyncio.wait_for(proc.communicate(), 60)

    assert proc.returncode == 0
    listed = await http.get("/referrals", headers={"Authorization": f"Bearer {out.decode().strip()}"})
    assert listed.status_code == 200
