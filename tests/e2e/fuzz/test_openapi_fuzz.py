"""Every service's HTTP API fuzzed from its own OpenAPI document (schemathesis), over real HTTP against
the running process, as several organisations and roles: no 5xx, every 4xx says what is wrong, nothing
invalid accepted, nothing of another organisation's client changed by it (see openapi_fuzz.py).

The default run is bounded (one generated example per operation, mode and round, beside schemathesis'
explicit ones, each run starting at the next caller); `make test-load` runs the long one with many
examples (`-m load`). On CPython 3.11 before 3.11.8 the session parses with tests/support/ast_parse.py."""

from __future__ import annotations

import pytest

from tests.e2e.fuzz.conftest import IDENTITIES, STRANGER
from tests.e2e.fuzz.openapi_fuzz import fuzz

SERVICES = ["intake", "assessment", "planning", "guidance", "notifications", "audit"]
CALLERS = list(IDENTITIES)


def _fuzz(fuzz_services, tokens, seeded, service: str, examples: int):
    ids = {"client_id": str(seeded.client_id), "assessment_id": str(seeded.assessment_id),
           "plan_id": str(seeded.plan_id), "referral_id": str(seeded.referral_id)}
    found = fuzz(service, fuzz_services[service].url, tokens[service], CALLERS, examples=examples,
                 stranger=STRANGER, seeded=ids)
    assert found.sent > 0
    assert found.problems == [], (f"{len(found.problems)} problems in {found.sent} requests to {service}:\n"
                                  + "\n".join(found.problems))
    return found


@pytest.mark.e2e
@pytest.mark.parametrize("service", SERVICES)
def test_fuzzing_the_openapi_document_finds_no_5xx_and_no_wrong_acceptance(fuzz_services, tokens, seeded, service):
    _fuzz(fuzz_services, tokens, seeded, service, examples=1)


@pytest.mark.e2e
@pytest.mark.load
@pytest.mark.timeout(3600)
@pytest.mark.parametrize("service", SERVICES)
def test_fuzzing_long_with_many_examples_per_operation(fuzz_services, tokens, seeded, service):
    _fuzz(fuzz_services, tokens, seeded, service, examples=60)
