"""The console over plain HTTP against the audit service as a process: who may log in, the cookie,
CSRF, what an officer may not see, dead letters kept from every service's topic, redrive recorded."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import date

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer

from contracts.topics import dead_letter_topic
from services.audit.tests.console_support import FakeService, issue, publish, registered, start_audit, wait_caught_up

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def fakes():
    fakes = {"notifications": FakeService(outcome="dead-lettered-again").start()}
    yield fakes
    for f in fakes.values():
        f.stop()


@pytest.fixture(scope="module")
def audit(infra, tmp_path_factory, fakes):
    proc = start_audit(infra, tmp_path_factory.mktemp("console-http"), AUDIT_CONSOLE_SECURE_COOKIE="true",
                       AUDIT_SERVICE_URLS=json.dumps({s: f.url for s, f in fakes.items()}))
    try:
        proc.wait_ready()
        wait_caught_up(infra)
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def tokens(infra, audit):
    async def make():
        return {"operator": await issue(infra, "audit", "operator", "operator"),
                "inga": await issue(infra, "audit", "inga", "officer"),
                "service": await issue(infra, "audit", "intake", "service")}
    return asyncio.run(make())


def client(audit, token: str | None = None) -> httpx.Client:
    return httpx.Client(base_url=audit.url, cookies={"console_session": token} if token else None, timeout=30,
                        follow_redirects=False)


def csrf_of(html: str) -> str:
    return html.split('name="csrf" value="')[1].split('"')[0]


class TestLogin:
    def test_the_token_is_kept_in_a_secure_httponly_strict_cookie(self, audit, tokens):
        resp = client(audit).post("/console/login", data={"token": tokens["operator"], "next": "/console/lag"})

        assert resp.status_code == 303 and resp.headers["location"] == "/console/lag"
        cookie = resp.headers["set-cookie"]
        assert cookie.startswith(f"console_session={tokens['operator']};")
        assert {"HttpOnly", "Secure", "SameSite=strict", "Path=/console"} <= {p.strip() for p in cookie.split(";")}

    @pytest.mark.parametrize("which", ["service", "wrong", "empty"])
    def test_a_credential_that_is_not_an_operators_or_officers_gets_no_cookie(self, audit, tokens, which):
        token = {"service": tokens["service"], "wrong": tokens["operator"][:-4] + "AAAA", "empty": ""}[which]

        resp = client(audit).post("/console/login", data={"token": token})

        assert resp.status_code == 401 and "set-cookie" not in resp.headers
        assert token == "" or token not in resp.text

    def test_a_login_posted_from_another_site_is_refused(self, audit, tokens):
        resp = client(audit).post("/console/login", data={"token": tokens["operator"]},
                                  headers={"Origin": "https://evil.example"})

        assert resp.status_code == 403 and "set-cookie" not in resp.headers

    def test_pages_without_a_session_lead_to_the_login_form_and_never_elsewhere(self, audit):
        assert client(audit).get("/console/lag").headers["location"].startswith("/console/login?next=%2Fconsole%2Flag")
        form = client(audit).get("/console/login", params={"next": "https://evil.example/"}).text
        assert 'name="next" value="/console/log"' in form

    def test_pages_forbid_framing_and_scripts_from_elsewhere(self, audit, tokens):
        resp = client(audit, tokens["operator"]).get("/console/log")

        assert resp.status_code == 200
        assert "default-src 'none'" in resp.headers["content-security-policy"]
        assert resp.headers["x-frame-options"] == "DENY" and "http" not in resp.text.split("<main")[0].replace(
            'xmlns="http://www.w3.org/2000/svg"', "")


class TestCsrf:
    def test_a_post_without_the_sessions_csrf_token_is_refused(self, audit, tokens):
        c = client(audit, tokens["operator"])
        assert c.post("/console/integrity/verify", data={}).status_code == 403
        assert c.post("/console/integrity/verify", data={"csrf": "0" * 64}).status_code == 403
        other = csrf_of(client(audit, tokens["inga"]).get("/console/log").text)
        assert c.post("/console/integrity/verify", data={"csrf": other}).status_code == 403

    def test_with_it_verify_runs_and_its_result_is_shown(self, audit, tokens):
        c = client(audit, tokens["operator"])
        token = csrf_of(c.get("/console/integrity").text)

        assert c.post("/console/integrity/verify", data={"csrf": token}).status_code == 303
        assert "records verified" in c.get("/console/integrity").text


class TestAnchors:
    def test_the_service_anchors_its_head_on_kafka_and_verify_checks_those_anchors(self, audit, tokens, infra):
        client_id = uuid.uuid4()
        publish(infra, registered(client_id, "raseborg", date.today()))
        c = client(audit, tokens["operator"])
        seq = wait_for_seq(infra, client_id)

        def newest_anchor() -> int:
            c.post("/console/integrity/verify", data={"csrf": csrf_of(c.get("/console/integrity").text)})
            page = c.get("/console/integrity").text
            return int(page.split("(newest at record ")[1].split(")")[0]) if "(newest at record " in page else 0

        deadline = time.monotonic() + 60
        while newest_anchor() < seq and time.monotonic() < deadline:
            time.sleep(1)
        page = c.get("/console/integrity").text
        assert newest_anchor() >= seq and "OK: " in page and "BROKEN" not in page


class TestOfficer:
    @pytest.mark.parametrize("page", ["/console/lag", "/console/dead-letters", "/console/integrity",
                                      "/console/figures?municipality=raseborg"])
    def test_an_officer_may_not_see_operators_pages_or_other_municipalities(self, audit, tokens, page):
        assert client(audit, tokens["inga"]).get(page).status_code == 403

    def test_an_officer_may_not_widen_the_log_to_another_organisation(self, audit, tokens, infra):
        client_id = uuid.uuid4()
        publish(infra, registered(client_id, "inga", date.today()), registered(client_id, "raseborg", date.today()))
        c = client(audit, tokens["inga"])

        def organisations() -> list[str]:
            page = c.get("/console/log", params={"organisation": "raseborg", "client_id": str(client_id)}).text
            return [part.split("</td><td>")[4] for part in page.split('<tr data-seq="')[1:]]

        deadline = time.monotonic() + 60
        while not organisations() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert organisations() == ["inga"]

    def test_an_officer_sees_the_figures_of_its_own_municipality_only(self, audit, tokens):
        c = client(audit, tokens["inga"])
        assert c.get("/console/figures").status_code == 200
        assert c.get("/console/figures.csv", params={"municipality": "hango"}).status_code == 403


class TestDeadLetters:
    def test_each_services_dead_letters_are_kept_once_without_their_content_and_counted(self, audit, tokens, infra):
        secret = f"content-{uuid.uuid4().hex}"
        offset = asyncio.run(dead_letter(infra, "notifications", secret.encode()))
        c = client(audit, tokens["operator"])

        row = wait_for_dead_letter(infra, "notifications", offset)
        page = c.get("/console/dead-letters", params={"service": "notifications"}).text

        assert (row["reason"], row["origin_topic"], row["origin_partition"], row["origin_offset"],
                row["error_class"]) == ("handler refused: R99 test", "integration.intake.v1", 1, 42, "Rejected")
        assert f'data-service="notifications">' in c.get("/console/dead-letters").text
        assert secret not in page and secret not in c.get(f"/console/dead-letters/{row['id']}").text

    def test_a_redrive_asks_the_owning_service_and_records_who_asked_and_the_answer(self, audit, tokens, infra, fakes):
        offset = asyncio.run(dead_letter(infra, "notifications", b"{}"))
        row = wait_for_dead_letter(infra, "notifications", offset)
        c = client(audit, tokens["operator"])
        detail = c.get(f"/console/dead-letters/{row['id']}").text

        before = len(fakes["notifications"].calls)
        refused = c.post(f"/console/dead-letters/{row['id']}/redrive", data={"csrf": "x"})
        assert refused.status_code == 403 and len(fakes["notifications"].calls) == before

        done = c.post(f"/console/dead-letters/{row['id']}/redrive", data={"csrf": csrf_of(detail)})

        assert done.status_code == 303
        assert fakes["notifications"].calls[-1]["body"] == {"partition": 0, "offset": offset}
        assert "dead-lettered-again" in c.get(f"/console/dead-letters/{row['id']}").text
        requests = asyncio.run(redrive_rows(infra, row["id"]))
        assert [(r["outcome"], r["requested_by"]) for r in requests] == [
            ("dead-lettered-again", tokens["operator"][3:15])]


async def dead_letter(infra, service: str, value: bytes) -> int:
    producer = AIOKafkaProducer(**infra.kafka_kwargs(service), acks="all")
    await producer.start()
    try:
        headers = [("dlq.reason", b"handler refused: R99 test"), ("dlq.error", b"Rejected"),
                   ("dlq.topic", b"integration.intake.v1"), ("dlq.partition", b"1"), ("dlq.offset", b"42"),
                   ("dlq.consumer", f"{service}.test".encode()), ("dlq.failed_at", b"2026-11-30T10:00:00+00:00")]
        meta = await producer.send_and_wait(dead_letter_topic(service), value, key=b"k", headers=headers)
        return meta.offset
    finally:
        await producer.stop()


def wait_for_dead_letter(infra, service: str, offset: int, timeout: float = 60) -> dict:
    async def find():
        conn = await asyncpg.connect(infra.dsn("audit"))
        try:
            return await conn.fetchrow("SELECT * FROM dead_letters WHERE dl_topic = $1 AND dl_offset = $2",
                                       dead_letter_topic(service), offset)
        finally:
            await conn.close()

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = asyncio.run(find())
        if row is not None:
            return dict(row)
        time.sleep(0.5)
    raise AssertionError("dead letter not kept")


def wait_for_seq(infra, client_id: uuid.UUID, timeout: float = 60) -> int:
    async def find():
        conn = await asyncpg.connect(infra.dsn("audit"))
        try:
            return await conn.fetchval("SELECT max(seq) FROM audit_trail WHERE client_id = $1", client_id)
        finally:
            await conn.close()

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (seq := asyncio.run(find())) is not None:
            return seq
        time.sleep(0.5)
    raise AssertionError("event not on the trail")


async def redrive_rows(infra, dead_letter_id: int) -> list:
    conn = await asyncpg.connect(infra.dsn("audit"))
    try:
        return await conn.fetch("SELECT * FROM redrive_requests WHERE dead_letter = $1 ORDER BY id", dead_letter_id)
    finally:
        await conn.close()
