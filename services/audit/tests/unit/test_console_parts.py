from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

import pytest
from aiokafka import ConsumerRecord

from audit.entrypoints.console.charts import bar_chart, line_chart
from audit.entrypoints.console.session import Viewer, csrf_for
from audit.service_layer.deadletters import describe
from backbone.auth import Caller

pytestmark = pytest.mark.unit


def test_the_csrf_token_is_bound_to_the_session_and_reveals_nothing_of_it():
    a, b = "bb_AAAAAAAAAAAA_" + "a" * 43, "bb_BBBBBBBBBBBB_" + "b" * 43

    assert csrf_for(a) == csrf_for(a) != csrf_for(b)
    assert a[16:] not in csrf_for(a) and len(csrf_for(a)) == 64


@pytest.mark.parametrize(("principal", "role", "organisation", "municipalities"), [
    ("operator", "operator", None, ("raseborg", "hango", "inga")),
    ("employment-region", "officer", "employment-region", ("raseborg", "hango", "inga")),
    ("hango", "officer", "hango", ("hango",)),
    ("kela", "officer", "kela", ()),
])
def test_what_a_viewer_sees(principal, role, organisation, municipalities):
    v = Viewer(Caller(principal, role, "k" * 12), "x")

    assert (v.organisation, v.municipalities, v.operator) == (organisation, municipalities, role == "operator")


def test_a_dead_letter_keeps_where_it_came_from_and_why_but_not_its_content():
    client, event = uuid.uuid4(), uuid.uuid4()
    value = f'{{"event_id": "{event}", "type": "ClientRegistered", "client_id": "{client}", "payload": {{"x": "secret"}}}}'
    headers = [("dlq.reason", b"handler refused: R5 ownership"), ("dlq.error", b"Rejected"),
               ("dlq.topic", b"integration.intake.v1"), ("dlq.partition", b"2"), ("dlq.offset", b"17"),
               ("dlq.consumer", b"planning.x"), ("dlq.failed_at", b"2026-11-30T10:00:00+00:00"), ("other", b"y")]
    record = ConsumerRecord("deadletter.planning.v1", 0, 5, 0, 0, b"k", value.encode(), None, 1, len(value), headers)

    kept = describe(record, datetime(2026, 12, 1, tzinfo=UTC))

    assert (kept["service"], kept["origin_topic"], kept["origin_partition"], kept["origin_offset"], kept["reason"],
            kept["error_class"], kept["event_id"], kept["client_id"]) == (
        "planning", "integration.intake.v1", 2, 17, "handler refused: R5 ownership", "Rejected", event, client)
    assert "secret" not in repr(kept) and kept["content_sha256"] == hashlib.sha256(value.encode()).digest()


def test_a_dead_letter_without_headers_or_envelope_is_still_kept():
    record = ConsumerRecord("deadletter.intake.v1", 0, 1, 0, 0, None, b"\xff\x00", None, 0, 2, [])

    kept = describe(record, datetime(2026, 12, 1, tzinfo=UTC))

    assert (kept["reason"], kept["event_id"], kept["origin_offset"], kept["content_size"]) == (
        "no reason given", None, None, 2)


def test_charts_carry_their_numbers_and_escape_labels():
    svg = bar_chart("t", [("a<b", 3, ""), ("share", 50.0, "%")])

    assert 'data-label="a&lt;b" data-value="3"' in svg and ">50%<" in svg and "<b" not in svg.replace("<b>", "")
    assert "no samples yet" in line_chart("lag", {}, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(("shown", "problem"), [
    ({"since": "2026-02-30"}, "since"), ({"until": "99999-01-01"}, "until"), ({"client_id": "not-a-uuid"}, "client_id"),
    ({"correlation_id": "1"}, "correlation_id"), ({"since": "2026-02-28T10:00", "client_id": str(uuid.uuid4())}, None),
    ({"since": "", "client_id": ""}, None)])
def test_fuzz_an_unreadable_log_filter_is_named_not_ignored(shown, problem):
    """Found by the HTTP fuzzing (tests/e2e/fuzz): `/console/log?since=2026-02-30` showed the whole log."""
    from audit.entrypoints.console.routes import unreadable_filter

    found = unreadable_filter(shown)
    assert (found.split(":")[0] if found else None) == problem
