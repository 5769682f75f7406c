"""Assessment on real Kafka and PostgreSQL, fed by a real intake: a registration opens a case, officers
carry it to a completed assessment over HTTP, the events reach the bus and the audit trail, and whoever may
not act is refused without anything being half-applied."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import TopicAuthorizationFailedError

from assessment import demo
from audit.bootstrap import build as build_audit
from audit.config import AuditSettings
from backbone.clock import today_in_finland
from backbone.workdays import WorkingDays
from contracts.envelope import Envelope
from contracts.topics import event_topic
from deploy.config import REPO
from services.assessment.tests.integration.conftest import acall, eventually
from services.intake.tests.factories import PATHS, body
from tests.support.processes import free_port
from tests.support.serving import serving, tail

pytestmark = pytest.mark.integration

ALL_TOPICS = ["goals", "plan_process", "plan_binding", "rights_and_duties", "data_handling"]
COMPETENCE = {"education_level": "upper_secondary", "work_experience_fields": ["retail", "cleaning"],
              "language_skills": [{"language": "sv", "level": "a2"}, {"language": "en", "level": "b2"}],
              "native_language_literacy": "good", "work_ability": "full",
              "service_needs": ["integration_training", "civic_orientation"]}


def audit_settings(infra) -> tuple[AuditSettings, dict[str, str]]:
    env = infra.service_env("audit", free_port())
    return AuditSettings(**{k.removeprefix("AUDIT_").lower(): v for k, v in env.items()}), env


@pytest.fixture(scope="module")
async def audit_env(infra):
    settings, env = audit_settings(infra)
    async with serving(build_audit(settings), settings.http_port, "audit"):
        yield env


async def register(services, tokens, source: str, sender: str, **overrides) -> tuple[UUID, dict]:
    intake_url, _ = services
    payload = body(source, **overrides)
    status, answer = await acall("POST", intake_url + PATHS[source], await tokens("intake", sender, "system"), payload)
    assert status == 201, answer
    return UUID(answer["client_id"]), payload


async def case_of(services, tokens, client_id: UUID, timeout: float = 60) -> dict:
    """The client's case as an operator sees it, once assessment has opened it."""
    _, url = services
    token = await tokens("assessment", "operator", "operator")

    async def probe():
        status, answer = await acall("GET", f"{url}/clients/{client_id}/case", token)
        return answer if status == 200 else None

    found = await eventually(probe, timeout)
    assert found, f"no case for client {client_id} within {timeout} s"
    return found


def booking(languages: list[str], **overrides) -> dict:
    scheduled = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    return {"scheduled_at": scheduled.isoformat(), "place": "karis", "language": "fi",
            "interpreter": {"language": languages[0], "mode": "on_site"}, "cancellation_instructions_given": True,
            **overrides}


class TestFromRegistrationToCompletedAssessment:
    async def test_a_jobseeker_registered_at_intake_is_assessed_and_the_audit_trail_records_it(
            self, infra, services, tokens, audit_env):
        _, url = services
        client_id, payload = await register(services, tokens, "employment_region_jobseeker", "employment-region")
        case = await case_of(services, tokens, client_id)

        today = today_in_finland()
        assert (case["status"], case["due_rule"], case["responsible_organisation"]) == (
            "open", "R9", "employment-region")
        assert case["due_on"] == WorkingDays().add(today, 5).isoformat()

        officer = await tokens("assessment", "employment-region")
        base = f"{url}/cases/{case['assessment_id']}"
        async with tail(infra, event_topic("assessment"), principal="operator",
                        group=f"operator-assessment-test-{client_id}") as next_matching:
            status, booked = await acall("POST", f"{base}/interview", officer, booking(payload["person"]["languages"]))
            assert status == 200, booked
            scheduled = await next_matching(lambda r: r.key == str(client_id).encode() and
                                            Envelope.from_bytes(r.value).type == "InitialInterviewScheduled")
            invitation = Envelope.from_bytes(scheduled.value).payload
            assert (invitation["place"], invitation["cancellation_instructions_given"], invitation["due_rule"]) == (
                "karis", True, "R9")

            for method, path, step in (
                    ("POST", "/interview/held", {"held_on": today.isoformat(), "information_given": ALL_TOPICS}),
                    ("PUT", "/competence", COMPETENCE),
                    ("POST", "/completion", {"completed_on": today.isoformat()})):
                status, answer = await acall(method, base + path, officer, step)
                assert status == 200, (path, answer)

            record = await next_matching(lambda r: r.key == str(client_id).encode() and
                                         Envelope.from_bytes(r.value).type == "AssessmentCompleted")
        completed = Envelope.from_bytes(record.value)
        assert completed.producer == "assessment" and completed.organisation == "employment-region"
        assert completed.payload["plan_needed"] is True
        assert completed.payload["service_needs"] == ["integration_training", "civic_orientation"]
        for field in ("education_level", "work_ability", "language_skills"):
            assert field not in completed.payload  # competence stays in assessment's database

        conn = await asyncpg.connect(infra.dsn("audit"))
        try:
            recorded = await eventually(lambda: conn.fetchval(
                "SELECT count(*) FROM audit_trail WHERE event_id = $1", completed.event_id), timeout=120)
        finally:
            await conn.close()
        assert recorded == 1
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "audit", "verify", env=audit_env,
                                                    cwd=REPO, stdout=asyncio.subprocess.PIPE)
        out, _ = await asyncio.wait_for(proc.communicate(), 120)
        assert proc.returncode == 0, out.decode()
        assert out.decode().startswith("OK: ")

    async def test_r28_and_r6_completion_refused_with_the_rule_until_satisfied(self, services, tokens):
        _, url = services
        client_id, payload = await register(services, tokens, "refugee_placement", "hango")
        case = await case_of(services, tokens, client_id)
        assert case["luvn_required"] is True  # quota refugees: LUVN takes part (R6)
        officer = await tokens("assessment", case["responsible_organisation"])
        base = f"{url}/cases/{case['assessment_id']}"
        today = today_in_finland().isoformat()

        assert (await acall("POST", f"{base}/interview", officer, booking(payload["person"]["languages"])))[0] == 200
        assert (await acall("POST", f"{base}/interview/held", officer,
                            {"held_on": today, "information_given": ALL_TOPICS[:3]}))[0] == 200
        assert (await acall("PUT", f"{base}/competence", officer, COMPETENCE))[0] == 200

        status, answer = await acall("POST", f"{base}/completion", officer, {"completed_on": today})
        assert (status, answer["detail"][0]["rule"]) == (422, "R28")
        assert (await acall("POST", f"{base}/information", officer, {"on": today, "topics": ALL_TOPICS[3:]}))[0] == 200

        status, answer = await acall("POST", f"{base}/completion", officer, {"completed_on": today})
        assert (status, answer["detail"][0]["rule"]) == (422, "R6")
        status, answer = await acall("POST", f"{base}/luvn-confirmation", officer, {"confirmed_on": today})
        assert (status, answer["detail"][0]["rule"]) == (403, "ownership.case")  # LUVN's to confirm, not theirs
        status, _ = await acall("POST", f"{base}/luvn-confirmation", await tokens("assessment", "luvn"),
                                {"confirmed_on": today})
        assert status == 200

        status, done = await acall("POST", f"{base}/completion", officer, {"completed_on": today})
        assert status == 200 and len(done["event_ids"]) == 1
        detail = (await acall("GET", base, officer))[1]
        assert (detail["status"], detail["plan_needed"], detail["information_missing"]) == ("completed", True, [])


class TestRefusals:
    async def test_another_organisations_officer_is_refused_over_http_and_nothing_changes(self, services, tokens):
        _, url = services
        client_id, payload = await register(services, tokens, "employment_region_jobseeker", "employment-region")
        case = await case_of(services, tokens, client_id)
        base = f"{url}/cases/{case['assessment_id']}"
        outsider = await tokens("assessment", "hango")

        status, answer = await acall("POST", f"{base}/interview", outsider, booking(payload["person"]["languages"]))
        assert (status, answer["detail"][0]["rule"]) == (403, "ownership.case")
        status, answer = await acall("GET", base, outsider)
        assert status == 403
        status, worklist = await acall("GET", f"{url}/cases?limit=500", outsider)
        assert status == 200 and case["assessment_id"] not in {c["assessment_id"] for c in worklist}
        events = (await acall("GET", f"{base}/events", await tokens("assessment", "employment-region")))[1]
        assert [e["type"] for e in events] == ["AssessmentCaseOpened"]

    async def test_r27_a_relative_as_interpreter_is_refused_with_the_rule_and_nothing_is_booked(
            self, services, tokens):
        _, url = services
        client_id, payload = await register(services, tokens, "employment_region_jobseeker", "employment-region")
        case = await case_of(services, tokens, client_id)
        officer = await tokens("assessment", "employment-region")
        relative = booking(payload["person"]["languages"])
        relative["interpreter"]["relative"] = True

        status, answer = await acall("POST", f"{url}/cases/{case['assessment_id']}/interview", officer, relative)

        assert (status, answer["detail"][0]["rule"]) == (422, "R27")
        detail = (await acall("GET", f"{url}/cases/{case['assessment_id']}", officer))[1]
        assert (detail["status"], detail["interview"]) == ("open", None)

    async def test_an_invalid_request_names_the_field_never_the_value(self, services, tokens):
        _, url = services
        client_id, payload = await register(services, tokens, "employment_region_jobseeker", "employment-region")
        case = await case_of(services, tokens, client_id)
        officer = await tokens("assessment", "employment-region")

        status, answer = await acall("POST", f"{url}/cases/{case['assessment_id']}/interview", officer,
                                     booking(payload["person"]["languages"], place="Ekenäs sjukhus"))

        assert status == 422
        assert answer["detail"][0]["loc"] == ["body", "place"]
        assert "Ekenäs sjukhus" not in str(answer)

    async def test_the_assessment_principal_cannot_write_to_intakes_topic(self, infra, unique):
        producer = AIOKafkaProducer(**infra.kafka_kwargs("assessment"), enable_idempotence=True, acks="all",
                                    request_timeout_ms=10000)
        await producer.start()
        try:
            with pytest.raises(TopicAuthorizationFailedError):
                await producer.send_and_wait(event_topic("intake"), b"forged", key=unique.encode())
        finally:
            await producer.stop()


class TestOwnershipFollowsIntake:
    async def test_when_responsibility_moves_the_case_moves_and_the_old_owner_loses_access(self, services, tokens):
        intake_url, url = services
        client_id, payload = await register(services, tokens, "kela_notification", "kela")
        case = await case_of(services, tokens, client_id)
        before = case["responsible_organisation"]
        assert before != "employment-region"

        # The employment region registers the same person as a jobseeker: responsibility moves at once (R5).
        jobseeker = body("employment_region_jobseeker", person_overrides=payload["person"])
        status, answer = await acall("POST", intake_url + PATHS["employment_region_jobseeker"],
                                     await tokens("intake", "employment-region", "system"), jobseeker)
        assert status in (200, 201), answer
        assert answer["client_id"] == str(client_id)

        async def moved():
            detail = await case_of(services, tokens, client_id)
            return detail if detail["responsible_organisation"] == "employment-region" else None

        assert await eventually(moved), "the case did not follow ResponsibilityAssigned"
        base = f"{url}/cases/{case['assessment_id']}"
        status, answer = await acall("POST", f"{base}/interview", await tokens("assessment", before),
                                     booking(payload["person"]["languages"]))
        assert (status, answer["detail"][0]["rule"]) == (403, "ownership.case")
        status, _ = await acall("POST", f"{base}/interview", await tokens("assessment", "employment-region"),
                                booking(payload["person"]["languages"]))
        assert status == 200


class TestWhoGetsACase:
    async def test_r8_a_guidance_only_client_gets_no_case(self, services, tokens, assessment_db):
        client_id, _ = await register(services, tokens, "municipal_newcomer_notice", "hango")

        async def known():
            return await assessment_db.fetchval("SELECT state FROM client_view WHERE client_id = $1", client_id)

        assert await eventually(known) == "guidance_only"
        await asyncio.sleep(0.5)
        assert await assessment_db.fetchval("SELECT count(*) FROM cases WHERE client_id = $1", client_id) == 0


class TestNotes:
    async def test_notes_are_encrypted_per_client_and_destroyed_when_the_client_is_erased(
            self, infra, services, tokens, assessment_db):
        intake_url, url = services
        client_id, _ = await register(services, tokens, "employment_region_jobseeker", "employment-region")
        case = await case_of(services, tokens, client_id)
        officer = await tokens("assessment", "employment-region")
        text = f"Prefers mornings; note {client_id}"

        status, _ = await acall("POST", f"{url}/cases/{case['assessment_id']}/notes", officer, {"text": text})
        assert status == 201
        sealed = await assessment_db.fetchval("SELECT sealed FROM case_notes WHERE client_id = $1", client_id)
        assert text.encode() not in sealed and b"mornings" not in sealed
        notes = (await acall("GET", f"{url}/cases/{case['assessment_id']}/notes", officer))[1]
        assert [n["text"] for n in notes] == [text]

        status, answer = await acall("POST", f"{intake_url}/clients/{client_id}/erasure",
                                     await tokens("intake", "employment-region"), {"basis": "client_request"})
        assert status == 200, answer

        async def erased():
            return await assessment_db.fetchval(
                "SELECT shredded_at IS NOT NULL FROM client_keys WHERE client_id = $1", client_id)

        assert await eventually(erased)
        assert await assessment_db.fetchval("SELECT count(*) FROM case_notes WHERE client_id = $1", client_id) == 0
        status, _ = await acall("GET", f"{url}/cases/{case['assessment_id']}", officer)
        assert status == 404


class TestWorklist:
    async def test_soonest_due_first_with_filters(self, services, tokens):
        _, url = services
        for _ in range(2):
            await register(services, tokens, "employment_region_jobseeker", "employment-region")
        officer = await tokens("assessment", "employment-region")
        await asyncio.sleep(0.5)
        status, cases = await acall("GET", f"{url}/cases?state=open&limit=500", officer)
        assert status == 200 and cases
        assert [c["due_on"] for c in cases] == sorted(c["due_on"] for c in cases)
        assert {c["status"] for c in cases} == {"open"}
        assert {c["responsible_organisation"] for c in cases} == {"employment-region"}
        first_due = cases[0]["due_on"]
        status, earlier = await acall("GET", f"{url}/cases?due_before={first_due}", officer)
        assert status == 200 and all(c["due_on"] < first_due for c in earlier)
        status, at_karis = await acall("GET", f"{url}/cases?place=karis&limit=500", officer)
        assert status == 200 and all(c["place"] == "karis" for c in at_karis)
        status, answer = await acall("GET", f"{url}/cases?place=stockholm", officer)
        assert status == 422 and answer["detail"][0]["loc"] == ["query", "place"]


class TestDemo:
    async def test_the_demo_books_and_completes_what_is_missing_and_a_second_run_does_nothing(
            self, services, tokens, assessment_db):
        _, url = services
        await register(services, tokens, "employment_region_jobseeker", "employment-region")
        await register(services, tokens, "employment_region_jobseeker", "employment-region")
        organisations = ("employment-region", "raseborg", "hango", "inga", "luvn")
        demo_tokens = {o: await tokens("assessment", o) for o in organisations}
        demo_tokens["operator"] = await tokens("assessment", "operator", "operator")
        cases = await asyncio.to_thread(demo.all_cases, url, demo_tokens["operator"])
        booked = sum(c["status"] != "open" for c in cases)
        completed = sum(c["status"] == "completed" for c in cases)

        first = await asyncio.to_thread(demo.carry, url, demo_tokens, book=booked + 1, complete=completed + 1)
        second = await asyncio.to_thread(demo.carry, url, demo_tokens, book=booked + 1, complete=completed + 1)

        assert sum("assessment completed" in line for line in first) == 1
        assert sum("interview booked" in line for line in first) == 1
        assert second == []
