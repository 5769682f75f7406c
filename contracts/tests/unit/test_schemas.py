from __future__ import annotations

import json

import jsonschema
import pytest

from contracts.registry import CATALOGUE
from contracts.schemas import export_schemas, main

pytestmark = pytest.mark.unit

ALL_VERSIONS = [(type_, version) for type_ in CATALOGUE.types() for version in CATALOGUE.versions(type_)]


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


class TestExportSchemas:
    def test_writes_one_file_per_event_version_and_one_for_the_envelope(self, tmp_path):
        written = export_schemas(tmp_path)

        names = {path.name for path in written}
        assert names == {f"{t}.v{v}.schema.json" for t, v in ALL_VERSIONS} | {"envelope.schema.json"}
        assert {"ClientRegistered.v1.schema.json", "ClientRegistered.v2.schema.json"} <= names

    def test_every_file_is_a_valid_draft_2020_12_schema(self, tmp_path):
        for path in export_schemas(tmp_path):
            jsonschema.Draft202012Validator.check_schema(load(path))

    @pytest.mark.parametrize("pair", ALL_VERSIONS, ids=lambda pair: f"{pair[0]}.v{pair[1]}")
    def test_a_sample_payload_validates_against_its_schema(self, tmp_path, make_event, pair):
        export_schemas(tmp_path)
        schema = load(tmp_path / f"{pair[0]}.v{pair[1]}.schema.json")

        jsonschema.validate(make_event(*pair).model_dump(mode="json"), schema)

    def test_an_envelope_validates_against_the_envelope_schema(self, tmp_path, make_event, wrap):
        export_schemas(tmp_path)

        envelope = json.loads(wrap(make_event("ClientRegistered")).to_bytes())

        jsonschema.validate(envelope, load(tmp_path / "envelope.schema.json"))

    def test_schemas_refuse_unknown_fields(self, tmp_path, make_event):
        export_schemas(tmp_path)
        payload = {**make_event("PlanIssued").model_dump(mode="json"), "name": "Anna"}

        with pytest.raises(jsonschema.ValidationError, match="Additional properties"):
            jsonschema.validate(payload, load(tmp_path / "PlanIssued.v1.schema.json"))

    def test_output_is_byte_for_byte_the_same_on_every_run(self, tmp_path):
        first = {p.name: p.read_bytes() for p in export_schemas(tmp_path / "a")}
        second = {p.name: p.read_bytes() for p in export_schemas(tmp_path / "b")}

        assert first == second

    def test_keys_are_sorted(self, tmp_path):
        path = tmp_path / "PlanExtended.v1.schema.json"
        export_schemas(tmp_path)

        text = path.read_text(encoding="utf-8")

        assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class TestMain:
    def test_exports_into_the_given_folder_and_prints_each_path(self, tmp_path, capsys):
        status = main([str(tmp_path / "out")])

        printed = capsys.readouterr().out.splitlines()
        assert status == 0
        assert str(tmp_path / "out" / "envelope.schema.json") in printed

    def test_without_a_folder_prints_usage_and_fails(self, capsys):
        assert main([]) == 2
        assert "usage" in capsys.readouterr().err
