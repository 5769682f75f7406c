import io
import json
import logging
import uuid

import pytest
import structlog

from backbone.errors import PERMANENT, TRANSIENT, ConcurrencyError, Rejected
from backbone.logging import configure_logging
from backbone.relay import relay_lock_key
from contracts.errors import UnknownEventType

pytestmark = pytest.mark.unit


def test_a_concurrency_error_says_what_was_expected_and_what_to_do():
    stream = uuid.uuid4()

    error = ConcurrencyError(stream, expected=3, actual=5)

    assert str(error) == f"stream {stream}: expected version 3, found version 5; retry the command"


def test_a_rule_refusal_names_its_rule_and_is_permanent_while_a_conflict_is_transient():
    assert str(Rejected("R14", "the first plan lasts at most one year")) == "R14: the first plan lasts at most one year"
    assert isinstance(Rejected("R1", "x"), PERMANENT) and isinstance(UnknownEventType("x"), PERMANENT)
    assert isinstance(ConcurrencyError(uuid.uuid4(), 0, 1), TRANSIENT)


def test_each_service_has_its_own_relay_lock():
    keys = {relay_lock_key(s) for s in ("intake", "assessment", "planning", "guidance", "notifications")}

    assert len(keys) == 5


def test_logs_are_json_lines_with_the_bound_ids():
    out = io.StringIO()
    configure_logging("intake", "INFO", stream=out)
    event_id = str(uuid.uuid4())
    try:
        structlog.get_logger().bind(service="intake", event_id=event_id).info("event appended")
    finally:  # the configuration is process-wide: give the other tests theirs back
        structlog.reset_defaults()
        logging.getLogger().handlers.clear()

    line = json.loads(out.getvalue().strip().splitlines()[-1])
    assert line["event"] == "event appended" and line["event_id"] == event_id and line["level"] == "info"
