"""The operator console in headless Chromium, against the audit and intake services as real processes
on the real broker and database. Screenshots of every page go to `.local/screenshots/console/`."""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from datetime import date, timedelta

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from contracts.events.assessment import AssessmentStarted
from contracts.events.planning import PlanIssued
from contracts.topics import ingress_topic
from deploy.chromium import CHROMEDRIVER, CHROMIUM
from deploy.config import REPO
from services.audit.tests.console_support import (
    FakeService, issue, publish, registered, start_audit, wait_caught_up, wrap,
)
from tests.support.people import invent
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.e2e

SCREENSHOTS = REPO / ".local" / "screenshots" / "console"
WAIT_S = 120  # the machine may be busy: generous, but a missing record still fails


@pytest.fixture(scope="module")
def fake_intake():
    fake = FakeService().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def services(infra, tmp_path_factory, fake_intake):
    logdir = tmp_path_factory.mktemp("console")
    intake = ServiceProcess.start(infra, "intake", logdir)
    # Redrive of intake's dead letters goes to the fake; the real route is another issue's.
    audit = start_audit(infra, logdir, AUDIT_SERVICE_URLS=json.dumps({"intake": fake_intake.url}))
    try:
        intake.wait_ready()
        audit.wait_ready()
        wait_caught_up(infra)
        yield {"intake": intake, "audit": audit}
    finally:
        audit.stop()
        intake.stop()


@pytest.fixture(scope="module")
def tokens(infra, services):
    async def make():
        return {"operator": await issue(infra, "audit", "operator", "operator"),
                "hango": await issue(infra, "audit", "hango", "officer"),
                "system": await issue(infra, "audit", "raseborg", "system"),
                "employment-region": await issue(infra, "intake", "employment-region", "system")}
    return asyncio.run(make())


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_script_timeout(120)  # axe on a busy machine
    driver.set_page_load_timeout(180)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def console(services) -> str:
    # "localhost", not 127.0.0.1: browsers keep Secure cookies on plain http only for localhost.
    return services["audit"].url.replace("127.0.0.1", "localhost") + "/console"


def login(driver, services, token: str) -> None:
    from selenium.webdriver.common.by import By

    driver.delete_all_cookies()
    driver.get(console(services) + "/login")
    driver.find_element(By.ID, "token").send_keys(token)
    driver.find_element(By.CSS_SELECTOR, "form.login button").click()
    wait_for(lambda: driver.current_url.split("?")[0].endswith("/console/log"), "the log after login")


def wait_for(check, what: str, timeout: float = WAIT_S):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"{what}: not there after {timeout}s")


def shoot(driver, name: str) -> None:
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def no_serious_violations(driver) -> None:
    from axe_selenium_python import Axe

    axe = Axe(driver)
    axe.inject()
    violations = [v for v in axe.run()["violations"] if v["impact"] in ("serious", "critical")]
    assert violations == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in violations]


def register(services, token: str) -> str:
    today = date.today()
    person = invent()
    body = {"source": "employment_region_jobseeker", "home_municipality": "hango",
            "first_permit_date": (today - timedelta(days=365)).isoformat(),
            "moved_to_finland_on": (today - timedelta(days=400)).isoformat(),
            "registered_on": today.isoformat(), "service_point": "hanko", "person": person.personal_data()}
    resp = httpx.post(services["intake"].url + "/registrations/jobseeker", json=body,
                      headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert resp.status_code in (200, 201), resp.text
    return resp.json()["client_id"]


def rows(driver, table: str) -> list[dict]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0] + ' tbody tr[data-seq]')).map("
        "tr => ({seq: Number(tr.dataset.seq), text: tr.innerText}))", f"#{table}")


class TestConsoleInABrowser:
    def test_a_new_registration_appears_in_the_live_log_without_a_reload(self, browser, services, tokens):
        login(browser, services, tokens["operator"])
        browser.execute_script("window.notReloaded = true")
        client_id = register(services, tokens["employment-region"])

        wait_for(lambda: any(client_id in r["text"] for r in rows(browser, "log")), "the registration in the log")
        assert browser.execute_script("return window.notReloaded === true"), "the page was reloaded"
        shoot(browser, "log")
        no_serious_violations(browser)

    def test_each_event_opens_with_envelope_payload_and_links_to_cause_and_correlation(self, browser, services,
                                                                                         tokens, infra):
        from selenium.webdriver.common.by import By

        client = uuid.uuid4()
        cause = registered(client, "raseborg", date.today())
        effect = wrap(AssessmentStarted(assessment_id=uuid.uuid4(), started_on=date.today(),
                                        responsible_organisation="raseborg", luvn_participates=False, language="ar",
                                        interpreter=True), "assessment", "raseborg", client,
                      correlation_id=cause.correlation_id, causation_id=cause.event_id)
        publish(infra, cause, effect)
        login(browser, services, tokens["operator"])
        browser.get(f"{console(services)}/events/{effect.event_id}")
        wait_for(lambda: browser.find_elements(By.ID, "payload") or browser.refresh(), "the event's page")
        assert '"started_on"' in browser.find_element(By.ID, "payload").text
        shoot(browser, "event")
        no_serious_violations(browser)
        browser.find_element(By.ID, "cause").click()
        assert str(cause.event_id) in browser.page_source and "ClientRegistered" in browser.page_source
        browser.find_element(By.ID, "correlation").click()
        both = {r["seq"] for r in rows(browser, "log")}
        assert len(both) == 2

    def test_a_clients_timeline_shows_every_services_events_in_order_with_each_parts_state(self, browser, services,
                                                                                           tokens, infra):
        from selenium.webdriver.common.by import By

        client = uuid.uuid4()
        today = date.today()
        events = [registered(client, "raseborg", today),
                  wrap(AssessmentStarted(assessment_id=uuid.uuid4(), started_on=today,
                                         responsible_organisation="raseborg", luvn_participates=False,
                                         language="ar", interpreter=True), "assessment", "raseborg", client),
                  wrap(PlanIssued(plan_id=uuid.uuid4(), starts_on=today, ends_on=today + timedelta(days=300),
                                  responsible_organisation="raseborg", goals=("language_skills",),
                                  luvn_participation=False), "planning", "raseborg", client)]
        publish(infra, *events)
        login(browser, services, tokens["operator"])

        def shown():
            browser.get(f"{console(services)}/clients/{client}")
            return len(rows(browser, "timeline")) == 3

        wait_for(shown, "the client's three events")
        timeline = rows(browser, "timeline")
        assert [r["seq"] for r in timeline] == sorted(r["seq"] for r in timeline)
        assert [r["text"].split("\t")[3] for r in timeline] == ["ClientRegistered", "AssessmentStarted", "PlanIssued"]
        state = {td.get_attribute("data-part"): td.text for td in browser.find_elements(By.CSS_SELECTOR, "#state td")}
        assert state["assessment"].startswith("started") and state["plan"].startswith("issued")
        shoot(browser, "client")
        no_serious_violations(browser)

    def test_a_poison_message_shows_up_as_a_dead_letter_with_its_reason_and_redrive_asks_its_service(
            self, browser, services, tokens, infra, fake_intake):
        from selenium.webdriver.common.by import By

        offset = asyncio.run(poison(infra))
        login(browser, services, tokens["operator"])

        def listed():
            browser.get(f"{console(services)}/dead-letters?service=intake&origin_topic={ingress_topic('raseborg')}")
            return [tr for tr in browser.find_elements(By.CSS_SELECTOR, "#dead-letters tbody tr[data-id]")
                    if f"/ {offset}" in tr.text]

        found = wait_for(listed, "the poison message among the dead letters")
        assert found[0].find_element(By.CSS_SELECTOR, ".reason").text  # the reason the inbox gave
        shoot(browser, "dead-letters")
        no_serious_violations(browser)
        found[0].find_element(By.CSS_SELECTOR, "a").click()
        browser.find_element(By.ID, "redrive").click()
        wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#redrives .outcome"), "the redrive's outcome")
        assert browser.find_element(By.CSS_SELECTOR, "#redrives .outcome").text == "applied"
        call = fake_intake.calls[-1]
        tokens_at = json.loads(services["audit"].env["AUDIT_SERVICE_TOKENS"])
        assert call["path"] == "/admin/dead-letters/redrive"
        assert call["authorization"] == f"Bearer {tokens_at['intake']}"
        assert set(call["body"]) == {"partition", "offset"}
        shoot(browser, "dead-letter")
        no_serious_violations(browser)

    def test_an_organisations_officer_sees_only_its_own_part(self, browser, services, tokens, infra):
        from selenium.webdriver.common.by import By

        client = uuid.uuid4()
        publish(infra, registered(client, "hango", date.today()),
                wrap(AssessmentStarted(assessment_id=uuid.uuid4(), started_on=date.today(),
                                       responsible_organisation="raseborg", luvn_participates=False, language="ar",
                                       interpreter=False), "assessment", "raseborg", client))
        login(browser, services, tokens["operator"])
        wait_for(lambda: browser.get(f"{console(services)}/clients/{client}") or len(rows(browser, "timeline")) == 2,
                 "both events")

        login(browser, services, tokens["hango"])
        browser.get(f"{console(services)}/clients/{client}")
        assert [r["text"].split("\t")[4] for r in rows(browser, "timeline")] == ["hango"]
        browser.get(f"{console(services)}/log")
        assert {r["text"].split("\t")[4] for r in rows(browser, "log")} <= {"hango"}
        shoot(browser, "officer-log")
        for page in ("lag", "dead-letters", "integrity"):
            browser.get(f"{console(services)}/{page}")
            assert browser.find_elements(By.ID, "refused"), page
        browser.get(f"{console(services)}/figures?municipality=raseborg")
        assert browser.find_elements(By.ID, "refused")

    def test_a_credential_that_is_not_an_operators_or_officers_cannot_log_in(self, browser, services, tokens):
        from selenium.webdriver.common.by import By

        browser.delete_all_cookies()
        browser.get(console(services) + "/login")
        browser.find_element(By.ID, "token").send_keys(tokens["system"])
        browser.find_element(By.CSS_SELECTOR, "form.login button").click()
        error = wait_for(lambda: browser.find_elements(By.ID, "login-error"), "the refusal")
        assert "may not use the console" in error[0].text
        assert browser.get_cookie("console_session") is None
        shoot(browser, "login")
        no_serious_violations(browser)

    def test_the_figures_page_shows_a_chart_whose_numbers_match_a_count_made_here(self, browser, services, tokens,
                                                                                  infra):
        from selenium.webdriver.common.by import By

        year = random.randrange(3000, 9000)  # a half-year no other test writes to
        day = date(year, 2, 3)
        sources = ["kela_notification"] * 3 + ["refugee_placement"] * 2 + ["own_request"]
        events = [registered(uuid.uuid4(), "inga", day, source=s) for s in sources]
        events.append(registered(uuid.uuid4(), "hango", day, source="kela_notification"))  # another municipality
        publish(infra, *events)
        expected = {s: sources.count(s) for s in set(sources)}
        login(browser, services, tokens["operator"])

        def bars():
            browser.get(f"{console(services)}/figures?municipality=inga&half={year}H1")
            found = {g.get_attribute("data-label"): float(g.get_attribute("data-value"))
                     for g in browser.find_elements(By.CSS_SELECTOR, "#figure-registrations g.bar")}
            return found if sum(found.values()) >= len(sources) else None

        assert wait_for(bars, "the registrations chart") == expected
        shoot(browser, "figures")
        no_serious_violations(browser)
        cookie = {"console_session": tokens["operator"]}
        csv_text = httpx.get(f"{services['audit'].url}/console/figures.csv?municipality=inga&half={year}H1",
                             cookies=cookie, timeout=120).text
        assert f"inga,{year}H1,registrations,kela_notification,3," in csv_text

    def test_the_other_pages_render_without_serious_accessibility_problems(self, browser, services, tokens):
        login(browser, services, tokens["operator"])
        for page in ("lag", "deadlines", "integrity"):
            browser.get(f"{console(services)}/{page}")
            shoot(browser, page)
            no_serious_violations(browser)


async def poison(infra) -> int:
    """A message on raseborg's ingress topic that is not an ingress message at all; intake dead-letters it."""
    producer = AIOKafkaProducer(**infra.kafka_kwargs("raseborg"), acks="all")
    await producer.start()
    try:
        meta = await producer.send_and_wait(ingress_topic("raseborg"), b'{"not": "an ingress message"}',
                                            key=str(uuid.uuid4()).encode())
        return meta.offset
    finally:
        await producer.stop()

