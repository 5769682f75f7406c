"""The reference sender in Java (examples/java-sender) against the real broker and a running intake.

No one here wrote its Kafka or crypto code: Apache kafka-clients with SCRAM-SHA-512 and the idempotent
producer, Bouncy Castle's HPKE. Maven builds it once per session (offline when the local repository
already holds its dependencies); the tests then run it as Kela and as Hanko.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from pathlib import Path
from uuid import UUID

import pytest

from services.intake.tests.factories import person_json
from services.intake.tests.integration.test_ingress import events_of
from tests.support.people import invent

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[4]
PROJECT = ROOT / "examples" / "java-sender"
VECTORS = ROOT / "docs" / "seal-test-vectors.json"
MAIN = "fi.raseborg.backbone.sender.Sender"


@pytest.fixture(scope="session")
def java_sender() -> list[str]:
    """`java -cp ... Sender`, built by Maven into a copy of the project under .local (the worktree stays clean)."""
    build = ROOT / ".local" / "java-sender"
    shutil.rmtree(build, ignore_errors=True)
    shutil.copytree(PROJECT, build, ignore=shutil.ignore_patterns("target"))
    offline = subprocess.run(["mvn", "-B", "-q", "-o", "package"], cwd=build, capture_output=True, text=True,
                             timeout=600)
    if offline.returncode != 0:  # the first build on this machine fetches the dependencies
        subprocess.run(["mvn", "-B", "-q", "package"], cwd=build, check=True, timeout=1200)
    classpath = (build / "target" / "classpath.txt").read_text().strip()
    return ["java", "-cp", f"{build / 'target' / 'java-sender-1.0.0.jar'}{os.pathsep}{classpath}", MAIN]


async def run(java_sender, infra, intake_url, tmp_path, organisation: str, people: list[dict], *extra: str,
              password: str | None = None) -> subprocess.CompletedProcess:
    """Run the sender in a thread: intake is served by this test process's event loop."""
    people_file = tmp_path / f"people-{organisation}.json"
    people_file.write_text(json.dumps(people), encoding="utf-8")
    env = {**os.environ, "SENDER_PASSWORD": password or infra.secrets["kafka"][organisation]}
    return await asyncio.to_thread(
        subprocess.run, [*java_sender, "send", "--bootstrap", infra.bootstrap, "--organisation", organisation,
                         "--intake-url", intake_url, "--people", str(people_file), *extra],
        capture_output=True, text=True, env=env, timeout=300)


def sent(result: subprocess.CompletedProcess) -> list[dict]:
    assert result.returncode == 0, result.stderr[-3000:]
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


@pytest.mark.parametrize(("organisation", "sources"), [
    ("kela", ["kela_notification", "authority_contact"]),
    ("hango", ["refugee_placement", "municipal_newcomer_notice", "authority_contact"]),
])  # fmt: skip
async def test_each_registration_the_java_sender_sends_registers_a_client_whose_person_opens_in_the_vault(
        java_sender, infra, intake_url, intake_db, http, as_, tmp_path, organisation, sources):
    people = [person_json(invent()) for _ in sources]

    messages = sent(await run(java_sender, infra, intake_url, tmp_path, organisation, people))

    assert [m["source"] for m in messages] == sources
    assert {m["topic"] for m in messages} == {f"ingress.{organisation}.v1"}
    for message, person in zip(messages, people, strict=True):
        [registered] = await events_of(intake_db, UUID(message["message_id"]))
        assert (registered.type, registered.payload["source"]) == ("ClientRegistered", message["source"])
        assert (registered.organisation, registered.actor) == (organisation, f"ingress.{organisation}")
        responsible = registered.payload["responsible_organisation"]
        opened = await http.get(f"/clients/{registered.client_id}/personal-data",
                                headers={**await as_(responsible, "officer"), "X-Purpose": "java_sender_test"})
        assert opened.status_code == 200, opened.text
        assert (opened.json()["name"], opened.json()["identity_code"]) == (person["name"], person["identity_code"])


async def test_the_broker_refuses_the_java_sender_on_another_organisations_topic(java_sender, infra, intake_url,
                                                                                  tmp_path):
    people = [person_json(invent()) for _ in range(2)]

    refused = await run(java_sender, infra, intake_url, tmp_path, "kela", people, "--topic", "ingress.hango.v1")

    assert refused.returncode == 3 and "refused by the broker" in refused.stderr
    assert refused.stdout.strip() == ""


async def test_a_wrong_password_sends_nothing(java_sender, infra, intake_url, tmp_path):
    people = [person_json(invent()) for _ in range(2)]

    refused = await run(java_sender, infra, intake_url, tmp_path, "kela", people, password="not-kelas-password")

    assert refused.returncode != 0 and refused.stdout.strip() == ""


def test_the_java_implementation_opens_every_published_test_vector(java_sender):
    checked = subprocess.run([*java_sender, "check-vectors", str(VECTORS)], capture_output=True, text=True,
                             timeout=120)

    vectors = json.loads(VECTORS.read_text(encoding="utf-8"))["vectors"]
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"{len(vectors)} of {len(vectors)} vectors match" in checked.stdout


def test_the_java_check_fails_on_a_tampered_vector(java_sender, tmp_path):
    """The vector check can fail: one flipped ciphertext byte is caught."""
    document = json.loads(VECTORS.read_text(encoding="utf-8"))
    vector = document["vectors"][0]
    token = vector["token"]
    vector["token"] = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(document), encoding="utf-8")

    checked = subprocess.run([*java_sender, "check-vectors", str(tampered)], capture_output=True, text=True,
                             timeout=120)

    assert checked.returncode == 1 and f"FAILED {vector['name']}" in checked.stdout
