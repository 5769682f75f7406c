"""The office each home municipality's clients are met at and call to cancel (`offices.toml`)."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

OFFICES = Path(__file__).resolve().parent.parent / "offices.toml"
FIELDS = ("place", "office_phone", "office_url", "cancel_phone", "cancel_url")


@cache
def offices(path: Path = OFFICES) -> dict[str, dict[str, str]]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    for municipality, office in data.items():
        missing = [f for f in FIELDS if f not in office]
        if missing:
            raise ValueError(f"{path}: office {municipality} lacks {', '.join(missing)}")
    return data


def office_of(municipality: str | None) -> dict[str, str]:
    table = offices()
    return table.get(municipality or "", table["raseborg"])
