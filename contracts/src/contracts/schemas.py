"""JSON Schema files for every event version and the envelope, for tools outside Python.

Run `python -m contracts.schemas OUTDIR`; the output is deterministic, so it can be committed
and diffed in review.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from contracts.envelope import Envelope
from contracts.registry import CATALOGUE, Registry

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _schema(model: type[BaseModel], file_name: str, title: str) -> dict[str, Any]:
    return {**model.model_json_schema(), "$schema": DIALECT, "$id": file_name, "title": title}


def _write(path: Path, schema: dict[str, Any]) -> Path:
    path.write_text(json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def export_schemas(out_dir: Path, registry: Registry = CATALOGUE) -> list[Path]:
    """Write `<Type>.v<N>.schema.json` per event version and `envelope.schema.json`; return the paths, sorted."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [_write(out_dir / "envelope.schema.json", _schema(Envelope, "envelope.schema.json", "Envelope"))]
    for type_ in registry.types():
        for version in registry.versions(type_):
            name = f"{type_}.v{version}.schema.json"
            schema = _schema(registry.model(type_, version), name, f"{type_} v{version}")
            written.append(_write(out_dir / name, schema))
    return sorted(written)


def main(argv: list[str]) -> int:
    """`python -m contracts.schemas OUTDIR`: export and print each written path."""
    if len(argv) != 1:
        print("usage: python -m contracts.schemas OUTDIR", file=sys.stderr)
        return 2
    for path in export_schemas(Path(argv[0])):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
