"""Guidance's read models rebuilt from the events (`service_layer.projection`, issue 14's replay) equal the live
ones row for row: referrals made over HTTP under a plan and without one, answered by the provider, started,
completed and rejected; a jobseeker's study agreement; a client's visit and an anonymous one; then the tables
rebuilt from guidance's event store and the topics into a scratch schema and compared."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from backbone import parts, replay
from contracts.topics import event_topic
from guidance.bootstrap import MIGRATIONS
from guidance.service_layer import projection
from services.guidance.tests.integration.conftest import eventually
from services.guidance.tests.integration.test_referrals import refer

pytestmark = pytest.mark.integration

NOT_DERIVABLE = {"referrals": ("note", "updated_at"), "visits": ("note",), "client_view": ("updated_at",),
                 "catalogue_services": ("updated_at",)}
"""Sealed free text (in no event) and when a row was written."""


async def test_referrals_visits_agreements_plans_and_catalogue_rebuilt_from_the_events_equal_the_live_ones(
        infra, guidance, http, client_of, plan_of):
    provider = await guidance.as_("provider:mbi-raseborg", "provider")
    a = await client_of()
    plan_id = await plan_of(a)
    made = await refer(http, guidance, a, plan_id=plan_id, note="Prefers afternoon groups")
    assert made.status_code == 201, made.text
    first = made.json()["subject_id"]
    for step, body in [("acceptance", {"starts_on": date.today().isoformat()}), ("start", {}),
                       ("completion", {"outcome": "completed"})]:
        answer = await http.post(f"/referrals/{first}/{step}", json=body, headers=provider)
        assert answer.status_code == 200, (step, answer.text)
    second = (await refer(http, guidance, a)).json()["subject_id"]
    answer = await http.post(f"/referrals/{second}/rejection", json={"reason": "other"}, headers=provider)
    assert answer.status_code == 200, answer.text

    b = await client_of(organisation="employment-region", jobseeker=True)
    officer = await guidance.as_("employment-region", "officer")
    agreed = await http.post(f"/clients/{b}/study-agreements", json={"service_code": "voluntary.larkkulla"},
                             headers=officer)
    assert agreed.status_code == 201, agreed.text
    assert (await refer(http, guidance, b, "voluntary.larkkulla", language="sv",
                        organisation="employment-region")).status_code == 201

    raseborg = await guidance.as_("raseborg", "officer")
    visit_ids = []
    for body in ({"client_id": str(a), "note": "asked about day care"}, {"visitors": 3}):
        answer = await http.post("/visits", headers=raseborg, json={
            "visited_on": date.today().isoformat(), "mode": "drop_in", "place": "karis",
            "topics": ["housing"], "language": "ar", "interpreter": "none", **body})
        assert answer.status_code == 201, answer.text
        visit_ids.append(uuid.UUID(answer.json()["subject_id"]))

    async def sequenced() -> bool:
        return await guidance.pool.fetchval("SELECT count(*) FROM event_store WHERE position IS NULL") == 0

    assert await eventually(sequenced)
    clients = [a, b]
    queries = {
        "referrals": ("SELECT * FROM referrals WHERE client_id = ANY($1) ORDER BY referral_id", clients),
        "study_agreements": ("SELECT * FROM study_agreements WHERE client_id = ANY($1) ORDER BY 1, 2", clients),
        "visits": ("SELECT * FROM visits WHERE visit_id = ANY($1) ORDER BY visit_id", visit_ids),
        "plans": ("SELECT * FROM plans WHERE client_id = ANY($1) ORDER BY plan_id", clients),
        "client_view": ("SELECT * FROM client_view WHERE client_id = ANY($1) ORDER BY client_id", clients),
        "catalogue_services": ("SELECT * FROM catalogue_services WHERE $1::uuid[] IS NOT NULL ORDER BY 1", clients),
        "opening_hours": ("SELECT * FROM opening_hours WHERE $1::uuid[] IS NOT NULL ORDER BY 1, 2", clients),
    }
    tables = replay.service_tables("guidance", MIGRATIONS, (parts.CLIENT_VIEW, parts.CLIENT_KEYS))
    consumed = {name: replay.from_topic(infra.kafka_kwargs("guidance"), event_topic(service))
                for name, service in projection.CONSUMED.items()}
    async with replay.scratch_schema(infra.dsn("guidance"), f"rebuild_{uuid.uuid4().hex[:12]}", tables,
                                     drop=True) as into:
        done = await projection.rebuild(guidance.pool, consumed, into, guidance.deps.calendar)
        assert done.events > 0
        for table, (query, ids) in queries.items():
            skip = NOT_DERIVABLE.get(table, ())
            live = [{k: v for k, v in r.items() if k not in skip} for r in await guidance.pool.fetch(query, ids)]
            rebuilt = [{k: v for k, v in r.items() if k not in skip} for r in await into.fetch(query, ids)]
            assert live, table
            assert rebuilt == live, table
        states = sorted(r["state"] for r in await into.fetch("SELECT state FROM referrals WHERE client_id = ANY($1)",
                                                              clients))
        assert states == ["completed", "made", "rejected"]
