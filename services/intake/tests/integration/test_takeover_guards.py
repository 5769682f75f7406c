"""Issue 8 over real HTTP: no organisation takes another's client, nobody but the responsible
organisation overwrites who a person is, counts are per caller, and erasure forgets retried requests."""

from __future__ import annotations

import asyncio
from uuid import UUID, uuid4

import pytest

from backbone.clock import today_in_finland
from services.intake.tests.factories import PATHS, body
from services.intake.tests.integration.conftest import patch_person, register
from tests.support.people import invent

pytestmark = pytest.mark.integration

TODAY = today_in_finland().isoformat()


async def raseborg_client(http, as_, person=None) -> str:
    """A client Raseborg is responsible for (a Kela notification for a resident of Raseborg)."""
    response = await register(http, as_, "kela_notification", person or invent(), home_municipality="raseborg")
    assert response.status_code == 201, response.text
    return response.json()["client_id"]


async def summary(http, as_, client: str) -> dict:
    return (await http.get(f"/clients/{client}", headers=await as_("operator", "operator"))).json()


def rule(response) -> str:
    return response.json()["detail"][0]["rule"]


class TestNoTakeover:
    async def test_inkoo_cannot_move_a_raseborg_client_to_itself_nor_read_or_erase_it(self, http, as_):
        client = await raseborg_client(http, as_)
        inga = await as_("inga", "officer")

        moved = await http.post(f"/clients/{client}/home-municipality", headers=inga,
                                json={"home_municipality": "inga", "on": TODAY})
        read = await http.get(f"/clients/{client}/personal-data", headers={**inga, "X-Purpose": "case_handling"})
        erased = await http.post(f"/clients/{client}/erasure", headers=inga, json={"basis": "client_request"})

        assert (moved.status_code, rule(moved)) == (403, "ownership.client")
        assert (read.status_code, erased.status_code) == (403, 403)
        after = await summary(http, as_, client)
        assert (after["home_municipality"], after["responsible_organisation"], after["erased"]) == (
            "raseborg", "raseborg", False)

    async def test_the_employment_region_cannot_take_a_client_by_a_status_change(self, http, as_):
        client = await raseborg_client(http, as_)

        response = await http.post(f"/clients/{client}/jobseeker-status", headers=await as_("employment-region"),
                                   json={"registered": True, "on": TODAY})

        assert (response.status_code, rule(response)) == (403, "ownership.jobseeker_registration")
        assert (await summary(http, as_, client))["responsible_organisation"] == "raseborg"

    async def test_R5_a_jobseeker_registration_takes_the_client_at_once_and_the_previous_owner_sees_it(
            self, http, as_):
        person = invent()
        client = await raseborg_client(http, as_, person)

        registered = await register(http, as_, "employment_region_jobseeker", person, home_municipality="raseborg")

        assert registered.status_code == 201 and registered.json()["client_id"] == client
        assert (await summary(http, as_, client))["responsible_organisation"] == "employment-region"
        handovers = (await http.get("/worklist/handovers", headers=await as_("raseborg", "officer"))).json()
        mine = [h for h in handovers if h["client_id"] == client]
        assert [(h["previous_organisation"], h["responsible_organisation"], h["reason"]) for h in mine] == [
            ("raseborg", "employment-region", "registered_as_jobseeker")]

    async def test_erasure_and_relationship_end_are_refused_right_after_a_change_of_responsibility(self, http, as_):
        person = invent()
        client = await raseborg_client(http, as_, person)
        await register(http, as_, "employment_region_jobseeker", person, home_municipality="raseborg")
        officer = await as_("employment-region", "officer")

        erased = await http.post(f"/clients/{client}/erasure", headers=officer, json={"basis": "client_request"})
        ended = await http.post(f"/clients/{client}/relationship-end", headers=officer,
                                json={"ended_on": TODAY, "reason": "other"})

        assert (erased.status_code, rule(erased)) == (409, "handover.protection")
        assert (ended.status_code, rule(ended)) == (409, "handover.protection")
        assert (await summary(http, as_, client))["erased"] is False

    async def test_a_move_that_changes_nothing_is_answered_409_changed_false(self, http, as_):
        client = await raseborg_client(http, as_)

        response = await http.post(f"/clients/{client}/home-municipality", headers=await as_("raseborg"),
                                   json={"home_municipality": "raseborg", "on": TODAY})

        assert response.status_code == 409
        assert (response.json()["changed"], rule(response)) == (False, "unchanged.home_municipality")


class TestClaims:
    async def claim(self, http, as_, client: str):
        return await http.post(f"/clients/{client}/claims", headers=await as_("inga", "officer"),
                               json={"home_municipality": "inga", "on": TODAY})

    async def test_inkoo_claims_sees_no_personal_data_until_raseborg_accepts_and_raseborg_sees_the_handover(
            self, http, as_):
        client = await raseborg_client(http, as_)
        inga, raseborg = await as_("inga", "officer"), await as_("raseborg", "officer")

        claim = await self.claim(http, as_, client)
        before = await http.get(f"/clients/{client}/personal-data", headers={**inga, "X-Purpose": "case_handling"})
        listed = (await http.get("/worklist/claims", headers=raseborg)).json()
        accepted = await http.post(f"/clients/{client}/claims/{claim.json()['claim_id']}/acceptance", headers=raseborg)
        after = await http.get(f"/clients/{client}/personal-data", headers={**inga, "X-Purpose": "case_handling"})

        assert claim.status_code == 201, claim.text
        assert before.status_code == 403
        assert {"client_id": client, "claimed_by": "inga"}.items() <= next(
            c for c in listed if c["client_id"] == client).items()
        assert accepted.status_code == 200 and after.status_code == 200
        assert (await summary(http, as_, client))["responsible_organisation"] == "inga"
        handovers = (await http.get("/worklist/handovers", headers=raseborg)).json()
        assert any(h["client_id"] == client and h["responsible_organisation"] == "inga" for h in handovers)

    async def test_an_objected_claim_moves_nothing(self, http, as_):
        client = await raseborg_client(http, as_)
        claim = (await self.claim(http, as_, client)).json()

        objected = await http.post(f"/clients/{client}/claims/{claim['claim_id']}/objection",
                                   headers=await as_("raseborg", "officer"), json={"reason": "not_moved"})

        assert objected.status_code == 200
        after = await summary(http, as_, client)
        assert (after["responsible_organisation"], after["claim_id"]) == ("raseborg", None)

    async def test_the_claimant_cannot_accept_its_own_claim(self, http, as_):
        client = await raseborg_client(http, as_)
        claim = (await self.claim(http, as_, client)).json()

        response = await http.post(f"/clients/{client}/claims/{claim['claim_id']}/acceptance",
                                   headers=await as_("inga", "officer"))

        assert (response.status_code, rule(response)) == (403, "ownership.client")
        assert (await summary(http, as_, client))["responsible_organisation"] == "raseborg"


class TestProposedChanges:
    async def test_another_organisations_registration_never_overwrites_and_becomes_a_proposed_change(
            self, http, as_):
        person = invent()
        client = await raseborg_client(http, as_, person)
        officer = await as_("raseborg", "officer")

        again = await register(http, as_, "authority_contact", person, home_municipality="raseborg",
                               person_overrides={"email": "attacker@example.org", "phone": "+358 40 000 0000"})
        read = (await http.get(f"/clients/{client}/personal-data", headers={**officer, "X-Purpose": "check"})).json()
        proposed = (await http.get(f"/clients/{client}/proposed-changes",
                                   headers={**officer, "X-Purpose": "check"})).json()

        assert again.status_code == 201 and again.json()["client_id"] == client
        assert (read["email"], read["phone"]) == (person.email, person.phone)
        assert [(p["proposed_by"], p["values"]["email"]) for p in proposed] == [("luvn", "attacker@example.org")]

        accepted = await http.post(f"/clients/{client}/proposed-changes/{proposed[0]['change_id']}/acceptance",
                                   headers=officer)
        now = (await http.get(f"/clients/{client}/personal-data", headers={**officer, "X-Purpose": "check"})).json()
        assert accepted.status_code == 200 and now["email"] == "attacker@example.org"

    async def test_a_rejected_proposed_change_leaves_the_record_as_it_was(self, http, as_):
        person = invent()
        client = await raseborg_client(http, as_, person)
        officer = await as_("raseborg", "officer")
        await register(http, as_, "authority_contact", person, home_municipality="raseborg",
                       person_overrides={"email": "someone.else@example.org"})
        [proposed] = (await http.get(f"/clients/{client}/proposed-changes",
                                     headers={**officer, "X-Purpose": "check"})).json()

        rejected = await http.post(f"/clients/{client}/proposed-changes/{proposed['change_id']}/rejection",
                                   headers=officer)

        assert rejected.status_code == 200
        read = (await http.get(f"/clients/{client}/personal-data", headers={**officer, "X-Purpose": "check"})).json()
        assert read["email"] == person.email
        assert (await http.get(f"/clients/{client}/proposed-changes",
                               headers={**officer, "X-Purpose": "check"})).json() == []

    async def test_the_public_form_with_a_known_identity_code_overwrites_nothing_and_answers_the_same(
            self, http, as_, intake_db):
        person = invent()
        client = await raseborg_client(http, as_, person)
        officer = await as_("raseborg", "officer")
        stranger = invent()

        known = await http.post(PATHS["own_request"], json=body("own_request", person, home_municipality="raseborg",
                                                                 person_overrides={"email": "attacker@example.org"}))
        unknown = await http.post(PATHS["own_request"], json=body("own_request", stranger))

        assert known.status_code == unknown.status_code == 202
        assert set(known.json()) == set(unknown.json()) and known.json()["message"] == unknown.json()["message"]
        read = (await http.get(f"/clients/{client}/personal-data", headers={**officer, "X-Purpose": "check"})).json()
        assert read["email"] == person.email
        assert await intake_db.fetchval("SELECT proposed_by FROM proposed_changes WHERE client_id = $1",
                                        UUID(client)) == "public"

    async def test_the_responsible_organisations_own_registration_still_updates_the_record(self, http, as_):
        person = invent()
        client = (await register(http, as_, "refugee_placement", person, sender="raseborg",
                                 home_municipality="raseborg")).json()["client_id"]

        await register(http, as_, "municipal_newcomer_notice", person, sender="raseborg",
                       home_municipality="raseborg", person_overrides={"email": "new.address@example.org"})

        read = (await http.get(f"/clients/{client}/personal-data",
                               headers={**await as_("raseborg", "officer"), "X-Purpose": "check"})).json()
        assert read["email"] == "new.address@example.org"


class TestCountAndErasure:
    async def test_each_organisation_counts_only_its_own_clients(self, http, as_):
        await register(http, as_, "municipal_newcomer_notice", invent(), sender="inga", home_municipality="inga")
        await raseborg_client(http, as_)
        inga = await as_("inga", "officer")

        counted = (await http.get("/clients/count", headers=inga)).json()["clients"]
        everyone = (await http.get("/clients/count", headers=await as_("operator", "operator"))).json()["clients"]
        listed = (await http.get("/clients", headers=inga, params={"limit": 500})).json()

        assert counted == len(listed) >= 1
        assert counted < everyone

    async def test_erasure_purges_the_idempotency_keys_of_the_client(self, http, as_, intake_db):
        key = f"erase-me-{uuid4()}"
        registered = await http.post(PATHS["kela_notification"],
                                     json=body("kela_notification", invent(), home_municipality="raseborg"),
                                     headers={**await as_("kela"), "Idempotency-Key": key})
        client = registered.json()["client_id"]
        assert await intake_db.fetchval("SELECT count(*) FROM idempotency_keys WHERE key = $1", key) == 1

        erased = await http.post(f"/clients/{client}/erasure", headers=await as_("raseborg", "officer"),
                                 json={"basis": "client_request"})

        assert erased.status_code == 200
        assert await intake_db.fetchval("SELECT count(*) FROM idempotency_keys WHERE key = $1", key) == 0


class TestPersonalDataEdits:
    async def test_an_edit_without_if_match_is_refused_with_428(self, http, as_):
        client = await raseborg_client(http, as_)

        response = await http.patch(f"/clients/{client}/personal-data", headers=await as_("raseborg", "officer"),
                                    json={"email": "x.y@example.org"})

        assert response.status_code == 428
        assert response.json()["detail"][0]["loc"] == ["header", "If-Match"]

    async def test_two_concurrent_edits_based_on_one_read_one_is_applied_and_the_other_is_412(self, http, as_):
        client = await raseborg_client(http, as_)
        officer = await as_("raseborg", "officer")
        read = await http.get(f"/clients/{client}/personal-data", headers={**officer, "X-Purpose": "correction"})
        headers = {**officer, "If-Match": read.headers["etag"]}

        answers = await asyncio.gather(*(http.patch(f"/clients/{client}/personal-data", headers=headers,
                                                    json={"email": f"editor.{n}@example.org"}) for n in range(2)))

        assert sorted(a.status_code for a in answers) == [200, 412]
        winner = next(a for a in answers if a.status_code == 200)
        now = await http.get(f"/clients/{client}/personal-data", headers={**officer, "X-Purpose": "check"})
        assert now.headers["etag"] == winner.headers["etag"] != read.headers["etag"]

    async def test_an_edit_based_on_an_old_read_is_412_and_changes_nothing(self, http, as_):
        client = await raseborg_client(http, as_)
        officer = await as_("raseborg", "officer")
        old = await http.get(f"/clients/{client}/personal-data", headers={**officer, "X-Purpose": "correction"})
        await patch_person(http, client, officer, {"email": "first.edit@example.org"})

        stale = await http.patch(f"/clients/{client}/personal-data", json={"email": "lost.update@example.org"},
                                 headers={**officer, "If-Match": old.headers["etag"]})

        assert stale.status_code == 412
        read = (await http.get(f"/clients/{client}/personal-data", headers={**officer, "X-Purpose": "check"})).json()
        assert read["email"] == "first.edit@example.org"

    async def test_an_edit_racing_an_erasure_never_brings_the_persons_data_back(self, http, as_, intake_db):
        officer = await as_("raseborg", "officer")
        for _ in range(5):
            client = await raseborg_client(http, as_)
            read = await http.get(f"/clients/{client}/personal-data", headers={**officer, "X-Purpose": "correction"})

            edit, erasure = await asyncio.gather(
                http.patch(f"/clients/{client}/personal-data", json={"email": "late.edit@example.org"},
                           headers={**officer, "If-Match": read.headers["etag"]}),
                http.post(f"/clients/{client}/erasure", headers=officer, json={"basis": "client_request"}))

            assert erasure.status_code == 200 and edit.status_code in (200, 404, 422), edit.text
            assert await intake_db.fetchval("SELECT count(*) FROM vault_keys WHERE client_id = $1", UUID(client)) == 0


async def test_a_senders_newer_proposed_change_replaces_its_older_open_one(http, as_):
    person = invent()
    client = await raseborg_client(http, as_, person)
    officer = {**await as_("raseborg", "officer"), "X-Purpose": "check"}

    for n in range(3):
        await register(http, as_, "authority_contact", person, home_municipality="raseborg",
                       person_overrides={"email": f"attempt.{n}@example.org"})

    proposed = (await http.get(f"/clients/{client}/proposed-changes", headers=officer)).json()
    assert [(p["proposed_by"], p["values"]["email"]) for p in proposed] == [("luvn", "attempt.2@example.org")]
