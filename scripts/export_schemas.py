"""`python scripts/export_schemas.py OUTDIR`: the contracts' JSON Schemas and each service's AsyncAPI.

Writes OUTDIR/events/*.schema.json (every event version and the envelope, `contracts.schemas`) and
OUTDIR/asyncapi/<service>.json, the document each service serves at `/asyncapi.json`. Building a
service's app connects to nothing, so this runs offline. Output is deterministic (sorted keys) so
it can be diffed in review; the documents' server entry is whatever Kafka address the settings
name (the local dev default unless `<SERVICE>_KAFKA_BOOTSTRAP` is set).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
from pathlib import Path
from typing import Any

from backbone.settings import ServiceSettings
from contracts.schemas import export_schemas
from contracts.topics import SERVICES


def settings_of(service: str) -> ServiceSettings:
    """The service's own settings class (the one `ServiceSettings` subclass in `<service>.config`), defaults,
    or its `for_documentation()` settings when it cannot be built without secrets (intake's keys)."""
    config = importlib.import_module(f"{service}.config")
    classes = [v for v in vars(config).values()
               if isinstance(v, type) and issubclass(v, ServiceSettings) and v is not ServiceSettings]
    if len(classes) != 1:
        raise LookupError(f"{service}.config should define one ServiceSettings subclass, found {len(classes)}")
    return getattr(classes[0], "for_documentation", classes[0])()


def asyncapi(service: str) -> dict[str, Any]:
    """The document the service serves at `/asyncapi.json` (`contracts.asyncapi`, through its app)."""
    app = importlib.import_module(f"{service}.bootstrap").build(settings_of(service))
    route = next(r for r in app.routes if getattr(r, "path", None) == "/asyncapi.json")
    return json.loads(asyncio.run(route.endpoint()).body)


def _write(path: Path, document: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python scripts/export_schemas.py OUTDIR", file=sys.stderr)
        return 2
    out = Path(argv[0])
    written = export_schemas(out / "events")
    written += [_write(out / "asyncapi" / f"{service}.json", asyncapi(service)) for service in SERVICES]
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
