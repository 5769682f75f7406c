"""Message templates, one TOML file per template and language (after GOV.UK Notify's templates with
personalisation): `templates/<code>/<language>.toml` with `subject`, `text` (e-mail and letter),
optionally `sms`, and `[phrases]` that turn parameter values into words.

Placeholders are `${name}`. A parameter whose value is a code, a boolean or missing is first looked
up as a phrase `<name>_<value>` (`interpreter_true`, `municipality_hango`, `starts_on_none`); dates
read d.m.yyyy and a date-time gives `<name>_date` and `<name>_time` in Helsinki time. Rendering
fails loudly on a placeholder without a value, so a template cannot go out half-filled.
"""

from __future__ import annotations

import html
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from string import Template as _Substitution
from typing import Any

from notifications.domain.language import RIGHT_TO_LEFT
from notifications.domain.quiet_hours import HELSINKI

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
REQUIRED_LANGUAGES = ("sv", "fi", "en")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


class TemplateError(Exception):
    """A template is missing or cannot be filled; retrying will not help."""


@dataclass(frozen=True)
class Template:
    code: str
    language: str
    subject: str
    text: str
    sms: str | None = None
    phrases: Mapping[str, str] = field(default_factory=dict)

    def render(self, params: Mapping[str, Any]) -> Rendered:
        values = self._values(params)
        try:
            subject = _Substitution(self.subject).substitute(values).strip()
            text = _Substitution(self.text).substitute(values).strip() + "\n"
            sms = None if self.sms is None else " ".join(_Substitution(self.sms).substitute(values).split())
        except (KeyError, ValueError) as exc:
            raise TemplateError(f"{self.code}/{self.language}: no value for placeholder {exc}") from None
        return Rendered(self.code, self.language, subject, text, sms)

    def _values(self, params: Mapping[str, Any]) -> dict[str, str]:
        values: dict[str, str] = {}
        for name, value in params.items():
            if isinstance(value, datetime) or (isinstance(value, str) and _DATETIME.match(value)):
                moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
                local = moment.astimezone(HELSINKI)
                values[f"{name}_date"] = f"{local.day}.{local.month}.{local.year}"
                values[f"{name}_time"] = local.strftime("%H:%M")
                continue
            if isinstance(value, date) or (isinstance(value, str) and _DATE.match(value)):
                day = value if isinstance(value, date) else date.fromisoformat(value)
                values[name] = f"{day.day}.{day.month}.{day.year}"
                continue
            key = f"{name}_{'none' if value is None else str(value).lower()}"
            values[name] = self.phrases.get(key, "" if value is None else str(value))
        return values


@dataclass(frozen=True)
class Rendered:
    template: str
    language: str
    subject: str
    text: str
    sms: str | None

    @property
    def right_to_left(self) -> bool:
        return self.language in RIGHT_TO_LEFT

    def html(self) -> str:
        """The HTML part: the same text, escaped, paragraph by paragraph, in the language's direction."""
        direction = "rtl" if self.right_to_left else "ltr"
        paragraphs = "\n".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>"
                               for p in self.text.strip().split("\n\n"))
        return (f'<!DOCTYPE html>\n<html lang="{self.language}" dir="{direction}"><head><meta charset="utf-8">'
                f"<title>{html.escape(self.subject)}</title></head>\n"
                f'<body style="font-family: sans-serif; direction: {direction}">\n{paragraphs}\n</body></html>\n')


@cache
def catalogue(folder: Path = TEMPLATES) -> dict[str, dict[str, Template]]:
    """Every template: code -> language -> template."""
    found: dict[str, dict[str, Template]] = {}
    for path in sorted(folder.glob("*/*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        unknown = set(data) - {"subject", "text", "sms", "phrases"}
        if unknown or "subject" not in data or "text" not in data:
            raise TemplateError(f"{path}: needs subject and text, may have sms and phrases (found {sorted(data)})")
        found.setdefault(path.parent.name, {})[path.stem] = Template(
            path.parent.name, path.stem, data["subject"], data["text"], data.get("sms"), data.get("phrases", {}))
    return found


def languages_of(code: str) -> frozenset[str]:
    return frozenset(catalogue().get(code, {}))


def template(code: str, language: str) -> Template:
    try:
        return catalogue()[code][language]
    except KeyError:
        raise TemplateError(f"template {code} has no {language} version") from None
