"""The contact form without JavaScript: read the posted form, check what only the guide can check
(consent, a way to reach the person), forward the request to intake's public endpoint, and turn intake's
field errors into this form's fields. Nothing of the form is kept or logged here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import parse_qs

import httpx

from guide.i18n import LANGUAGES

FIELDS = ("name", "date_of_birth", "identity_code", "home_municipality", "first_permit_date", "email", "phone",
          "language", "interpreter_needed", "wish", "consent")
MUNICIPALITIES = ("raseborg", "hango", "inga")
WISHES = ("guidance", "assessment")
CONTACT_PATH = "/public/contact-requests"

_INTAKE_FIELDS = {  # intake's field path (after "body") -> the form's field
    ("person", "name"): "name", ("person", "date_of_birth"): "date_of_birth",
    ("person", "identity_code"): "identity_code", ("person", "email"): "email", ("person", "phone"): "phone",
    ("person", "languages"): "language", ("person", "interpreter_needed"): "interpreter_needed",
    ("home_municipality",): "home_municipality", ("first_permit_date",): "first_permit_date",
    ("asks_for_assessment",): "wish",
}


@dataclass
class Form:
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # field -> message key
    problem: str | None = None  # a message key for the whole form (too many requests, intake unreachable)

    def value(self, name: str) -> str:
        return self.values.get(name, "")


def parse(body: bytes) -> Form:
    """The posted fields we know, each as its last value, stripped; unknown fields are ignored."""
    try:
        raw = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True, max_num_fields=50)
    except ValueError:  # more fields than any form of ours has: nothing of it is read
        return Form()
    return Form({name: raw[name][-1].strip() for name in FIELDS if name in raw})


def _iso_day(text: str) -> str:
    """Accept 31.12.1990 (as written in Finland) as well as the date input's 1990-12-31."""
    found = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", text)
    if found:
        try:
            return date(int(found[3]), int(found[2]), int(found[1])).isoformat()
        except ValueError:
            return text
    return text


def check(form: Form, page_language: str) -> dict[str, Any] | None:
    """The body for intake, or None when the guide's own checks failed (errors set on the form)."""
    v = form.value
    if v("consent") != "yes":
        form.errors["consent"] = "error.consent"
    if not v("email") and not v("phone"):
        form.errors["email"] = form.errors["phone"] = "error.contact_way"
    if v("wish") not in WISHES:
        form.errors["wish"] = "error.required"
    for required in ("name", "date_of_birth", "home_municipality", "first_permit_date"):
        if not v(required):
            form.errors[required] = "error.required"
    if form.errors:
        return None
    language = v("language") if v("language") in LANGUAGES else page_language
    person: dict[str, Any] = {"name": v("name"), "date_of_birth": _iso_day(v("date_of_birth")),
                              "languages": [language], "interpreter_needed": v("interpreter_needed") == "yes"}
    for optional in ("identity_code", "email", "phone"):
        if v(optional):
            person[optional] = v(optional)
    return {"source": "own_request", "home_municipality": v("home_municipality"),
            "first_permit_date": _iso_day(v("first_permit_date")),
            "asks_for_assessment": v("wish") == "assessment", "person": person}


def field_errors(detail: list[dict[str, Any]]) -> dict[str, str]:
    """Intake's 422 detail, as message keys on the form's fields (never intake's English text)."""
    errors: dict[str, str] = {}
    for error in detail:
        loc = tuple(str(part) for part in error.get("loc", ()))[1:]
        name = _INTAKE_FIELDS.get(loc[:2]) or _INTAKE_FIELDS.get(loc[:1])
        if name is None and loc == ("person",) and "identity_code" in str(error.get("msg", "")):
            name = "identity_code"  # the person's check that the identity code encodes the birth date
        name = name or "form"
        errors.setdefault(name, "error.required" if error.get("type") == "missing" else f"error.{name}")
    return errors


@dataclass(frozen=True)
class Sent:
    reference: str


async def forward(client: httpx.AsyncClient, intake_url: str, body: dict[str, Any], *, language: str,
                  client_address: str | None) -> Sent | dict[str, str] | str:
    """Send to intake. Returns Sent, field errors, or a message key for the whole form."""
    headers = {"Accept-Language": language}
    if client_address:
        headers["X-Forwarded-For"] = client_address  # intake's rate limit counts the person, not the guide
    try:
        response = await client.post(intake_url.rstrip("/") + CONTACT_PATH, json=body, headers=headers)
    except httpx.HTTPError:
        return "error.unavailable"
    if response.status_code == 202:
        return Sent(str(response.json()["reference"]))
    if response.status_code == 422:
        detail = response.json().get("detail")
        return field_errors(detail) if isinstance(detail, list) else "error.unavailable"
    if response.status_code == 429:
        return "error.too_many"
    return "error.unavailable"
