"""What the guide shows from guidance's catalogue: the published services and the opening hours.

The guide only reads them through `CatalogueSource`; guidance provides the real one
(`guidance.service_layer.public_catalogue`, rows as dicts, adapted by `from_rows`). `ProgrammeCatalogue`
holds the programme's own services and hours (programme §4.4–4.7) for tests and for running the guide
before guidance's catalogue has data. Templates never hold services or hours themselves.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any, Literal, Protocol


@dataclass(frozen=True)
class ServiceInfo:
    code: str
    provider: str
    places: tuple[str, ...]
    languages: tuple[str, ...]
    pace: tuple[str, ...] = ()
    start_dates: tuple[date, ...] = ()
    continuous: bool = False
    target_groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class OpeningHours:
    place: str
    kind: Literal["drop_in", "appointment"]
    weekday: int  # ISO: 1 = Monday … 7 = Sunday
    start: time
    end: time


class CatalogueSource(Protocol):
    """Read-only: what guidance publishes."""

    async def published_services(self) -> list[ServiceInfo]: ...

    async def opening_hours(self) -> list[OpeningHours]: ...


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _time(value: Any) -> time:
    return value if isinstance(value, time) else time.fromisoformat(str(value))


def service_from_row(row: Mapping[str, Any]) -> ServiceInfo:
    starts = row.get("start_dates") or ()
    return ServiceInfo(
        code=str(row["code"]), provider=str(row["provider"]), places=tuple(row.get("places") or ()),
        languages=tuple(row.get("languages") or ()),
        pace=tuple([row["pace"]] if isinstance(row.get("pace"), str) else row.get("pace") or ()),
        start_dates=tuple(sorted(_day(d) for d in starts)), continuous=bool(row.get("continuous", not starts)),
        target_groups=tuple(row.get("target_groups") or ()))


def hours_from_row(row: Mapping[str, Any]) -> OpeningHours:
    kind = str(row["kind"]).replace("-", "_")
    if kind not in ("drop_in", "appointment"):
        raise ValueError(f"kind: must be drop_in or appointment, not {kind!r}")
    return OpeningHours(place=str(row.get("place") or row["place_code"]), kind=kind,  # type: ignore[arg-type]
                        weekday=int(row["weekday"]), start=_time(row["start"]), end=_time(row["end"]))


@dataclass
class RowSource:
    """Adapts guidance's `public_catalogue` functions, which return dicts, to `CatalogueSource`."""

    services: Callable[[], Awaitable[list[Mapping[str, Any]]]]
    hours: Callable[[], Awaitable[list[Mapping[str, Any]]]]

    async def published_services(self) -> list[ServiceInfo]:
        return [service_from_row(r) for r in await self.services()]

    async def opening_hours(self) -> list[OpeningHours]:
        return [hours_from_row(r) for r in await self.hours()]


@dataclass
class ProgrammeCatalogue:
    """The programme's services and hours (§4.4–4.7). Its drop-in afternoons are as planned there (Karis
    two afternoons, Hanko one); the clock times are an example until guidance publishes the real ones."""

    services: list[ServiceInfo] = field(default_factory=lambda: list(PROGRAMME_SERVICES))
    hours: list[OpeningHours] = field(default_factory=lambda: list(PROGRAMME_HOURS))

    async def published_services(self) -> list[ServiceInfo]:
        return list(self.services)

    async def opening_hours(self) -> list[OpeningHours]:
        return list(self.hours)


PROGRAMME_SERVICES: tuple[ServiceInfo, ...] = (
    ServiceInfo("civic_orientation", "liberal_adult_education", ("karis", "ekenas"), ("ar", "ru", "en"),
                continuous=True),
    ServiceInfo("integration_training", "employment_region", ("karis",), ("fi", "sv"), ("normal", "slow"),
                start_dates=(date(2026, 8, 17), date(2027, 1, 11)), target_groups=("unemployed_jobseeker",)),
    ServiceInfo("swedish_and_finnish", "larkkulla", ("karis",), ("sv", "fi"), start_dates=(date(2026, 8, 24),)),
    ServiceInfo("literacy_luki", "mbi_raseborg", ("ekenas", "karis"), ("fi", "sv"), ("slow",), continuous=True),
    ServiceInfo("basic_education_adults", "kanneljarvi", ("kanneljarvi",), ("fi",), start_dates=(date(2026, 8, 10),)),
    ServiceInfo("toisto_group", "employment_region", ("karis",), ("fi",), continuous=True),
    ServiceInfo("language_cafe", "volunteers", ("ekenas", "karis"), ("fi", "sv"), continuous=True),
    ServiceInfo("guidance_and_counselling", "raseborg", ("karis", "hanko", "ekenas", "inkoo"),
                ("sv", "fi", "en"), continuous=True),
)

PROGRAMME_HOURS: tuple[OpeningHours, ...] = (
    OpeningHours("karis", "drop_in", 2, time(12, 30), time(15, 30)),
    OpeningHours("karis", "drop_in", 4, time(12, 30), time(15, 30)),
    OpeningHours("hanko", "drop_in", 3, time(12, 30), time(15, 0)),
    OpeningHours("ekenas", "appointment", 1, time(9, 0), time(15, 0)),
    OpeningHours("hanko", "appointment", 5, time(9, 0), time(12, 0)),
    OpeningHours("inkoo", "appointment", 3, time(9, 0), time(12, 0)),
)
