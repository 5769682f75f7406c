"""Intake's HTTP API over real HTTP, with its own PostgreSQL database and real Kafka."""

from __future__ import annotations

import asyncio
import json
from uuid import UUID, uuid4

import pytest

from backbone import auth
from contracts.envelope import Envelope
from contracts.topics import event_topic
from intake import demo
from services.intake.tests.factories import PATHS, SENDERS, body
from services.intake.tests.integration.conftest import patch_person, register, stream_types, tail
from tests.support.people import invent

pytestmark = pytest.mark.integration

ORGANISATION_SOURCES = [s for s in PATHS if s != "own_request"]


class TestAuthentication:
    async def test_without_a_credential_a_registration_is_refused_with_401(self, http, intake_db):
        response = await http.post(PATHS["kela_notification"], json=body("kela_notification"))

        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"

    async def test_an_operator_may_count_but_not_register(self, http, as_):
        operator = await as_("operator", "operator")

        assert (await http.get("/clients/count", headers=operator)).status_code == 200
        assert (await http.post(PATHS["kela_notification"], json=body("kela_notification"),
                                headers=operator)).status_code == 403

    @pytest.mark.parametrize(("source", "intruder"), [
        ("employment_region_jobseeker", "kela"), ("kela_notification", "raseborg"),
        ("refugee_placement", "inga"), ("municipal_newcomer_notice", "employment-region")])
    async def test_a_source_sent_by_an_organisation_that_does_not_own_it_is_refused_and_nothing_kept(
            self, http, as_, intake_db, source, intruder):
        before = await intake_db.fetchval("SELECT count(*) FROM event_store")

        response = await register(http, as_, source, sender=intruder)

        assert response.status_code == 403
        assert response.json()["detail"][0]["rule"] in ("ownership.source", "ownership.municipality")
        assert await intake_db.fetchval("SELECT count(*) FROM event_store") == before


class TestSources:
    @pytest.mark.parametrize("source", ORGANISATION_SOURCES)
    async def test_each_source_registers_a_client_with_the_sender_on_its_event(self, http, as_, intake_db, source):
        response = await register(http, as_, source)

        assert response.status_code == 201, response.text
        accepted = response.json()
        assert accepted["created"] is True
        raw = await intake_db.fetchval("SELECT envelope FROM event_store WHERE event_id = $1",
                                       UUID(accepted["event_ids"][0]))
        envelope = Envelope.from_bytes(raw)
        assert (envelope.type, envelope.payload["source"], envelope.organisation) == (
            "ClientRegistered", source, SENDERS[source])

    async def test_R7_an_authority_contact_without_consent_is_refused_naming_the_rule(self, http, as_, intake_db):
        before = await intake_db.fetchval("SELECT count(*) FROM event_store")

        response = await register(http, as_, "authority_contact", consent_given_on=None)

        assert response.status_code == 422
        assert response.json()["detail"][0]["rule"] == "R7"
        assert await intake_db.fetchval("SELECT count(*) FROM event_store") == before

    async def test_R30_temporary_social_assistance_from_kela_is_refused_naming_the_rule(self, http, as_):
        response = await register(http, as_, "kela_notification", non_temporary=False)

        assert (response.status_code, response.json()["detail"][0]["rule"]) == (422, "R30")

    @pytest.mark.parametrize(("path", "change"), [
        (("person", "identity_code"), {"identity_code": "010101-123X"}),
        (("person", "email"), {"email": "not-an-address"}),
        (("person", "phone"), {"phone": "call me"}),
        (("person", "date_of_birth"), {"date_of_birth": "2999-01-01", "identity_code": None}),
        (("person", "languages"), {"languages": []}),
        (("person", "name"), {"name": ""}),
    ])
    async def test_invalid_personal_data_is_refused_with_422_naming_the_field_never_the_value(
            self, http, as_, intake_db, path, change):
        person = invent()
        before = await intake_db.fetchval("SELECT count(*) FROM event_store")

        response = await http.post(PATHS["kela_notification"],
                                   json=body("kela_notification", person, person_overrides=change),
                                   headers=await as_("kela"))

        assert response.status_code == 422
        assert [tuple(e["loc"][1:3]) for e in response.json()["detail"]] == [path]
        for value in (person.name, person.email, person.phone, person.identity_code):
            assert value not in response.text
        assert await intake_db.fetchval("SELECT count(*) FROM event_store") == before

    @pytest.mark.parametrize(("field", "change"), [
        ("home_municipality", {"home_municipality": "helsinki"}),
        ("first_permit_date", {"first_permit_date": "1999-12-31"}),
        ("benefit", {"benefit": "pension"}),
        ("non_temporary", {"non_temporary": None}),
    ])
    async def test_invalid_facts_are_refused_with_422_naming_the_field(self, http, as_, field, change):
        response = await http.post(PATHS["kela_notification"],
                                   json={k: v for k, v in body("kela_notification", **change).items() if v is not None},
                                   headers=await as_("kela"))

        assert response.status_code == 422
        assert [e["loc"][1] for e in response.json()["detail"]] == [field]


class TestIdempotency:
    async def test_a_retried_registration_with_the_same_key_gets_the_first_answer_and_is_applied_once(
            self, http, as_, intake_db):
        request = body("kela_notification", invent())
        headers = {**await as_("kela"), "Idempotency-Key": f"retry-{uuid4()}"}

        first = await http.post(PATHS["kela_notification"], json=request, headers=headers)
        again = await http.post(PATHS["kela_notification"], json=request, headers=headers)

        assert (first.status_code, again.status_code) == (201, 201)
        assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
        assert await stream_types(intake_db, first.json()["client_id"]) == ["ClientRegistered"]

    async def test_concurrent_twins_with_one_key_are_applied_once(self, http, as_, intake_db):
        request = body("refugee_placement", invent(), person_overrides={"identity_code": None})
        headers = {**await as_("hango"), "Idempotency-Key": f"twins-{uuid4()}"}

        answers = await asyncio.gather(*(http.post(PATHS["refugee_placement"], json=request, headers=headers)
                                         for _ in range(3)))

        assert {a.status_code for a in answers} == {201}
        assert len({a.json()["client_id"] for a in answers}) == 1
        assert await stream_types(intake_db, answers[0].json()["client_id"]) == ["ClientRegistered"]

    async def test_a_key_reused_for_another_request_is_refused_naming_the_header_rule(self, http, as_):
        headers = {**await as_("kela"), "Idempotency-Key": f"reused-{uuid4()}"}
        await http.post(PATHS["kela_notification"], json=body("kela_notification", invent()), headers=headers)

        response = await http.post(PATHS["kela_notification"], json=body("kela_notification", invent()),
                                   headers=headers)

        assert (response.status_code, response.json()["detail"][0]["rule"]) == (422, "input.idempotency_key")

    async def test_the_same_key_from_another_organisation_is_its_own(self, http, as_):
        key = f"shared-{uuid4()}"
        kela = await http.post(PATHS["kela_notification"], json=body("kela_notification", invent()),
                               headers={**await as_("kela"), "Idempotency-Key": key})
        luvn = await http.post(PATHS["authority_contact"], json=body("authority_contact", invent()),
                               headers={**await as_("luvn"), "Idempotency-Key": key})

        assert (kela.status_code, luvn.status_code) == (201, 201)
        assert kela.json()["client_id"] != luvn.json()["client_id"]


class TestOnePersonOneClient:
    async def test_a_second_source_with_the_same_identity_code_adds_to_the_existing_client(self, http, as_,
                                                                                         intake_db):
        person = invent()
        first = (await register(http, as_, "municipal_newcomer_notice", person)).json()

        second = await register(http, as_, "employment_region_jobseeker", person)

        assert second.status_code == 201
        assert (second.json()["client_id"], second.json()["created"]) == (first["client_id"], False)
        assert await stream_types(intake_db, first["client_id"]) == [
            "ClientRegistered", "ClientSourceAdded", "ClientDetailsChanged", "ResponsibilityAssigned"]

    async def test_concurrent_registrations_of_one_person_make_one_client(self, http, as_):
        person = invent()
        responses = await asyncio.gather(*(register(http, as_, source, person) for source in
                                           ("kela_notification", "refugee_placement", "authority_contact")))

        assert {r.status_code for r in responses} == {201}
        assert len({r.json()["client_id"] for r in responses}) == 1
        assert sorted(r.json()["created"] for r in responses) == [False, False, True]

    async def test_same_name_birth_date_and_municipality_without_a_code_is_flagged_never_merged(
            self, http, as_, intake_db):
        person = invent()
        first = (await register(http, as_, "refugee_placement", person)).json()

        second = (await register(http, as_, "kela_notification", person,
                                 person_overrides={"identity_code": None, "name": person.name.upper()})).json()

        assert second["created"] is True and second["possible_duplicates"] == [first["client_id"]]
        assert "PossibleDuplicateFlagged" in await stream_types(intake_db, second["client_id"])
        listed = (await http.get("/duplicates", headers=await as_("raseborg", "officer"))).json()
        assert {"client_id": second["client_id"], "other_client_id": first["client_id"]}.items() <= \
            next(f for f in listed if f["client_id"] == second["client_id"]).items()

    async def test_an_officer_merges_a_flagged_pair_and_the_decision_is_on_both_streams(self, http, as_, intake_db):
        person = invent()
        first = (await register(http, as_, "refugee_placement", person)).json()
        second = (await register(http, as_, "kela_notification", person,
                                 person_overrides={"identity_code": None})).json()
        officer = await as_("raseborg", "officer")

        response = await http.post("/duplicates/resolution", headers=officer, json={
            "client_id": second["client_id"], "other_client_id": first["client_id"], "resolution": "merged",
            "surviving_client_id": first["client_id"]})

        assert response.status_code == 200, response.text
        assert "DuplicateResolved" in await stream_types(intake_db, first["client_id"])
        assert "DuplicateResolved" in await stream_types(intake_db, second["client_id"])
        survivor = (await http.get(f"/clients/{first['client_id']}", headers=officer)).json()
        assert {"international_protection", "social_assistance"} <= set(survivor["target_groups"])
        again = await http.post("/duplicates/resolution", headers=officer, json={
            "client_id": second["client_id"], "other_client_id": first["client_id"], "resolution": "not_duplicate"})
        assert (again.status_code, again.json()["detail"][0]["rule"]) == (409, "duplicates.open")

    async def test_another_organisation_may_not_resolve_the_pair(self, http, as_):
        person = invent()
        first = (await register(http, as_, "refugee_placement", person)).json()
        second = (await register(http, as_, "kela_notification", person,
                                 person_overrides={"identity_code": None})).json()

        response = await http.post("/duplicates/resolution", headers=await as_("inga", "officer"), json={
            "client_id": second["client_id"], "other_client_id": first["client_id"], "resolution": "not_duplicate"})

        assert (response.status_code, response.json()["detail"][0]["rule"]) == (403, "ownership.client")


class TestResponsibility:
    async def test_R5_the_employment_region_ends_jobseeker_status_and_the_municipality_takes_over(
            self, http, as_, intake_db):
        client = (await register(http, as_, "employment_region_jobseeker", invent())).json()["client_id"]

        response = await http.post(f"/clients/{client}/jobseeker-status", headers=await as_("employment-region"),
                                   json={"registered": False, "on": body("kela_notification")["first_permit_date"]})

        assert response.status_code == 200, response.text
        summary = (await http.get(f"/clients/{client}", headers=await as_("raseborg", "officer"))).json()
        assert (summary["responsible_organisation"], summary["registered_jobseeker"]) == ("raseborg", False)

    async def test_R5_only_the_employment_region_changes_jobseeker_status(self, http, as_):
        client = (await register(http, as_, "kela_notification", invent())).json()["client_id"]

        response = await http.post(f"/clients/{client}/jobseeker-status", headers=await as_("raseborg"),
                                   json={"registered": True, "on": "2026-01-05"})

        assert (response.status_code, response.json()["detail"][0]["rule"]) == (403, "ownership.jobseeker_status")

    async def test_R5_a_move_to_inkoo_recorded_by_the_responsible_organisation_hands_the_client_to_inkoo(
            self, http, as_):
        client = (await register(http, as_, "kela_notification", invent())).json()["client_id"]

        response = await http.post(f"/clients/{client}/home-municipality", headers=await as_("raseborg"),
                                   json={"home_municipality": "inga", "on": "2026-01-05"})

        assert response.status_code == 200
        summary = (await http.get(f"/clients/{client}", headers=await as_("inga", "officer"))).json()
        assert (summary["home_municipality"], summary["responsible_organisation"]) == ("inga", "inga")


class TestWorklist:
    async def test_an_organisation_lists_its_own_clients_soonest_due_first_and_pages_through_them(self, http, as_):
        mine = {(await register(http, as_, "kela_notification", invent())).json()["client_id"] for _ in range(3)}
        officer = await as_("raseborg", "officer")

        listed, after = [], None
        while True:
            page = (await http.get("/clients", headers=officer, params={"state": "to_be_assessed", "limit": 50,
                                                                        **({"after": after} if after else {})})).json()
            listed += page
            if len(page) < 50:
                break
            after = page[-1]["client_id"]

        assert mine <= {c["client_id"] for c in listed}
        assert {c["responsible_organisation"] for c in listed} == {"raseborg"}
        assert {c["state"] for c in listed} == {"to_be_assessed"}

    async def test_R6_luvn_sees_the_clients_it_takes_part_for_but_not_their_personal_data(self, http, as_):
        refugee = (await register(http, as_, "refugee_placement", invent())).json()["client_id"]
        jobseeker = (await register(http, as_, "employment_region_jobseeker", invent())).json()["client_id"]
        luvn = await as_("luvn", "officer")

        summary = await http.get(f"/clients/{refugee}", headers=luvn)
        personal = await http.get(f"/clients/{refugee}/personal-data", headers={**luvn, "X-Purpose": "assessment"})

        assert summary.status_code == 200 and summary.json()["luvn_participation_required"] is True
        assert (await http.get(f"/clients/{jobseeker}", headers=luvn)).status_code == 403
        assert personal.status_code == 403


class TestVault:
    async def test_personal_data_is_stored_encrypted_and_found_nowhere_in_clear(self, http, as_, intake_db):
        person = invent()
        client = UUID((await register(http, as_, "kela_notification", person)).json()["client_id"])

        blob = await intake_db.fetchval("SELECT ciphertext FROM vault_records WHERE client_id = $1", client)
        dump = json.dumps([dict(r) for r in await intake_db.fetch("SELECT * FROM clients WHERE client_id = $1",
                                                                  client)], default=str)
        for value in (person.name, person.email, person.identity_code, person.phone):
            assert value.encode() not in blob and value not in dump

    async def test_an_officer_of_the_responsible_organisation_reads_the_person_and_the_read_is_logged(
            self, http, as_):
        person = invent()
        client = (await register(http, as_, "kela_notification", person)).json()["client_id"]
        officer = await as_("raseborg", "officer")

        read = await http.get(f"/clients/{client}/personal-data", headers={**officer, "X-Purpose": "case_handling"})
        log = (await http.get(f"/clients/{client}/access-log", headers=officer)).json()

        assert read.status_code == 200
        assert (read.json()["name"], read.json()["identity_code"]) == (person.name, person.identity_code)
        assert (log[0]["principal"], log[0]["role"], log[0]["purpose"]) == ("raseborg", "officer", "case_handling")

    async def test_an_officer_corrects_the_person_and_only_the_languages_are_published(self, http, as_, intake_db):
        client = (await register(http, as_, "kela_notification", invent(languages=("ar", "sv")))).json()["client_id"]
        officer = await as_("raseborg", "officer")

        response = await patch_person(http, client, officer, {"email": "new.address@example.org",
                                                              "languages": ["pl", "en"]})

        assert response.status_code == 200, response.text
        read = (await http.get(f"/clients/{client}/personal-data", headers={**officer, "X-Purpose": "check"})).json()
        assert (read["email"], read["languages"]) == ("new.address@example.org", ["pl", "en"])
        raw = await intake_db.fetchval("SELECT envelope FROM event_store WHERE stream_id = $1 ORDER BY version DESC "
                                       "LIMIT 1", UUID(client))
        changed = Envelope.from_bytes(raw)
        assert (changed.type, changed.payload["languages"]) == ("ClientDetailsChanged", ["pl", "en"])
        assert b"new.address" not in raw

    async def test_an_identity_code_of_another_client_is_refused_as_a_duplicate(self, http, as_):
        taken = invent()
        await register(http, as_, "kela_notification", taken)
        client = (await register(http, as_, "kela_notification", invent(),
                                 person_overrides={"identity_code": None})).json()["client_id"]

        response = await patch_person(http, client, await as_("raseborg", "officer"),
                                      {"identity_code": taken.identity_code})

        assert (response.status_code, response.json()["detail"][0]["rule"]) == (409, "duplicates.identity_code")

    async def test_a_correction_that_contradicts_the_identity_code_is_refused_naming_the_field(self, http, as_):
        person = invent()
        client = (await register(http, as_, "kela_notification", person)).json()["client_id"]

        response = await patch_person(http, client, await as_("raseborg", "officer"),
                                      {"date_of_birth": "1930-01-01"})  # before any invented birth

        assert response.status_code == 422
        assert "identity_code" in response.json()["detail"][0]["msg"]
        assert person.identity_code not in response.text

    async def test_another_organisation_may_not_read_the_person(self, http, as_):
        client = (await register(http, as_, "kela_notification", invent())).json()["client_id"]

        response = await http.get(f"/clients/{client}/personal-data",
                                  headers={**await as_("hango", "officer"), "X-Purpose": "curiosity"})

        assert response.status_code == 403

    async def test_notifications_gets_contact_details_and_languages_and_every_access_is_logged(
            self, http, as_, intake_db):
        person = invent()
        client = (await register(http, as_, "refugee_placement", person)).json()["client_id"]

        response = await http.get(f"/internal/clients/{client}/contact",
                                  headers={**await as_("notifications", "service"), "X-Purpose": "welcome_letter"})

        assert response.status_code == 200
        assert (response.json()["email"], response.json()["languages"]) == (person.email, list(person.languages))
        row = await intake_db.fetchrow("SELECT * FROM vault_access_log WHERE client_id = $1", UUID(client))
        assert (row["principal"], row["purpose"]) == ("notifications", "welcome_letter")
        assert "email" in row["fields"]

    async def test_notifications_reads_several_clients_at_once_each_read_logged_with_its_purpose_erased_not_found(
            self, http, as_, intake_db):
        people = [invent(), invent()]
        clients = [(await register(http, as_, "refugee_placement", p)).json()["client_id"] for p in people]
        erased = (await register(http, as_, "kela_notification", invent())).json()["client_id"]
        gone = await http.post(f"/clients/{erased}/erasure", headers=await as_("raseborg", "officer"),
                               json={"basis": "client_request"})
        assert gone.status_code == 200, gone.text
        reads = [{"client_id": clients[0], "purpose": "notification_welcome"},
                 {"client_id": clients[1], "purpose": "notification_plan_issued"},
                 {"client_id": clients[0], "purpose": "notification_interview_invitation"},
                 {"client_id": erased, "purpose": "notification_welcome"}]

        response = await http.post("/internal/contacts", json={"reads": reads},
                                   headers=await as_("notifications", "service"))

        assert response.status_code == 200, response.text
        found = response.json()
        assert [(c["client_id"], c["email"]) for c in found["contacts"]] == [
            (clients[0], people[0].email), (clients[1], people[1].email)]
        assert found["not_found"] == [erased]
        logged = await intake_db.fetch(
            "SELECT client_id::text, principal, purpose FROM vault_access_log WHERE client_id = ANY($1::uuid[]) "
            "AND principal = 'notifications' ORDER BY id", [UUID(c) for c in (*clients, erased)])
        assert [(r["client_id"], r["purpose"]) for r in logged] == [(r["client_id"], r["purpose"]) for r in reads]

    async def test_the_batch_contact_read_is_for_notifications_only_and_takes_at_most_100_reads(self, http, as_):
        client = (await register(http, as_, "refugee_placement", invent())).json()["client_id"]
        one = {"reads": [{"client_id": client, "purpose": "notification_welcome"}]}

        other = await http.post("/internal/contacts", json=one, headers=await as_("planning", "service"))
        officer = await http.post("/internal/contacts", json=one, headers=await as_("raseborg", "officer"))
        too_many = await http.post("/internal/contacts", headers=await as_("notifications", "service"),
                                   json={"reads": one["reads"] * 101})
        no_purpose = await http.post("/internal/contacts", headers=await as_("notifications", "service"),
                                     json={"reads": [{"client_id": client, "purpose": "Bad Purpose"}]})

        assert (other.status_code, officer.status_code, too_many.status_code, no_purpose.status_code) == (
            403, 403, 422, 422)

    async def test_another_service_may_not_read_contact_details(self, http, as_):
        client = (await register(http, as_, "refugee_placement", invent())).json()["client_id"]

        response = await http.get(f"/internal/clients/{client}/contact",
                                  headers={**await as_("planning", "service"), "X-Purpose": "welcome_letter"})

        assert response.status_code == 403

    async def test_a_read_without_a_purpose_is_refused_naming_the_header(self, http, as_):
        client = (await register(http, as_, "refugee_placement", invent())).json()["client_id"]

        response = await http.get(f"/internal/clients/{client}/contact", headers=await as_("notifications", "service"))

        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["header", "X-Purpose"]


class TestErasure:
    async def test_erasure_destroys_the_key_and_data_and_publishes_client_erased(self, http, as_, intake_db):
        person = invent()
        client = (await register(http, as_, "kela_notification", person)).json()["client_id"]
        officer = await as_("raseborg", "officer")

        response = await http.post(f"/clients/{client}/erasure", headers=officer, json={"basis": "client_request"})

        assert response.status_code == 200
        read = await http.get(f"/clients/{client}/personal-data", headers={**officer, "X-Purpose": "check"})
        assert read.status_code == 404
        for table in ("vault_keys", "vault_records", "vault_match_keys"):
            assert await intake_db.fetchval(f"SELECT count(*) FROM {table} WHERE client_id = $1", UUID(client)) == 0
        assert (await stream_types(intake_db, client))[-1] == "ClientErased"
        again = (await register(http, as_, "kela_notification", person)).json()
        assert again["created"] is True and again["client_id"] != client  # the person is not known any more

    async def test_only_the_responsible_organisation_erases(self, http, as_):
        client = (await register(http, as_, "kela_notification", invent())).json()["client_id"]

        response = await http.post(f"/clients/{client}/erasure", headers=await as_("hango", "officer"),
                                   json={"basis": "client_request"})

        assert response.status_code == 403


class TestReadingAndKafka:
    async def test_an_unknown_client_is_404(self, http, as_):
        response = await http.get(f"/clients/{uuid4()}", headers=await as_("operator", "operator"))

        assert response.status_code == 404

    async def test_the_event_reaches_kafka_keyed_by_the_client_id_without_any_personal_data(self, http, as_, infra,
                                                                                           unique):
        person = invent()
        async with tail(infra, event_topic("intake"), principal="audit", group=f"audit-intake-test-{unique}") as next_:
            client_id = (await register(http, as_, "refugee_placement", person)).json()["client_id"]

            record = await next_(lambda r: r.key == client_id.encode())

        envelope = Envelope.from_bytes(record.value)
        assert (envelope.type, str(envelope.client_id), envelope.producer) == ("ClientRegistered", client_id, "intake")
        for value in (person.name, person.email, person.phone, person.identity_code,
                      person.date_of_birth.isoformat()):
            assert value not in record.value.decode()

    async def test_the_ingress_public_key_is_published_without_a_credential(self, http):
        key = (await http.get("/ingress/public-key")).json()

        assert len(key["key_id"]) == 16 and key["public_key"]
        assert key["suite"] == {"standard": "HPKE, RFC 9180", "mode": "base", "kem": "DHKEM(X25519, HKDF-SHA256)",
                                "kem_id": 0x20, "kdf": "HKDF-SHA256", "kdf_id": 1, "aead": "AES-256-GCM",
                                "aead_id": 2}
        assert key["token"].startswith("v2.<key_id>.") and key["context"] == "ingress:<message_id>"


class TestDemoSeeder:
    async def test_it_registers_up_to_the_count_and_a_second_run_registers_nothing(self, http, as_, intake_url,
                                                                                 intake_db):
        async with intake_db.acquire() as conn:
            tokens = await demo.issue_demo_credentials(conn)
        target = (await http.get("/clients/count", headers=await as_("operator", "operator"))).json()["clients"] + 3

        first = await asyncio.to_thread(demo.seed, intake_url, target, tokens)
        second = await asyncio.to_thread(demo.seed, intake_url, target, tokens)

        assert (len(first), second) == (3, [])
        assert (await http.get("/clients/count", headers=await as_("operator", "operator"))).json()["clients"] >= target
        async with intake_db.acquire() as conn:
            await demo.revoke_demo_credentials(conn, tokens)
            left = [await auth.get_credential(conn, auth.parse_token(t)[0]) for t in tokens.values()]
        assert all(c.revoked_at is not None for c in left)  # the seeder leaves no credential behind
