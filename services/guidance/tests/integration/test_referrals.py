"""Referrals end to end on real Kafka and PostgreSQL: a plan's service referred by the responsible
organisation, accepted, started and completed by the provider with its own credential; what other
providers and organisations may not do; full starts queue; Lohja's clashing starts are warned."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from services.guidance.tests.integration.conftest import published

pytestmark = pytest.mark.integration


async def refer(http, guidance, client_id, code="civic_orientation", *, language="ar", plan_id=None,
                organisation="raseborg", note=None):
    body = {"client_id": str(client_id), "service_code": code, "language": language}
    if plan_id:
        body["plan_id"] = str(plan_id)
    if note:
        body["note"] = note
    return await http.post("/referrals", json=body, headers=await guidance.as_(organisation, "officer"))


async def test_a_plans_service_is_referred_then_accepted_started_and_completed_by_its_provider(
        infra, guidance, http, client_of, plan_of):
    client_id = await client_of()
    plan_id = await plan_of(client_id)
    provider = await guidance.as_("provider:mbi-raseborg", "provider")

    made = await refer(http, guidance, client_id, plan_id=plan_id, note="Prefers afternoon groups")
    assert made.status_code == 201, made.text
    referral_id = made.json()["subject_id"]
    listed = (await http.get("/referrals", params={"state": "made", "client_id": str(client_id)},
                             headers=provider)).json()  # the shared test database holds many more
    assert referral_id in {r["referral_id"] for r in listed}

    steps = [("acceptance", {"starts_on": date.today().isoformat()}), ("start", {}),
             ("completion", {"outcome": "completed"})]
    for step, body in steps:
        response = await http.post(f"/referrals/{referral_id}/{step}", json=body, headers=provider)
        assert response.status_code == 200, (step, response.text)

    view = (await http.get(f"/referrals/{referral_id}", headers=await guidance.as_("raseborg", "officer"))).json()
    assert (view["state"], view["plan_id"]) == ("completed", str(plan_id))
    events = await published(infra, {client_id}, until=lambda found: len(found) >= 4)
    assert [e.type for e in events] == ["ReferralMade", "ReferralAccepted", "ReferralStarted", "ReferralCompleted"]
    assert {e.organisation for e in events} == {"raseborg"}
    assert events[0].payload["plan_id"] == str(plan_id)
    assert all("afternoon" not in e.to_bytes().decode() for e in events)  # the note stays in guidance, encrypted
    note = await guidance.pool.fetchval("SELECT note FROM referrals WHERE referral_id = $1", uuid.UUID(referral_id))
    assert note is not None and b"afternoon" not in note


async def test_another_provider_can_neither_see_nor_change_the_referral(guidance, http, client_of):
    client_id = await client_of()
    referral_id = (await refer(http, guidance, client_id)).json()["subject_id"]
    other = await guidance.as_("provider:mbi-hango", "provider")

    assert (await http.get(f"/referrals/{referral_id}", headers=other)).status_code == 404
    for step, body in [("acceptance", {"starts_on": date.today().isoformat()}), ("rejection", {"reason": "other"}),
                       ("cancellation", {"reason": "other"})]:
        assert (await http.post(f"/referrals/{referral_id}/{step}", json=body, headers=other)).status_code == 404
    assert referral_id not in {r["referral_id"] for r in (await http.get("/referrals", headers=other)).json()}
    view = await http.get(f"/referrals/{referral_id}", headers=await guidance.as_("provider:mbi-raseborg", "provider"))
    assert view.json()["state"] == "made"


async def test_another_organisation_cannot_refer_see_or_cancel(guidance, http, client_of):
    client_id = await client_of()
    refused = await refer(http, guidance, client_id, organisation="hango")
    assert refused.status_code == 403 and refused.json()["detail"][0]["rule"] == "ownership.client"

    referral_id = (await refer(http, guidance, client_id)).json()["subject_id"]
    hango = await guidance.as_("hango", "officer")
    assert (await http.get(f"/referrals/{referral_id}", headers=hango)).status_code == 404
    cancel = await http.post(f"/referrals/{referral_id}/cancellation", json={"reason": "other"}, headers=hango)
    assert cancel.status_code == 404


async def test_an_officer_cannot_answer_for_the_provider(guidance, http, client_of):
    referral_id = (await refer(http, guidance, await client_of())).json()["subject_id"]

    response = await http.post(f"/referrals/{referral_id}/acceptance", json={},
                               headers=await guidance.as_("raseborg", "officer"))

    assert response.status_code == 403


async def test_refusals_name_the_rule_or_the_field_never_the_value(guidance, http, client_of):
    client_id = await client_of(languages=("ru",))

    wrong_language = await refer(http, guidance, client_id, language="ar")
    assert wrong_language.status_code == 422 and wrong_language.json()["detail"][0]["rule"] == "R21"
    invalid = await refer(http, guidance, client_id, language="Arabic please")
    assert invalid.status_code == 422 and invalid.json()["detail"][0]["loc"] == ["body", "language"]
    assert "Arabic please" not in invalid.text
    unknown = await refer(http, guidance, uuid.uuid4())
    assert unknown.status_code == 404


async def test_R22_voluntary_studies_need_the_employment_regions_agreement(guidance, http, client_of):
    client_id = await client_of(organisation="employment-region", jobseeker=True)

    refused = await refer(http, guidance, client_id, "voluntary.larkkulla", language="sv",
                          organisation="employment-region")
    assert refused.status_code == 422 and refused.json()["detail"][0]["rule"] == "R22"
    agreed = await http.post(f"/clients/{client_id}/study-agreements", json={"service_code": "voluntary.larkkulla"},
                             headers=await guidance.as_("employment-region", "officer"))
    assert agreed.status_code == 201, agreed.text
    made = await refer(http, guidance, client_id, "voluntary.larkkulla", language="sv",
                       organisation="employment-region")
    assert made.status_code == 201


async def test_only_the_employment_region_records_the_agreement(guidance, http, client_of):
    client_id = await client_of()

    response = await http.post(f"/clients/{client_id}/study-agreements", json={"service_code": "voluntary.larkkulla"},
                               headers=await guidance.as_("raseborg", "officer"))

    assert response.status_code == 403


async def test_a_client_asking_for_training_in_swedish_is_offered_it(guidance, http, client_of):
    client_id = await client_of(organisation="employment-region", jobseeker=True)

    response = await refer(http, guidance, client_id, "integration_training.karis", language="sv",
                           organisation="employment-region")

    detail = response.json()["detail"][0]
    assert response.status_code == 422 and detail["rule"] == "programme.swedish_training"
    assert "integration_training.karis.sv" in detail["msg"]


async def put_course(http, guidance, code, starts, *, kind="short_course", area="raseborg", languages=("fi",)):
    body = {"kind": kind, "provider_code": "procured-training", "places": ["karis"], "languages": list(languages),
            "paces": ["normal"], "audiences": ["everyone"], "continuous_admission": False,
            "starts": [{"starts_on": d.isoformat(), "pace": "normal", "capacity": c} for d, c in starts],
            "area": area}
    if kind == "integration_training":
        body["target_level"] = "b1.1"
    return await http.put(f"/catalogue/services/{code}", json=body, headers=await guidance.as_("raseborg", "officer"))


async def test_a_referral_to_a_full_start_queues_and_moves_up_when_a_place_frees(
        infra, guidance, http, client_of, unique):
    code = f"test.course.{unique}"
    first_start, next_start = date(2027, 2, 1), date(2027, 9, 6)
    assert (await put_course(http, guidance, code, [(first_start, 1), (next_start, 1)])).status_code == 200
    provider = await guidance.as_("provider:procured-training", "provider")
    clients = [await client_of() for _ in range(3)]
    referrals = [(await refer(http, guidance, c, code, language="fi")).json()["subject_id"] for c in clients]

    for referral_id in referrals:
        answer = await http.post(f"/referrals/{referral_id}/acceptance", json={"starts_on": first_start.isoformat()},
                                 headers=provider)
        assert answer.status_code == 200, answer.text
    views = [(await http.get(f"/referrals/{r}", headers=provider)).json() for r in referrals]
    assert [(v["state"], v["queue_position"]) for v in views] == [("accepted", None), ("waitlisted", 1),
                                                                  ("waitlisted", 2)]
    assert views[1]["expected_start"] == next_start.isoformat() and views[2]["expected_start"] is None
    starts = (await http.get(f"/catalogue/services/{code}/starts", headers=provider)).json()
    assert starts[0] == {"start": first_start.isoformat(), "starts_on": first_start.isoformat(), "capacity": 1,
                         "taken": 1, "waiting": 2}

    cancelled = await http.post(f"/referrals/{referrals[0]}/cancellation", json={"reason": "client_withdrew"},
                                headers=await guidance.as_("raseborg", "officer"))
    assert cancelled.status_code == 200
    views = [(await http.get(f"/referrals/{r}", headers=provider)).json() for r in referrals]
    assert [(v["state"], v["queue_position"]) for v in views] == [("cancelled", None), ("accepted", None),
                                                                  ("waitlisted", 1)]
    events = await published(infra, set(clients), until=lambda found: sum(e.type == "ReferralQueueMoved"
                                                                          for e in found) >= 1)
    by_type = [(e.client_id, e.type) for e in events if e.type != "ReferralMade"]
    assert (clients[1], "ReferralWaitlisted") in by_type and (clients[1], "ReferralAccepted") in by_type
    moved = next(e for e in events if e.type == "ReferralQueueMoved")
    assert (moved.client_id, moved.payload["queue_position"]) == (clients[2], 1)


async def test_more_places_in_a_start_go_to_the_first_waiting(guidance, http, client_of, unique):
    code = f"test.course.{unique}"
    start = date(2027, 2, 1)
    await put_course(http, guidance, code, [(start, 1)])
    provider = await guidance.as_("provider:procured-training", "provider")
    referrals = [(await refer(http, guidance, await client_of(), code, language="fi")).json()["subject_id"]
                 for _ in range(2)]
    for r in referrals:
        await http.post(f"/referrals/{r}/acceptance", json={"starts_on": start.isoformat()}, headers=provider)

    assert (await put_course(http, guidance, code, [(start, 2)])).status_code == 200

    assert (await http.get(f"/referrals/{referrals[1]}", headers=provider)).json()["state"] == "accepted"


async def test_a_start_clashing_with_lohjas_is_warned_but_kept(guidance, http, unique):
    code = f"integration_training.test-{unique}"
    lohja_start = date(2027, 3, 1)

    response = await put_course(http, guidance, code, [(lohja_start + timedelta(days=10), 14)],
                                kind="integration_training")

    assert response.status_code == 200, response.text
    assert [w["rule"] for w in response.json()["warnings"]] == ["programme.lohja_starts"]
    far = await put_course(http, guidance, code, [(lohja_start + timedelta(days=60), 14)], kind="integration_training")
    assert far.json()["warnings"] == []


async def test_a_second_open_referral_to_the_same_service_is_refused(guidance, http, client_of):
    client_id = await client_of()
    first = (await refer(http, guidance, client_id)).json()["subject_id"]

    again = await refer(http, guidance, client_id)
    assert again.status_code == 409 and again.json()["detail"][0]["rule"] == "referral.duplicate"

    await http.post(f"/referrals/{first}/cancellation", json={"reason": "referral_error"},
                    headers=await guidance.as_("raseborg", "officer"))
    assert (await refer(http, guidance, client_id)).status_code == 201


async def test_a_start_cannot_be_recorded_before_it_happens(guidance, http, client_of):
    referral_id = (await refer(http, guidance, await client_of())).json()["subject_id"]
    provider = await guidance.as_("provider:mbi-raseborg", "provider")
    await http.post(f"/referrals/{referral_id}/acceptance", json={"starts_on": date.today().isoformat()},
                    headers=provider)

    tomorrow = await http.post(f"/referrals/{referral_id}/start",
                               json={"started_on": (date.today() + timedelta(days=1)).isoformat()}, headers=provider)

    assert tomorrow.status_code == 422 and tomorrow.json()["detail"][0]["rule"] == "referral.date"
    today = await http.post(f"/referrals/{referral_id}/start", json={"started_on": date.today().isoformat()},
                            headers=provider)
    assert today.status_code == 200
