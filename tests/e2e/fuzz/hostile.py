"""Hand-written hostile requests, built for one service from its routes and a few valid bodies.

Each `Hostile` is a request that must be refused with a 4xx that says what is wrong (a JSON `detail`
for the APIs), and must change nothing. The categories: a body of several MB, JSON nested 100,000 deep,
bytes that are not UTF-8, the wrong content type, impossible and out-of-range dates, unicode edge cases
in constrained fields (NUL, lone surrogates, right-to-left overrides, combining marks, 100,000
characters), another organisation acting on the seeded client's records, ids that do not exist,
malformed UUIDs and path traversal."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

MARKER = "zq7hostile"
"""In every hostile string value: an answer must name the field, never echo the value."""

IMPOSSIBLE_DATES = ["2026-02-30", "2026-13-01", "2026-00-10", "20260301", "2026-3-1", "-0001-01-01",
                    "+10000-01-01", "1e308", "", "9" * 400]
OUT_OF_RANGE_DATES = ["0001-01-01", "9999-12-31", "1900-01-01", "2200-01-01"]
UNICODE = {
    "nul": f"{MARKER}\u0000x",
    "lone-surrogate": f"{MARKER}\ud800x",
    "rtl-override": f"\u202e{MARKER}\u202dx",
    "combining": f"{MARKER}" + "e\u0301\u0308\u0327" * 50,
    "zero-width": f"{MARKER}\u200b\ufeff\u2060",
    "very-long": MARKER + "ä" * 100_000,
}
MALFORMED_IDS = ["not-a-uuid", "1", "00000000-0000-0000-0000-00000000000g", "' OR 1=1 --", "%00", "a" * 5000,
                 "%F0%9F%92%A9", "..%2F..%2Fetc%2Fpasswd"]
TRAVERSAL = ["/..%2F..%2F..%2Fetc%2Fpasswd", "/%2e%2e/%2e%2e/etc/passwd", "/..;/..;/etc/passwd",
             "/static/..%2F..%2F..%2Fpyproject.toml", "/docs/../../etc/passwd"]


@dataclass
class Hostile:
    name: str
    method: str
    path: str
    who: str | None  # an identity of conftest.IDENTITIES, or None for no credential
    json_body: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    html: bool = False  # the guide and the console answer pages, not JSON

    def describe(self) -> str:
        return f"{self.name}: {self.method} {self.path[:120]} as {self.who}"


@dataclass
class Route:
    method: str
    path: str  # with {client_id}, {assessment_id}, {plan_id}, {referral_id} or other parameters
    who: str  # the identity that may make it (the owner, the provider, the operator)
    body: dict | None = None  # a valid body, where the route takes one


def fill(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), str(uuid4())), path)


def _walk(value: Any, replace) -> Any:
    if isinstance(value, dict):
        return {k: _walk(replace(k, v) if not isinstance(v, (dict, list)) else v, replace) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, replace) for v in value]
    return value


def is_date(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}(T.*)?", value) is not None


def with_dates(body: dict, bad: str) -> dict:
    return _walk(body, lambda k, v: (bad + v[10:] if len(v) > 10 else bad) if is_date(v) else v)


def with_strings(body: dict, bad: str, free_text: frozenset[str]) -> dict:
    """Every constrained string (a code, an enum) replaced; free-text fields and dates left alone."""
    return _walk(body, lambda k, v: bad if isinstance(v, str) and not is_date(v) and k not in free_text
                 and not re.fullmatch(r"[0-9a-f-]{36}", v) else v)


def cases(routes: list[Route], ids: dict[str, str], stranger: str, *, free_text: frozenset[str] = frozenset(),
          traversal_prefixes: tuple[str, ...] = ("",), html: bool = False) -> list[Hostile]:
    out: list[Hostile] = []
    huge = json.dumps({"note": MARKER + "x" * 6_000_000, "text": "y" * 10}).encode()
    deep = b"[" * 100_000 + b"]" * 100_000
    deep_object = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
    for r in routes:
        path = fill(r.path, ids)
        add = out.append
        if r.method in ("POST", "PUT", "PATCH") and r.body is not None:
            add(Hostile("huge body", r.method, path, r.who, content=huge, headers=_json(), html=html))
            add(Hostile("deep array", r.method, path, r.who, content=deep, headers=_json(), html=html))
            add(Hostile("deep object", r.method, path, r.who, content=deep_object, headers=_json(), html=html))
            add(Hostile("not UTF-8", r.method, path, r.who, content=b'{"note": "\xff\xfe\xc3\x28"}',
                        headers=_json(), html=html))
            add(Hostile("truncated JSON", r.method, path, r.who, content=b'{"note": "abc', headers=_json(),
                        html=html))
            if r.body is not None:
                valid = json.dumps(r.body).encode()
                for ctype in ("text/plain", "application/xml", "multipart/form-data; boundary=x",
                              "application/x-www-form-urlencoded", "application/octet-stream"):
                    add(Hostile(f"content type {ctype}", r.method, path, r.who, content=valid,
                                headers={"Content-Type": ctype}, html=html))
                add(Hostile("a list for the body", r.method, path, r.who, json_body=[r.body], html=html))
                for bad in IMPOSSIBLE_DATES:
                    if with_dates(r.body, bad) != r.body:
                        add(Hostile(f"date {bad[:20]!r}", r.method, path, r.who, json_body=with_dates(r.body, bad),
                                    html=html))
                for kind, bad in UNICODE.items():
                    changed = with_strings(r.body, bad, free_text)
                    if changed != r.body:
                        add(Hostile(f"unicode {kind}", r.method, path, r.who, json_body=changed, html=html))
        if "{" in r.path:
            add(Hostile("another organisation", r.method, path, stranger, json_body=r.body, html=html))
            add(Hostile("nobody's id", r.method, fill(r.path, {}), r.who, json_body=r.body, html=html))
            for bad in MALFORMED_IDS:
                malformed = re.sub(r"\{(client_id|assessment_id|plan_id|referral_id|notification_id|"
                                   r"dead_letter_id|event_id|change_id|claim_id)\}", bad, r.path)
                if malformed != r.path:
                    add(Hostile(f"malformed id {bad[:16]!r}", r.method, fill(malformed, ids), r.who,
                                json_body=r.body, html=html))
        elif r.body is not None and r.method != "GET":
            add(Hostile("no credential", r.method, path, None, json_body=r.body, html=html))
    for prefix in traversal_prefixes:
        for t in TRAVERSAL:
            out.append(Hostile("path traversal", "GET", prefix + t, routes[0].who if routes else None, html=html))
    return out


def out_of_range(routes: list[Route], ids: dict[str, str]) -> list[Hostile]:
    """Dates in a valid format that no process of this kind can have: year 1, 1900, 2200, 9999."""
    out = []
    for r in routes:
        if r.body is None:
            continue
        for bad in OUT_OF_RANGE_DATES:
            changed = with_dates(r.body, bad)
            if changed != r.body:
                out.append(Hostile(f"date {bad}", r.method, fill(r.path, ids), r.who, json_body=changed))
    return out


def _json() -> dict[str, str]:
    return {"Content-Type": "application/json"}


def today(days: int = 0) -> str:
    return (date.today() + timedelta(days=days)).isoformat()
