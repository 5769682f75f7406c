"""The public guide in headless Chromium, served by guidance as a process, with intake as a process
behind the contact form: language and direction of every page, axe (WCAG 2.1 AA) on each, the form
filled in without JavaScript creating a client request at intake, errors in the form's language next to
the field, a phone-sized screen, screenshots, and the flyer's QR code read from the browser's rendering."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import asyncpg
import pytest
import zxingcpp
from axe_selenium_python import Axe
from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.support.wait import WebDriverWait

from deploy.config import REPO
from guide import i18n
from tests.support.people import invent
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.e2e

SCREENSHOTS = REPO / ".local" / "test" / "screenshots" / "guide"
PUBLIC_URL = "https://guide.example.fi/guide"
SLUG = {"home": ""} | {page: page for page in i18n.PAGES if page != "home"}
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"]}}
"""axe-selenium-python 2.1.6 (3.0 needs Python 3.12) ships axe-core 3.1, whose WCAG 2.1 rules are tagged wcag21aa."""


def serious_violations(driver: webdriver.Chrome) -> list[tuple[str, str]]:
    """axe-core's WCAG 2.1 A/AA rules (and its best practices) on the current page: serious and critical ones.
    The script ships with axe-selenium-python; nothing is fetched."""
    Axe(driver).inject()
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        f"axe.run(document, {json.dumps(AXE_OPTIONS)}).then(r => done(r), e => done({{error: String(e)}}));")
    assert "error" not in result, result.get("error")
    assert result["passes"], "axe checked nothing"
    return [(v["id"], v["impact"]) for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.fixture(scope="module")
def guide_url(infra, tmp_path_factory):
    logs = tmp_path_factory.mktemp("guide-logs")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("INTAKE_PUBLIC_RATE_LIMIT", "100/minute")  # every form of this module comes from 127.0.0.1
        intake = ServiceProcess.start(infra, "intake", logs)
        intake.wait_ready()
        env.setenv("GUIDANCE_GUIDE_INTAKE_URL", intake.url)
        env.setenv("GUIDANCE_GUIDE_PUBLIC_URL", PUBLIC_URL)
        guidance = ServiceProcess.start(infra, "guidance", logs)
    try:
        guidance.wait_ready()
        yield guidance.url + "/guide"
    finally:
        guidance.stop(timeout=10)
        intake.stop(timeout=10)


def chromium(*, javascript: bool = True, size: str = "1280,900", phone: bool = False) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", f"--window-size={size}", "--lang=en-US",
                "--no-proxy-server", "--disable-background-networking"):
        options.add_argument(arg)  # --no-sandbox: the tests run as root
    if phone:  # a phone's screen and touch, not only a narrow window (headless windows are 500 px at least)
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": {"width": 375, "height": 812,
                                                                               "pixelRatio": 2.0, "touch": True}})
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


@pytest.fixture(scope="module")
def browser():
    driver = chromium()
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def no_script_browser():
    driver = chromium(javascript=False)
    yield driver
    driver.quit()


PAGES = [(lang, page) for lang in i18n.COMPLETE for page in i18n.PAGES]
PAGES += [(lang, page) for lang in i18n.PARTIAL for page in i18n.REQUIRED_PAGES]


@pytest.mark.parametrize(("language", "page"), PAGES)
def test_a_page_has_its_language_and_direction_and_no_serious_accessibility_violation(browser, guide_url,
                                                                                      language, page):
    browser.get(f"{guide_url}/{language}/{SLUG[page]}")

    html = browser.find_element(By.TAG_NAME, "html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == (language, i18n.direction(language))
    assert browser.find_element(By.TAG_NAME, "h1").text == i18n.Translator(language)(f"{page}.title")
    assert serious_violations(browser) == []


@pytest.mark.parametrize(("language", "page", "shown"), [("ku", "plan", "en"), ("de", "studies", "en"),
                                                         ("ru", "plan", "en")])
def test_a_fallback_is_visible_and_marked_with_both_languages(browser, guide_url, language, page, shown):
    browser.get(f"{guide_url}/{language}/{page}")

    html = browser.find_element(By.TAG_NAME, "html")
    notice = browser.find_element(By.CSS_SELECTOR, "p.notice")
    assert html.get_attribute("lang") == shown and notice.get_attribute("lang") == language
    assert notice.is_displayed()
    assert serious_violations(browser) == []


def test_pages_fetch_nothing_but_the_guides_own_files(browser, guide_url):
    for page in ("", "studies", "contact"):
        browser.get(f"{guide_url}/ar/{page}")
        fetched = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        assert fetched and all(name.startswith(guide_url + "/static/") for name in fetched), fetched


@pytest.mark.parametrize(("language", "page"), [("ar", ""), ("fi", "contact"), ("en", "studies")])
def test_a_page_fits_a_phones_screen(guide_url, language, page):
    phone = chromium(phone=True)
    try:
        phone.get(f"{guide_url}/{language}/{page}")
        width = phone.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1] == 375, width
    finally:
        phone.quit()


@pytest.mark.parametrize("language", ["sv", "fi", "en", "ar"])
def test_a_screenshot_of_the_home_page_is_kept(browser, guide_url, language):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"home-{language}.png"
    path.unlink(missing_ok=True)
    browser.get(f"{guide_url}/{language}/")

    assert browser.save_screenshot(str(path))
    assert Image.open(path).size[0] > 0


def replaced(element) -> bool:
    try:
        element.tag_name
    except WebDriverException:  # stale, or (a race in the driver) no longer in the document
        return True
    return False


def fill(driver: webdriver.Chrome, person, *, wish: str = "guidance", email: str | None = None,
         identity_code: str = "", consent: bool = True) -> None:
    driver.find_element(By.ID, f"wish-{wish}").click()
    driver.find_element(By.ID, "name").send_keys(person.name)
    driver.find_element(By.ID, "date_of_birth").send_keys(person.date_of_birth.strftime("%m%d%Y"))
    if identity_code:
        driver.find_element(By.ID, "identity_code").send_keys(identity_code)
    driver.find_element(By.CSS_SELECTOR, "#home_municipality option[value='hango']").click()
    driver.find_element(By.ID, "first_permit_date").send_keys("03012025")
    driver.find_element(By.ID, "email").send_keys(person.email if email is None else email)
    driver.find_element(By.ID, "interpreter_needed").click()
    if consent:
        driver.find_element(By.ID, "consent").click()
    page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(driver, 30).until(lambda _: replaced(page))  # the answer is a new page


async def registered(infra, reference: str) -> dict:
    connection = await asyncpg.connect(infra.dsn("intake"))
    try:
        for _ in range(50):
            row = await connection.fetchrow(
                """SELECT type, convert_from(envelope, 'UTF8')::jsonb -> 'payload' AS payload FROM event_store
                   WHERE convert_from(envelope, 'UTF8')::jsonb ->> 'correlation_id' = $1""", reference)
            if row:
                return {"type": row["type"], **json.loads(row["payload"])}
            await asyncio.sleep(0.1)
    finally:
        await connection.close()
    raise AssertionError(f"no event with correlation id {reference}")


@pytest.mark.parametrize("language", ["ar", "sv"])
async def test_the_form_filled_in_without_javascript_creates_a_client_request_at_intake(
        no_script_browser, guide_url, infra, language):
    driver = no_script_browser
    driver.get(f"{guide_url}/{language}/contact")
    assert driver.execute_script is not None and driver.find_elements(By.TAG_NAME, "script") == []

    fill(driver, invent(), wish="assessment")

    _ = i18n.Translator(language)
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == language
    assert driver.find_element(By.CSS_SELECTOR, ".confirmation h2").text == _("contact.sent_heading")
    reference = driver.find_element(By.CSS_SELECTOR, ".confirmation .reference").text
    event = await registered(infra, reference)
    assert (event["type"], event["source"], event["home_municipality"]) == ("ClientRegistered", "own_request", "hango")
    assert event["languages"] == [language]


def error_next_to(driver: webdriver.Chrome, field: str) -> str:
    box = driver.find_element(By.ID, field).find_element(By.XPATH, "..")
    assert driver.find_element(By.ID, field).get_attribute("aria-invalid") == "true"
    return box.find_element(By.CSS_SELECTOR, f"#{field}-error").text


def test_intakes_refusal_of_an_email_address_is_shown_next_to_the_field_in_arabic(no_script_browser, guide_url):
    no_script_browser.get(f"{guide_url}/ar/contact")

    fill(no_script_browser, invent(), email="not-an-address@x")

    assert error_next_to(no_script_browser, "email") == i18n.Translator("ar")("error.email")
    assert no_script_browser.find_element(By.CSS_SELECTOR, ".error-summary a[href='#email']").text == \
        i18n.Translator("ar")("contact.email")


def test_an_identity_code_that_does_not_match_the_birth_date_is_shown_in_swedish(no_script_browser, guide_url):
    person, other = invent(), invent(seed="someone else")
    no_script_browser.get(f"{guide_url}/sv/contact")

    fill(no_script_browser, person, identity_code=other.identity_code)

    assert error_next_to(no_script_browser, "identity_code") == i18n.Translator("sv")("error.identity_code")
    assert no_script_browser.find_element(By.ID, "name").get_attribute("value") == person.name


def test_the_form_asks_for_consent_in_finnish_and_sends_nothing_without_it(no_script_browser, guide_url):
    no_script_browser.get(f"{guide_url}/fi/contact")
    assert no_script_browser.find_element(By.CSS_SELECTOR, "label[for=consent]").text.startswith(
        i18n.Translator("fi")("contact.consent"))

    fill(no_script_browser, invent(), consent=False)

    assert i18n.Translator("fi")("error.consent") in no_script_browser.find_element(By.ID, "main").text


@pytest.mark.parametrize("language", ["sv", "ar"])
def test_the_svg_flyer_as_the_browser_draws_it_has_a_qr_code_leading_to_the_guide_in_that_language(
        guide_url, language):
    tall = chromium(size="820,1200")
    try:
        tall.get(f"{guide_url}/flyer/{language}.svg")
        picture = Image.open(io.BytesIO(tall.get_screenshot_as_png()))
    finally:
        tall.quit()

    assert [code.text for code in zxingcpp.read_barcodes(picture)] == [f"{PUBLIC_URL}/{language}/"]
