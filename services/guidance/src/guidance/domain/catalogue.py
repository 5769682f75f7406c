"""The service catalogue's rules: what a service must say (R20-R22), and Lohja's clashing starts.

The catalogue is data (`guidance/data/catalogue.json`, then officers' changes through the API);
these functions only judge a version of it. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from contracts.events.guidance import CatalogueServiceVersion, ServiceKind
from guidance.domain.errors import Refused

CIVIC_ORIENTATION_MIN_HOURS = 70
"""R21: civic orientation lasts at least 70 hours (576/2024)."""

VOLUNTARY_STUDIES: frozenset[ServiceKind] = frozenset({
    ServiceKind.VOLUNTARY_STUDIES, ServiceKind.LITERACY, ServiceKind.BASIC_EDUCATION})
"""Studies a registered jobseeker may start only with the employment region's agreement (programme §4.5)."""

MINIMUM_PROGRAMME: dict[ServiceKind, str] = {
    ServiceKind.CIVIC_ORIENTATION: "multilingual civic orientation",
    ServiceKind.INTEGRATION_TRAINING: "integration training",
    ServiceKind.LITERACY: "literacy training",
}
"""R20: the services of the minimum programme the catalogue must always offer at least one of."""

LOHJA_CLASH_DAYS = 42
"""Two starts closer than this many days are said to coincide (programme §4.5: Raseborg's and Lohja's
starts are coordinated so the queues shorten)."""

SWEDISH = "sv"

Service = CatalogueServiceVersion


@dataclass(frozen=True)
class Warning:
    """Advice that does not refuse the change: the rule and the words."""

    rule: str
    message: str


def check_service(service: Service) -> None:
    """Refuse a service version the law does not allow (R21, R22)."""
    if service.kind == ServiceKind.CIVIC_ORIENTATION and (service.hours or 0) < CIVIC_ORIENTATION_MIN_HOURS:
        raise Refused("R21", f"hours: civic orientation lasts at least {CIVIC_ORIENTATION_MIN_HOURS} hours")
    if service.kind == ServiceKind.INTEGRATION_TRAINING and service.target_level is None:
        raise Refused("R22", "target_level: integration training ends in a final language test; name its "
                             "target level (the programme's is b1.1)")
    if service.available_from and service.available_until and service.available_until < service.available_from:
        raise Refused("catalogue.dates", "available_until: must not be before available_from")


def lohja_clashes(service: Service, catalogue: Iterable[Service], *, days: int = LOHJA_CLASH_DAYS) -> list[Warning]:
    """Warn when one of Raseborg's integration-training starts comes within `days` of one of Lohja's
    (either way round: a change to Lohja's starts is checked against Raseborg's)."""
    if service.kind != ServiceKind.INTEGRATION_TRAINING or service.area not in ("raseborg", "lohja"):
        return []
    other_area = "lohja" if service.area == "raseborg" else "raseborg"
    others = [s for s in catalogue if s.kind == ServiceKind.INTEGRATION_TRAINING and s.area == other_area
              and s.service_code != service.service_code]
    warnings = []
    for start in service.starts:
        for other in others:
            for theirs in other.starts:
                if abs((start.starts_on - theirs.starts_on).days) < days:
                    warnings.append(Warning(
                        "programme.lohja_starts",
                        f"starts: the start on {start.starts_on.isoformat()} is within {days} days of "
                        f"{other.service_code}'s start on {theirs.starts_on.isoformat()}; Raseborg's and "
                        "Lohja's starts should not coincide"))
    return warnings


def check_withdrawal(code: str, catalogue: Mapping[str, Service], on: date) -> None:
    """Refuse withdrawing the last service of a kind the minimum programme needs (R20), or the last
    integration training in Swedish (programme §4.5: a client who asks for it must be offered it)."""
    service = catalogue[code]
    rest = [s for c, s in catalogue.items() if c != code and available(s, on)]
    if service.kind in MINIMUM_PROGRAMME and not any(s.kind == service.kind for s in rest):
        raise Refused("R20", f"service_code: the last {MINIMUM_PROGRAMME[service.kind]} of the catalogue; the "
                             "minimum programme needs one")
    if _swedish_training(service) and not any(_swedish_training(s) and s.area == "raseborg" for s in rest):
        raise Refused("programme.swedish_training", "service_code: the last integration training in Swedish; "
                                                    "a client who asks for it must be offered it")


def available(service: Service, on: date) -> bool:
    return (service.available_from is None or service.available_from <= on) and (
        service.available_until is None or on <= service.available_until)


def _swedish_training(service: Service) -> bool:
    return service.kind == ServiceKind.INTEGRATION_TRAINING and SWEDISH in service.languages


def swedish_training_offers(catalogue: Iterable[Service], on: date) -> list[str]:
    """The codes of integration training in Swedish open on `on` (programme §4.5)."""
    return sorted(s.service_code for s in catalogue if _swedish_training(s) and available(s, on))
