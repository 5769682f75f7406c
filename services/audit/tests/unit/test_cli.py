import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from audit.config import AuditSettings
from audit.domain.chain import Entry, Head, seal
from audit.entrypoints.cli import CliError, parser, verify
from audit.entrypoints.tail import format_line

pytestmark = pytest.mark.unit


class TestCommandLine:
    def test_no_command_runs_the_service(self):
        assert parser().parse_args([]).command is None

    def test_tail_reads_its_starting_point_limit_and_mode(self):
        args = parser().parse_args(["tail", "--from", "40", "--limit", "5", "--once"])

        assert (args.command, args.from_seq, args.limit, args.once, args.interval) == ("tail", 40, 5, True, 1.0)

    @pytest.mark.parametrize("argv", [["tail", "--from", "0"], ["tail", "--limit", "-1"], ["tail", "--interval", "0"],
                                      ["rewrite"]])
    def test_refuses_what_makes_no_sense(self, argv, capsys):
        with pytest.raises(SystemExit) as exit_:
            parser().parse_args(argv)

        assert exit_.value.code == 2

    async def test_verify_without_a_database_url_is_an_error_not_a_verdict(self):
        settings = AuditSettings(database_url="", kafka_bootstrap="127.0.0.1:1")

        with pytest.raises(CliError, match="AUDIT_DATABASE_URL is not set"):
            await verify(settings)


class TestTailLine:
    def test_shows_ids_codes_and_a_short_hash_only(self):
        client = uuid.uuid4()
        helsinki = timezone(timedelta(hours=2))
        entry = Entry(event_id=uuid.uuid4(), type="ClientRegistered", schema_version=2, producer="intake",
                      organisation="raseborg", actor="officer-17", client_id=client,
                      occurred_at=datetime(2026, 3, 1, 11, 30, tzinfo=helsinki),
                      recorded_at=datetime(2026, 3, 1, 11, 30, 5, tzinfo=helsinki), topic="integration.intake.v1",
                      partition=0, offset=3, envelope=b'{"payload":{"home_municipality":"hango"}}',
                      received_at=datetime(2026, 3, 1, 9, 30, 6, tzinfo=UTC))
        record = seal(Head(), entry)

        line = format_line(record)

        assert line.split() == ["1", "2026-03-01T09:30:05Z", "intake", "ClientRegistered", str(client),
                                record.hash.hex()[:12]]
