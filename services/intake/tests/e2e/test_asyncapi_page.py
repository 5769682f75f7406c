"""Intake's `/asyncapi` page renders its own AsyncAPI document in headless Chromium, offline.

The app is built without Kafka or PostgreSQL and served with its lifespan off: the page, the viewer's
assets and `/asyncapi.json` need neither. Every resource the page loads comes from intake itself.
"""

from __future__ import annotations

import base64
import os
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from contracts import sealing
from intake.bootstrap import build
from intake.config import IntakeSettings

pytestmark = pytest.mark.e2e

TEXT = ("const v = document.querySelector('asyncapi-viewer');"
        "return (v && v.shadowRoot ? v.shadowRoot.textContent : '') + ' ' + document.body.innerText;")


@pytest.fixture(scope="module")
def intake_docs() -> Iterator[str]:
    settings = IntakeSettings(kafka_bootstrap="127.0.0.1:1", database_url="postgresql://nobody@127.0.0.1:1/none",
                              vault_master_keys="k1:" + base64.b64encode(os.urandom(32)).decode(),
                              vault_index_key=base64.b64encode(os.urandom(32)).decode(),
                              ingress_private_keys=sealing.generate_private_key())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(build(settings), host="127.0.0.1", port=port, lifespan="off",
                                           log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.started, "intake's docs did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900", "--no-proxy-server",
                "--disable-background-networking"):
        options.add_argument(arg)  # --no-sandbox: the tests run as root
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    yield driver
    driver.quit()


def test_the_page_renders_intakes_channels_messages_and_security_from_intake_alone(intake_docs, browser):
    browser.get(f"{intake_docs}/asyncapi")
    deadline, text = time.monotonic() + 60, ""
    while "ingress.kela.v1" not in text and time.monotonic() < deadline:
        time.sleep(0.5)
        text = browser.execute_script(TEXT)

    for expected in ("AsyncAPI 3.0.0", "ingress.kela.v1", "ingress.employment-region.v1", "deadletter.intake.v1",
                     "integration.intake.v1", "ClientRegistered.v3", "Registration.kela_notification",
                     "scramSha512", "kafka:9092"):
        assert expected in text, expected
    loaded = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name);")
    assert loaded and all(url.startswith(intake_docs + "/") for url in loaded), loaded
