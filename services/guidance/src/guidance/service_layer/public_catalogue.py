"""The catalogue as the public guide shows it: read-only, no personal data, plain dicts.

`published_services(pool)` and `opening_hours(pool)` are the port the public guide (package `guide`)
reads through; they take guidance's pool and touch only the catalogue's tables.
"""

from __future__ import annotations

import json

import asyncpg

from contracts.events.guidance import CatalogueServiceVersion

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


async def published_services(pool: asyncpg.Pool) -> list[dict]:
    """Every service in the catalogue today: code, kind, provider, places, languages, pace (a list), start
    days (`start_dates`, ISO) or `continuous` admission, `target_groups` (the catalogue's audiences), teaching
    `hours`, and `guidance_hours`: the guidance hours of its places."""
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT spec, catalogue_version FROM catalogue_services WHERE withdrawn_on IS NULL "
                                "ORDER BY service_code")
        hours = await opening_hours_of(conn)
    result = []
    for row in rows:
        s = CatalogueServiceVersion.model_validate_json(row["spec"])
        result.append({
            "code": s.service_code, "kind": s.kind.value, "provider": s.provider_code,
            "places": [p.value for p in s.places], "languages": list(s.languages), "pace": [p.value for p in s.paces],
            "continuous": s.continuous_admission,
            "start_dates": [st.starts_on.isoformat() for st in s.starts],
            "target_groups": [a.value for a in s.audiences], "hours": s.hours,
            "target_level": s.target_level.value if s.target_level else None,
            "available_from": s.available_from.isoformat() if s.available_from else None,
            "available_until": s.available_until.isoformat() if s.available_until else None,
            "area": s.area, "catalogue_version": row["catalogue_version"],
            "guidance_hours": [h for h in hours if h["place"] in {p.value for p in s.places}],
        })
    return result


async def opening_hours(pool: asyncpg.Pool) -> list[dict]:
    """Guidance hours: place code, kind (`drop_in` or `appointment`), weekday (1 = Monday, and its name),
    start and end ("HH:MM"), sorted by place, kind, weekday and start."""
    async with pool.acquire() as conn:
        return await opening_hours_of(conn)


async def opening_hours_of(conn: asyncpg.Connection) -> list[dict]:
    rows = await conn.fetch("SELECT place, kind, slots FROM opening_hours ORDER BY place, kind")
    hours = [{"place": r["place"], "kind": r["kind"], "weekday": slot["weekday"],
              "weekday_name": _WEEKDAYS[slot["weekday"] - 1], "start": slot["opens_at"][:5],
              "end": slot["closes_at"][:5]}
             for r in rows for slot in json.loads(r["slots"])]
    return sorted(hours, key=lambda h: (h["place"], h["kind"], h["weekday"], h["start"]))
