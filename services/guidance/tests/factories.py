"""Catalogue services, clients and plans for guidance's tests, from the seeded catalogue."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

from contracts.events.guidance import CatalogueServiceVersion
from guidance.domain.referral import ClientFacts, PlanFacts
from guidance.service_layer.catalogue import seed_data

TODAY = date(2026, 3, 16)  # a Monday


def seeded() -> dict[str, CatalogueServiceVersion]:
    return {s["service_code"]: CatalogueServiceVersion.model_validate({**s, "catalogue_version": 1})
            for s in seed_data()["services"]}


def service(code: str, **changes: Any) -> CatalogueServiceVersion:
    base = seeded()[code].model_dump()
    return CatalogueServiceVersion.model_validate({**base, **changes})


def client(**changes: Any) -> ClientFacts:
    values = {"client_id": UUID("0190a6b8-2f3e-7c1a-9b2d-4e5f60718293"), "responsible_organisation": "raseborg",
              "languages": ("ar", "en"), "registered_jobseeker": False, "state": "to_be_assessed"}
    return ClientFacts(**{**values, **changes})


def plan(client_id: UUID, **changes: Any) -> PlanFacts:
    values = {"plan_id": uuid4(), "client_id": client_id, "responsible_organisation": "raseborg",
              "drawn_up_on": date(2026, 3, 2), "ends_on": date(2027, 3, 1)}
    return PlanFacts(**{**values, **changes})
