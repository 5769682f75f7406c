"""Every service's AsyncAPI document, as the service serves it, passes the official AsyncAPI parser.

The parser (`@asyncapi/parser`, pinned in tests/asyncapi/package.json, no lock file) is installed
from npm into .local/node the first time, then reused. Node and npm must be on the machine.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from contracts.topics import ORGANISATIONS, SERVICES
from scripts.export_schemas import asyncapi

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "tests" / "asyncapi"
NODE = ROOT / ".local" / "node"


@pytest.fixture(scope="session")
def parser() -> Path:
    """The folder holding validate.mjs with @asyncapi/parser installed next to it."""
    wanted = json.loads((SOURCE / "package.json").read_text())["dependencies"]["@asyncapi/parser"]
    installed = NODE / "node_modules" / "@asyncapi" / "parser" / "package.json"
    NODE.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "validate.mjs"):
        shutil.copyfile(SOURCE / name, NODE / name)
    if not installed.exists() or json.loads(installed.read_text())["version"] != wanted:
        subprocess.run(["npm", "install", "--no-package-lock", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=NODE, check=True, timeout=900)
    return NODE


@pytest.fixture(scope="session")
def parsed(parser, tmp_path_factory) -> dict[str, dict]:
    """What the parser says of each service's document: one run of node for all six."""
    out = tmp_path_factory.mktemp("asyncapi")
    files = []
    for service in SERVICES:
        path = out / f"{service}.json"
        path.write_text(json.dumps(asyncapi(service)), encoding="utf-8")
        files.append(str(path))
    run = subprocess.run(["node", "validate.mjs", *files], cwd=parser, capture_output=True, text=True, timeout=600)
    results = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    assert len(results) == len(SERVICES), run.stderr[-2000:]
    return {Path(r["file"]).stem: r for r in results}


@pytest.mark.parametrize("service", SERVICES)
def test_the_official_parser_accepts_the_document_without_errors_or_warnings(parsed, service):
    result = parsed[service]

    assert result["valid"] and result["errors"] == [] and result["warnings"] == [], result
    assert result["version"] == "3.0.0"


def test_the_parser_reads_intakes_eight_channels_and_every_intake_event_version(parsed):
    from contracts.registry import CATALOGUE

    intake = parsed["intake"]
    versions = {f"{t}.v{v}" for t in CATALOGUE.types() for v in CATALOGUE.versions(t)
                if CATALOGUE.model(t, v).published_by("intake")}

    assert intake["channels"] == sorted(["integration.intake.v1", "deadletter.intake.v1",
                                         *(f"ingress.{o}.v1" for o in ORGANISATIONS)])
    assert versions <= set(intake["messages"]) and len(versions) >= 10
    assert "receive ingress.kela.v1" in intake["operations"] and "send integration.intake.v1" in intake["operations"]


def test_a_broken_document_is_refused_by_the_same_check(parser, tmp_path):
    """The check can fail: a channel whose message points nowhere is an error."""
    broken = asyncapi("assessment")
    channel = next(iter(broken["channels"].values()))
    channel["messages"]["Ghost"] = {"$ref": "#/components/messages/Ghost"}
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken), encoding="utf-8")

    run = subprocess.run(["node", "validate.mjs", str(path)], cwd=parser, capture_output=True, text=True, timeout=300)

    [result] = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    assert run.returncode == 1 and not result["valid"] and result["errors"]
