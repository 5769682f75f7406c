"""The guidance log, the catalogue's API and public port, erasure, and the deadline jobs (R12, overdue)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from backbone.clock import FixedClock
from contracts.events.guidance import ANONYMOUS_VISITS_STREAM_ID
from contracts.events.intake import ClientErased
from contracts.events.planning import PlanHandedOver
from guidance.service_layer import catalogue, public_catalogue, reactions, referrals
from services.guidance.tests.integration.conftest import envelope, eventually, published

pytestmark = pytest.mark.integration

TODAY = date.today()


def visit(**changes):
    return {"visited_on": TODAY.isoformat(), "mode": "drop_in", "place": "karis", "topics": ["housing"],
            "language": "ar", "interpreter": "none", **changes}


async def test_R1_visits_of_clients_and_of_people_who_are_not_clients(infra, guidance, http, client_of):
    client_id = await client_of()
    officer = await guidance.as_("raseborg", "officer")

    mine = await http.post("/visits", json=visit(client_id=str(client_id), note="Asked about the lease"),
                           headers=officer)
    anonymous = await http.post("/visits", json=visit(place="hango", language="th", visitors=2,
                                                      topics=["residence_permit"]), headers=officer)

    assert (mine.status_code, anonymous.status_code) == (201, 201), (mine.text, anonymous.text)
    row = await guidance.pool.fetchrow("SELECT client_id, note FROM visits WHERE visit_id = $1",
                                       uuid.UUID(anonymous.json()["subject_id"]))
    assert row["client_id"] is None and row["note"] is None
    listed = (await http.get(f"/clients/{client_id}/visits", headers=officer)).json()
    assert [v["note"] for v in listed] == ["Asked about the lease"]
    counts = (await http.get("/visits/counts", params={"since": TODAY.isoformat(), "until": TODAY.isoformat()},
                             headers=await guidance.as_("operator", "operator"))).json()
    assert {"place": "hango", "mode": "drop_in", "topic": "residence_permit", "anonymous": True} in [
        {k: c[k] for k in ("place", "mode", "topic", "anonymous")} for c in counts]
    events = await published(infra, {client_id, ANONYMOUS_VISITS_STREAM_ID},
                             until=lambda found: {"CounsellingVisitRecorded", "AnonymousVisitRecorded"} <= {
                                 e.type for e in found})
    assert not any("lease" in e.to_bytes().decode() for e in events)


async def test_R27_a_relative_as_interpreter_is_refused(guidance, http, client_of):
    client_id = await client_of()

    response = await http.post("/visits", json=visit(client_id=str(client_id), interpreter="relative"),
                               headers=await guidance.as_("raseborg", "officer"))

    assert response.status_code == 422 and response.json()["detail"][0]["rule"] == "R27"


async def test_an_anonymous_visit_keeps_no_note(guidance, http):
    response = await http.post("/visits", json=visit(note="Name: someone"),
                               headers=await guidance.as_("raseborg", "officer"))

    assert response.status_code == 422 and response.json()["detail"][0]["rule"] == "visit.note"


async def test_drop_in_only_where_guidance_has_drop_in_hours(guidance, http):
    response = await http.post("/visits", json=visit(place="inga"), headers=await guidance.as_("raseborg", "officer"))

    assert response.status_code == 422 and response.json()["detail"][0]["rule"] == "visit.place"


async def test_the_public_port_lists_services_and_hours_without_personal_data(guidance):
    services = await public_catalogue.published_services(guidance.pool)
    hours = await public_catalogue.opening_hours(guidance.pool)

    civic = next(s for s in services if s["code"] == "civic_orientation")
    assert {"code", "provider", "places", "languages", "pace", "start_dates", "continuous", "target_groups",
            "hours"} <= set(civic)  # what the public guide's RowSource reads
    assert civic["hours"] == 70 and civic["continuous"] and {"ar", "ru", "en"} <= set(civic["languages"])
    training = next(s for s in services if s["code"] == "integration_training.karis")
    assert training["start_dates"] == ["2027-01-11", "2027-08-16"] and training["pace"] == ["normal", "slow"]
    drop_in = {(h["place"], h["weekday"]) for h in hours if h["kind"] == "drop_in"}
    assert {p for p, _ in drop_in} == {"karis", "hango"}
    assert sum(p == "karis" for p, _ in drop_in) == 2 and sum(p == "hango" for p, _ in drop_in) == 1
    assert {h["place"] for h in hours if h["kind"] == "appointment"} >= {"hango", "inga", "ekenas"}
    assert set(hours[0]) == {"place", "kind", "weekday", "weekday_name", "start", "end"}


async def test_the_catalogue_is_kept_by_officers_of_responsible_organisations(guidance, http, unique):
    body = {"kind": "language_cafe", "provider_code": "language-cafe-volunteers", "places": ["hango"],
            "languages": ["fi"], "paces": ["normal"], "audiences": ["everyone"], "continuous_admission": True}
    code = f"language_cafe.test-{unique}"

    assert (await http.put(f"/catalogue/services/{code}", json=body,
                           headers=await guidance.as_("kela", "officer"))).status_code == 403
    assert (await http.put(f"/catalogue/services/{code}", json=body,
                           headers=await guidance.as_("provider:vnf", "provider"))).status_code == 403
    raseborg = await guidance.as_("raseborg", "officer")
    assert (await http.put(f"/catalogue/services/{code}", json=body, headers=raseborg,
                           params={"expected_version": 0})).status_code == 200
    stale = await http.put(f"/catalogue/services/{code}", json=body, headers=raseborg, params={"expected_version": 0})
    assert stale.status_code == 409 and stale.json()["detail"][0]["rule"] == "catalogue.version"
    assert (await http.delete(f"/catalogue/services/{code}", headers=raseborg)).status_code == 200
    assert (await http.get(f"/catalogue/services/{code}", headers=raseborg)).status_code == 404
    history = await guidance.pool.fetch("SELECT type FROM event_store WHERE stream_id = $1 ORDER BY version",
                                        catalogue.stream_of(code))
    assert [r["type"] for r in history] == ["CatalogueServicePublished", "CatalogueServiceWithdrawn"]


async def test_R20_the_last_civic_orientation_cannot_be_withdrawn(guidance, http):
    response = await http.delete("/catalogue/services/civic_orientation",
                                 headers=await guidance.as_("raseborg", "officer"))

    assert response.status_code == 422 and response.json()["detail"][0]["rule"] == "R20"


async def test_R21_civic_orientation_under_seventy_hours_is_refused(guidance, http, unique):
    body = {"kind": "civic_orientation", "provider_code": "mbi-raseborg", "places": ["karis"], "languages": ["uk"],
            "paces": ["normal"], "audiences": ["everyone"], "continuous_admission": True, "hours": 69}

    response = await http.put(f"/catalogue/services/civic.{unique}", json=body,
                              headers=await guidance.as_("raseborg", "officer"))

    assert response.status_code == 422 and response.json()["detail"][0]["rule"] == "R21"


async def test_a_service_that_does_not_validate_names_the_field(guidance, http, unique):
    body = {"kind": "language_cafe", "provider_code": "Not A Code", "places": ["karis"], "languages": ["fi"],
            "paces": ["normal"], "audiences": ["everyone"], "continuous_admission": True}

    response = await http.put(f"/catalogue/services/x.{unique}", json=body,
                              headers=await guidance.as_("raseborg", "officer"))

    assert response.status_code == 422 and "provider_code" in response.json()["detail"][0]["loc"]
    assert "Not A Code" not in response.text


async def test_erasure_shreds_notes_and_cancels_open_referrals(infra, guidance, http, bus, client_of):
    client_id = await client_of()
    officer = await guidance.as_("raseborg", "officer")
    made = await http.post("/referrals", json={"client_id": str(client_id), "service_code": "language_cafe.karis",
                                               "language": "fi", "note": "Comes with her daughter"}, headers=officer)
    referral_id = uuid.UUID(made.json()["subject_id"])
    await http.post("/visits", json=visit(client_id=str(client_id), note="Spoke about day care"), headers=officer)

    await bus("intake", envelope(ClientErased(erased_on=TODAY, basis="client_request"), client_id))

    await eventually(lambda: guidance.pool.fetchval("SELECT state = 'cancelled' FROM referrals WHERE referral_id = $1",
                                                    referral_id))
    assert await guidance.pool.fetchval("SELECT shredded_at IS NOT NULL FROM client_keys WHERE client_id = $1",
                                        client_id)
    assert await guidance.pool.fetchval("SELECT count(*) FROM visits WHERE client_id = $1 AND note IS NOT NULL",
                                        client_id) == 0
    assert (await http.get(f"/clients/{client_id}/visits", headers=officer)).status_code == 404
    again = await http.post("/referrals", json={"client_id": str(client_id), "service_code": "language_cafe.karis",
                                                "language": "fi"}, headers=officer)
    assert again.status_code == 404
    events = await published(infra, {client_id}, until=lambda found: any(e.type == "ReferralCancelled" for e in found))
    cancelled = next(e for e in events if e.type == "ReferralCancelled")
    assert (cancelled.payload["reason"], cancelled.payload["cancelled_by"]) == ("client_erased", "system")


async def test_R12_a_plan_without_a_referral_a_month_after_it_was_drawn_up_is_overdue_once(
        infra, guidance, client_of, plan_of):
    client_id = await client_of()
    drawn_up = datetime(2026, 3, 2, 10, tzinfo=UTC)
    plan_id = await plan_of(client_id, drawn_up=drawn_up)
    assert await guidance.pool.fetchval("SELECT r12_due_on FROM plans WHERE plan_id = $1", plan_id) == date(2026, 4, 2)

    on_last_day = replace(guidance.deps, clock=FixedClock(datetime(2026, 4, 2, 12, tzinfo=UTC)))
    await reactions.plans_without_referral(on_last_day)
    assert not await guidance.pool.fetchval("SELECT r12_overdue_published FROM plans WHERE plan_id = $1", plan_id)

    day_after = replace(guidance.deps, clock=FixedClock(datetime(2026, 4, 3, 12, tzinfo=UTC)))
    await reactions.plans_without_referral(day_after)
    await reactions.plans_without_referral(day_after)

    events = await published(infra, {client_id}, until=lambda found: any(e.type == "PlanReferralOverdue"
                                                                         for e in found))
    overdue = [e for e in events if e.type == "PlanReferralOverdue"]
    assert len(overdue) == 1 and overdue[0].payload == {"plan_id": str(plan_id), "drawn_up_on": "2026-03-02",
                                                        "due_on": "2026-04-02", "rule": "R12"}


async def test_R5_a_plan_handed_over_is_overdue_for_its_new_owner_not_the_old_one(
        infra, guidance, bus, client_of, plan_of):
    client_id = await client_of(organisation="inga")
    plan_id = await plan_of(client_id, organisation="inga", drawn_up=datetime(2026, 3, 2, 10, tzinfo=UTC))
    handed = PlanHandedOver(plan_id=plan_id, previous_organisation="inga", responsible_organisation="raseborg",
                            effective_on=date(2026, 3, 16))
    await bus("planning", envelope(handed, client_id, organisation="raseborg"))
    await eventually(lambda: guidance.pool.fetchval(
        "SELECT responsible_organisation = 'raseborg' FROM plans WHERE plan_id = $1", plan_id))

    day_after = replace(guidance.deps, clock=FixedClock(datetime(2026, 4, 3, 12, tzinfo=UTC)))
    await reactions.plans_without_referral(day_after)

    events = await published(infra, {client_id}, until=lambda found: any(e.type == "PlanReferralOverdue"
                                                                         for e in found))
    assert [e.organisation for e in events if e.type == "PlanReferralOverdue"] == ["raseborg"]


async def test_R12_a_plan_referred_in_time_is_not_overdue(guidance, http, client_of, plan_of):
    client_id = await client_of()
    plan_id = await plan_of(client_id)
    made = await http.post("/referrals", json={"client_id": str(client_id), "service_code": "language_cafe.karis",
                                               "language": "fi", "plan_id": str(plan_id)},
                           headers=await guidance.as_("raseborg", "officer"))
    assert made.status_code == 201

    later = replace(guidance.deps, clock=FixedClock(datetime.now(UTC) + timedelta(days=62)))
    await reactions.plans_without_referral(later)

    assert not await guidance.pool.fetchval("SELECT r12_overdue_published FROM plans WHERE plan_id = $1", plan_id)


async def test_a_referral_the_provider_does_not_answer_in_time_is_overdue(infra, guidance, http, client_of):
    client_id = await client_of()
    made = await http.post("/referrals", json={"client_id": str(client_id), "service_code": "language_cafe.karis",
                                               "language": "fi"}, headers=await guidance.as_("raseborg", "officer"))
    referral_id = uuid.UUID(made.json()["subject_id"])
    due = guidance.deps.calendar.add(TODAY, guidance.deps.answer_working_days)

    on_due = replace(guidance.deps, clock=FixedClock(datetime.combine(due, datetime.min.time(), UTC)
                                                     + timedelta(hours=10)))
    await referrals.mark_overdue(on_due)
    assert (await guidance.pool.fetchval("SELECT count(*) FROM event_store WHERE stream_id = $1", referral_id)) == 1

    after = replace(on_due, clock=FixedClock(on_due.clock.moment + timedelta(days=1)))
    await referrals.mark_overdue(after)
    await referrals.mark_overdue(after)

    types = [r["type"] for r in await guidance.pool.fetch("SELECT type FROM event_store WHERE stream_id = $1 "
                                                          "ORDER BY version", referral_id)]
    assert types == ["ReferralMade", "ReferralOverdue"]


async def test_another_guiding_organisation_reads_only_the_visits_it_recorded(guidance, http, client_of):
    client_id = await client_of()
    await http.post("/visits", json=visit(client_id=str(client_id), note="Raseborg's note"),
                    headers=await guidance.as_("raseborg", "officer"))
    await http.post("/visits", json=visit(client_id=str(client_id), place="hango", language="en",
                                          note="The employment region's note"),
                    headers=await guidance.as_("employment-region", "officer"))

    theirs = (await http.get(f"/clients/{client_id}/visits",
                             headers=await guidance.as_("employment-region", "officer"))).json()
    everything = (await http.get(f"/clients/{client_id}/visits",
                                 headers=await guidance.as_("raseborg", "officer"))).json()

    assert [v["note"] for v in theirs] == ["The employment region's note"]
    assert len(everything) == 2
    assert (await http.get(f"/clients/{client_id}/visits", headers=await guidance.as_("luvn", "officer"))).status_code \
        == 403


async def test_the_public_guide_served_by_guidance_shows_the_catalogue_and_its_hours(guidance, http, unique):
    code = f"language_cafe.guide-{unique}"
    body = {"kind": "language_cafe", "provider_code": "language-cafe-volunteers", "places": ["pojo"],
            "languages": ["fi"], "paces": ["normal"], "audiences": ["everyone"], "continuous_admission": True}
    await http.put(f"/catalogue/services/{code}", json=body, headers=await guidance.as_("raseborg", "officer"))

    studies = await http.get("/guide/en/studies")
    home = await http.get("/guide/en/")

    assert studies.status_code == 200 and "Civic orientation" in studies.text
    assert "Pojo (Pohja)" in studies.text  # the new service's place: no seeded service runs in Pojo
    assert code not in studies.text  # a code the guide has no label for is shown by its parent's label
    assert home.status_code == 200 and "12:00" in home.text  # guidance's data: Karis's drop-in opens at 12.00
