"""The office each home municipality's clients are met at and call to cancel (`offices.toml`), and the
service points an initial interview is booked at (`service_points.toml`)."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from notifications.domain.templates import TemplateError

OFFICES = Path(__file__).resolve().parent.parent / "offices.toml"
SERVICE_POINTS = Path(__file__).resolve().parent.parent / "service_points.toml"
AT_A_DISTANCE = ("phone", "remote")
"""Interview places without an address: the templates name them in words (phrases `place_phone`, `place_remote`)."""
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


@cache
def service_points(path: Path = SERVICE_POINTS) -> dict[str, str]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def place_values(params: dict) -> dict[str, str]:
    """R26: the message names where the interview is. With an interview's place code among the parameters, the
    service point's address replaces the home municipality's office (phone and remote stay codes, which the
    template words); without one (a message queued before the place was passed on), nothing changes."""
    code = params.get("place")
    if code is None or code in AT_A_DISTANCE:
        return {}
    points = service_points()
    if code not in points:
        raise TemplateError(f"{SERVICE_POINTS.name}: no service point {code}")
    return {"place": points[code]}
