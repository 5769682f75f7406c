"""Planning on real Kafka and PostgreSQL: intake's registration and assessment's completion open a plan, the
officer issues and extends it over HTTP, and the events on the bus are linked by correlation and causation."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx
from dateutil.relativedelta import relativedelta
import pytest

from backbone.clock import FixedClock
from contracts.envelope import Envelope
from contracts.events.guidance import ReferralMade
from contracts.events.intake import ClientErased, ResponsibilityAssigned
from contracts.registry import decode
from planning.adapters.postgres import PostgresUnitOfWork
from planning.service_layer import handlers
from services.planning.tests.events import SERVICES, TODAY, completed, issue_body
from services.planning.tests.conftest import bearer, eventually, planning_events, registered_and_assessed
from tests.support.events import registered

pytestmark = pytest.mark.integration



async def test_registration_assessment_plan_issued_and_extended_linked_on_the_bus(
        infra, publish, planning_db, planning_url, planning_tokens):
    token = await planning_tokens("employment-region")
    async with planning_events(infra) as wait, httpx.AsyncClient(base_url=planning_url) as http:
        client_id, registration, assessment, plan_id = await registered_and_assessed(publish, planning_db)
        issued = await http.post(f"/plans/{plan_id}/issue", json=issue_body(), headers=bearer(token))
        assert issued.status_code == 201, issued.text
        extended = await http.post(f"/plans/{plan_id}/extensions", headers=bearer(token), json={
            "until": str(TODAY + timedelta(days=500)), "reason": "continued_within_maximum"})
        assert extended.status_code == 201, extended.text

        envelopes = await wait(client_id, 4)

    assert [e.type for e in envelopes] == ["PlanOpened", "PlanAgreementRecorded", "PlanIssued", "PlanExtended"]
    assert {e.correlation_id for e in envelopes} == {registration.correlation_id}
    causes = [e.causation_id for e in envelopes]
    assert causes == [assessment.event_id] + [e.event_id for e in envelopes[:-1]]
    issued_event, extension = decode(envelopes[2]), decode(envelopes[3])
    assert (issued_event.services, issued_event.job_search_obligation) == (tuple(SERVICES), True)
    assert (extension.rule, extension.previous_until) == ("R14", TODAY + timedelta(days=180))
    assert all(e.organisation == "employment-region" and e.producer == "planning" for e in envelopes)
    assert "kielikurssille" not in b"".join(e.to_bytes() for e in envelopes).decode()


async def test_no_plan_without_a_need_r4(infra, publish, planning_db, planning_url):
    client_id = uuid.uuid4()
    registration = registered(client_id)
    await publish(registration)
    await publish(completed(client_id, registration, plan_needed=False))
    marker = completed(client_id, registration)  # a later completion with a need does open one

    await publish(marker)

    await eventually(lambda: planning_db.fetchval("SELECT count(*) FROM plans WHERE client_id = $1", client_id))
    assert await planning_db.fetchval("SELECT count(*) FROM plans WHERE client_id = $1", client_id) == 1


async def test_refused_command_names_the_rule_and_applies_nothing(publish, planning_db, planning_url, planning_tokens):
    token = await planning_tokens("employment-region")
    _, _, _, plan_id = await registered_and_assessed(publish, planning_db)
    async with httpx.AsyncClient(base_url=planning_url, headers=bearer(token)) as http:
        too_long = await http.post(f"/plans/{plan_id}/issue", json=issue_body(ends_on=str(TODAY + timedelta(days=400))))
        no_agreement = await http.post(f"/plans/{plan_id}/issue", json=issue_body(agreement=None))
        bad_field = await http.post(f"/plans/{plan_id}/issue", json=issue_body(goals=["Anna Virtanen"]))
        detail = (await http.get(f"/plans/{plan_id}")).json()

    assert (too_long.status_code, too_long.json()["detail"][0]["rule"]) == (422, "R14")
    assert (no_agreement.status_code, no_agreement.json()["detail"][0]["rule"]) == (422, "R23")
    assert bad_field.status_code == 422 and "Anna" not in bad_field.text
    assert bad_field.json()["detail"][0]["loc"][:2] == ["body", "goals"]
    assert [e["type"] for e in detail["events"]] == ["PlanOpened"] and detail["status"] == "to_be_drawn_up"
    assert detail["notes"] == []


async def test_handover_passes_the_plan_and_the_old_owner_loses_write_access(
        publish, planning_db, planning_url, planning_tokens):
    old, new = await planning_tokens("employment-region"), await planning_tokens("raseborg")
    client_id, registration, _, plan_id = await registered_and_assessed(publish, planning_db)
    async with httpx.AsyncClient(base_url=planning_url) as http:
        assert (await http.post(f"/plans/{plan_id}/issue", json=issue_body(), headers=bearer(old))).status_code == 201
        await publish(Envelope.wrap(
            ResponsibilityAssigned(previous_organisation="employment-region", responsible_organisation="raseborg",
                                   effective_on=TODAY, reason="no_longer_registered_jobseeker"),
            producer="intake", organisation="employment-region", actor="ingress.employment-region",
            client_id=client_id, correlation_id=uuid.uuid4()))
        await eventually(lambda: planning_db.fetchval("SELECT owner = 'raseborg' FROM plans WHERE plan_id = $1",
                                                      plan_id))
        review = {"reviewed_on": str(TODAY), "occasion": "situation_changed"}
        by_old = await http.post(f"/plans/{plan_id}/reviews", json=review, headers=bearer(old))
        by_new = await http.post(f"/plans/{plan_id}/reviews", json=review, headers=bearer(new))
        old_reads = await http.get(f"/plans/{plan_id}", headers=bearer(old))
        detail = (await http.get(f"/plans/{plan_id}", headers=bearer(new))).json()

    assert (by_old.status_code, by_old.json()["detail"][0]["rule"]) == (403, "ownership.plan")
    assert by_new.status_code == 201
    assert old_reads.status_code == 403
    assert detail["status"] == "in_force" and detail["owner"] == "raseborg"
    handed = next(e for e in detail["events"] if e["type"] == "PlanHandedOver")
    assert handed["payload"]["previous_organisation"] == "employment-region"
    assert detail["notes"][0]["text"] == "Haluaa ensin kielikurssille."


async def test_r12_each_service_not_referred_within_a_month_is_missed_once(
        infra, publish, planning_db, planning_url, planning_tokens):
    token = await planning_tokens("employment-region")
    client_id, registration, _, plan_id = await registered_and_assessed(publish, planning_db)
    async with httpx.AsyncClient(base_url=planning_url) as http:
        assert (await http.post(f"/plans/{plan_id}/issue", json=issue_body(), headers=bearer(token))).status_code == 201
    await publish(Envelope.wrap(
        ReferralMade(referral_id=uuid.uuid4(), plan_id=plan_id, service_code=SERVICES[0], provider_code="mbi-raseborg",
                     referred_on=TODAY, language="ar"),
        producer="guidance", organisation="employment-region", actor="officer-9", client_id=client_id,
        correlation_id=registration.correlation_id))
    await eventually(lambda: planning_db.fetchval("SELECT count(*) FROM plan_referrals WHERE plan_id = $1", plan_id))
    later = FixedClock(datetime.combine(TODAY + timedelta(days=40), datetime.min.time()).astimezone())
    deps = handlers.Deps(uow=lambda: PostgresUnitOfWork(planning_db, _keys(infra)), clock=later)

    await handlers.check_deadlines(deps, limit=10_000)
    await handlers.check_deadlines(deps, limit=10_000)

    rows = await planning_db.fetch("SELECT envelope FROM event_store WHERE stream_id = $1 AND type = "
                                   "'PlanDeadlineMissed'", plan_id)
    missed = [decode(Envelope.from_bytes(r["envelope"])) for r in rows]
    assert [(m.deadline, m.service_code, m.rule) for m in missed] == [("referral", SERVICES[1], "R12")]


async def test_erasure_destroys_the_plans_notes(infra, publish, planning_db, planning_url, planning_tokens):
    token = await planning_tokens("employment-region")
    client_id, _, _, plan_id = await registered_and_assessed(publish, planning_db)
    async with httpx.AsyncClient(base_url=planning_url) as http:
        assert (await http.post(f"/plans/{plan_id}/issue", json=issue_body(), headers=bearer(token))).status_code == 201
        assert await planning_db.fetchval("SELECT count(*) FROM plan_notes WHERE client_id = $1", client_id) == 1
        await publish(Envelope.wrap(ClientErased(erased_on=TODAY, basis="client_request"), producer="intake",
                                    organisation="employment-region", actor="system", client_id=client_id,
                                    correlation_id=uuid.uuid4()))
        await eventually(lambda: planning_db.fetchval(
            "SELECT shredded_at IS NOT NULL FROM client_keys WHERE client_id = $1", client_id))

    assert await planning_db.fetchval("SELECT count(*) FROM plan_notes WHERE client_id = $1", client_id) == 0


def _keys(infra):
    from backbone.clientkeys import ClientKeys
    return ClientKeys.from_setting(infra.secrets["planning"]["vault_master_keys"])


async def test_worklist_is_the_callers_own(publish, planning_db, planning_url, planning_tokens):
    owner, other = await planning_tokens("employment-region"), await planning_tokens("hango")
    operator = await planning_tokens("operator", "operator")
    _, _, _, plan_id = await registered_and_assessed(publish, planning_db)
    async with httpx.AsyncClient(base_url=planning_url) as http:
        def ids(response):
            assert response.status_code == 200, response.text
            return {p["plan_id"] for p in response.json()}

        to_draw_up = ids(await http.get("/plans?view=to_draw_up&limit=500", headers=bearer(owner)))
        others = ids(await http.get("/plans?view=to_draw_up&limit=500", headers=bearer(other)))
        everyone = ids(await http.get("/plans?view=to_draw_up&limit=500", headers=bearer(operator)))
        assert (await http.post(f"/plans/{plan_id}/issue", json=issue_body(), headers=bearer(owner))).status_code == 201
        later = str(TODAY + timedelta(days=200))
        reviews = ids(await http.get(f"/plans?view=reviews_due&due_by={later}&limit=500", headers=bearer(owner)))
        not_yet = ids(await http.get(f"/plans?view=reviews_due&due_by={TODAY}&limit=500", headers=bearer(owner)))
        overdue = ids(await http.get("/plans?view=referrals_overdue&limit=500", headers=bearer(owner)))
        bad = await http.get("/plans?view=everything", headers=bearer(owner))

    assert str(plan_id) in to_draw_up and str(plan_id) in everyone and str(plan_id) not in others
    assert str(plan_id) in reviews and str(plan_id) not in not_yet
    assert str(plan_id) not in overdue  # a month to refer from today
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "view"]


async def test_r14_ending_a_plan_and_opening_another_does_not_restart_the_maximum(
        publish, planning_db, planning_url, planning_tokens):
    token = await planning_tokens("employment-region")
    client_id, registration, _, first = await registered_and_assessed(publish, planning_db)
    async with httpx.AsyncClient(base_url=planning_url, headers=bearer(token)) as http:
        assert (await http.post(f"/plans/{first}/issue", json=issue_body())).status_code == 201
        ended = await http.post(f"/plans/{first}/end", json={"ended_on": str(TODAY), "reason": "employment"})
        assert ended.status_code == 201, ended.text
        await publish(completed(client_id, registration))
        second = await eventually(lambda: planning_db.fetchval(
            "SELECT plan_id FROM plans WHERE client_id = $1 AND status = 'to_be_drawn_up'", client_id))
        last_day = TODAY + relativedelta(years=2) - timedelta(days=1)
        too_long = await http.post(f"/plans/{second}/issue", json=issue_body(ends_on=str(last_day + timedelta(days=1))))
        issued = await http.post(f"/plans/{second}/issue", json=issue_body(ends_on=str(last_day)))
        detail = (await http.get(f"/plans/{second}")).json()

    assert (too_long.status_code, too_long.json()["detail"][0]["rule"]) == (422, "R14")
    assert issued.status_code == 201, issued.text
    assert (detail["first_starts_on"], detail["maximum_on"]) == (str(TODAY), str(last_day))


async def test_r6_luvn_sees_the_plans_it_takes_part_in_but_does_not_change_them(
        publish, planning_db, planning_url, planning_tokens):
    luvn, owner = await planning_tokens("luvn"), await planning_tokens("employment-region")
    client_id = uuid.uuid4()
    registration = registered(client_id)
    await publish(registration)
    await publish(completed(client_id, registration, luvn=True))
    plan_id = await eventually(lambda: planning_db.fetchval("SELECT plan_id FROM plans WHERE client_id = $1",
                                                            client_id))
    _, _, _, other = await registered_and_assessed(publish, planning_db)
    async with httpx.AsyncClient(base_url=planning_url) as http:
        listed = {p["plan_id"] for p in (await http.get("/plans?limit=500", headers=bearer(luvn))).json()}
        detail = await http.get(f"/plans/{plan_id}", headers=bearer(luvn))
        not_its = await http.get(f"/plans/{other}", headers=bearer(luvn))
        issue = await http.post(f"/plans/{plan_id}/issue", json=issue_body(), headers=bearer(luvn))
        by_owner = await http.post(f"/plans/{plan_id}/issue", json=issue_body(), headers=bearer(owner))

    assert str(plan_id) in listed and str(other) not in listed
    assert detail.status_code == 200 and detail.json()["luvn_participation"] is True
    assert detail.json()["notes"] is None
    assert not_its.status_code == 403
    assert (issue.status_code, issue.json()["detail"][0]["rule"]) == (403, "ownership.plan")
    assert by_owner.status_code == 201


async def test_an_assessment_before_its_clients_registration_opens_the_plan_when_the_client_arrives(
        infra, publish, planning_db, planning_url):
    client_id = uuid.uuid4()
    registration = registered(client_id)
    assessment = completed(client_id, registration)
    async with planning_events(infra) as wait:
        await publish(assessment)
        await eventually(lambda: planning_db.fetchval("SELECT count(*) FROM pending_assessments WHERE client_id = $1",
                                                      client_id))
        assert await planning_db.fetchval("SELECT count(*) FROM plans WHERE client_id = $1", client_id) == 0

        await publish(registration)
        opened = (await wait(client_id, 1))[0]

    assert (opened.type, opened.causation_id, opened.correlation_id) == ("PlanOpened", assessment.event_id,
                                                                         registration.correlation_id)
    assert await planning_db.fetchval("SELECT count(*) FROM pending_assessments WHERE client_id = $1", client_id) == 0
