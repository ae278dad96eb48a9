"""What an organisation's fields must be: each field, and each row of a file, checked and
cleaned, with every problem named."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from natm_bot.config.content import MemberCategory, localized
from natm_bot.config.countries import country_code, is_language
from natm_bot.config.validation import MXID_RE, ROOM_RE, FileProblems
from natm_bot.core.i18n import _, language
from natm_bot.core.text import checked, name_key, plain_url
from natm_bot.storage.members import OrgInfo

FIELDS = ("name", "category", "country", "languages", "website", "description", "contact")
REQUIRED = ("name", "category", "country", "website", "description")
EDITABLE = (*FIELDS, "joined")
MAX_DESCRIPTION = 600
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Problem:
    """One field that cannot be accepted, and why (plain text, user text not escaped)."""

    field: str
    message: str


def one_line(text: str) -> str:
    """The text with every run of spaces and line breaks made one space."""
    return " ".join(text.split())


def _name(text: str) -> str:
    name = one_line(text)
    if not 2 <= len(name) <= 120:
        raise ValueError(
            _("needs 2 to 120 characters; this one has {count}.").format(count=len(name))
        )
    return name


def _country(text: str) -> str:
    code = country_code(text)
    if code is None:
        raise ValueError(
            _(
                "“{typed}” is not a country: use a two-letter ISO 3166 code like KE for Kenya, "
                "or the country's name."
            ).format(typed=text[:60])
        )
    return code


def _languages(text: str) -> tuple[str, ...]:
    codes = [code.strip().lower() for code in re.split(r"[,\s]+", text) if code.strip()]
    wrong = [code for code in codes if not is_language(code)]
    if wrong:
        raise ValueError(
            _(
                "“{typed}” is not a language code: use two-letter ISO 639-1 codes separated by "
                "commas, like en,sw."
            ).format(typed=", ".join(wrong)[:60])
        )
    if len(codes) > 20:
        raise ValueError(_("list at most 20 languages."))
    return tuple(dict.fromkeys(codes))


def _website(text: str) -> str:
    try:
        return plain_url(text, max_length=300)
    except ValueError as exc:
        raise ValueError(
            _(
                "must be a web address starting with http:// or https://, like "
                "https://example.org ({problem})."
            ).format(problem=exc)
        ) from None


def _description(text: str) -> str:
    description = one_line(text)  # one paragraph: line breaks become spaces
    if not description:
        raise ValueError(_("must not be empty."))
    if len(description) > MAX_DESCRIPTION:
        raise ValueError(
            _("is {count} characters long; at most {max} are allowed.").format(
                count=len(description), max=MAX_DESCRIPTION
            )
        )
    return description


def _contact(text: str) -> str | None:
    contact = text.strip()
    if not contact or contact.lower() == "none":
        return None
    if not (MXID_RE.match(contact) or ROOM_RE.match(contact)) or len(contact) > 255:
        raise ValueError(
            _("must be a Matrix room (#room:example.org) or user (@name:example.org), or none.")
        )
    return contact


class MemberRules:
    """What an organisation's fields must be: for applications, edits, imports and the check
    of data/members.yaml at start, which has no database yet."""

    def __init__(
        self,
        categories: Sequence[MemberCategory],
        today: Callable[[], date],
    ) -> None:
        self.categories = tuple(categories)
        self.today = today

    def category(self, text: str) -> MemberCategory | None:
        """The category meant by its id or its name, case-insensitively."""
        wanted = name_key(text)
        for category in self.categories:
            if wanted in (name_key(category.id), *(name_key(n) for n in category.name.values())):
                return category
        return None

    def category_name(self, category_id: str) -> str:
        """A category's name in the reply language (its id if it is no longer declared)."""
        found = next((c for c in self.categories if c.id == category_id), None)
        return localized(found.name, language()) if found else category_id

    def _category(self, text: str) -> str:
        found = self.category(text)
        if found is None:
            ids = ", ".join(c.id for c in self.categories)
            raise ValueError(
                _("“{typed}” is not a member category: use one of {ids}.").format(
                    typed=text[:60], ids=ids
                )
            )
        return found.id

    def _joined(self, text: str) -> date:
        try:
            day = date.fromisoformat(text.strip()) if _DATE_RE.match(text.strip()) else None
        except ValueError:
            day = None
        if day is None or day > self.today():
            raise ValueError(_("must be a date like 2024-05-01, not in the future."))
        return day

    def _checkers(self) -> dict[str, Callable[[str], Any]]:
        return {
            "name": _name,
            "category": self._category,
            "country": _country,
            "languages": _languages,
            "website": _website,
            "description": _description,
            "contact": _contact,
            "joined": self._joined,
        }

    def check(
        self, fields: Mapping[str, str], required: Sequence[str] = REQUIRED
    ) -> tuple[dict[str, Any], list[Problem]]:
        """Each given field checked and cleaned; every problem, one per field."""
        checkers = self._checkers()
        values: dict[str, Any] = {}
        problems = [Problem(f, _("is missing.")) for f in required if f not in fields]
        for field, text in fields.items():
            if not str(text).strip() and field in (*REQUIRED, "joined"):
                if field != "joined":  # no joined date: today, or the one already kept
                    problems.append(Problem(field, _("must not be empty.")))
                continue
            try:
                values[field] = checkers[field](checked(str(text)))
            except ValueError as exc:  # UnsafeText included: "contains … (U+202E)"
                problems.append(Problem(field, str(exc)))
        return values, problems

    def checked_rows(
        self,
        rows: Sequence[tuple[str, Mapping[str, Any]]],
        filename: str,
        earlier: Sequence[str] = (),
    ) -> list[tuple[OrgInfo, date | None]]:
        """Each labelled row checked like an application (plus `joined`); FileProblems lists
        every problem as `file: row: field: message`, after those met `earlier` reading it."""
        problems = list(earlier)
        checked: list[tuple[OrgInfo, date | None]] = []
        seen: dict[str, str] = {}
        for label, row in rows:
            unknown = sorted(set(row) - set(EDITABLE))
            unknown_field = _("unknown field")
            problems += [f"{filename}: {label}: {key}: {unknown_field}" for key in unknown]
            values, found = self.check({k: _text(v) for k, v in row.items() if k in EDITABLE})
            problems += [f"{filename}: {label}: {p.field}: {p.message}" for p in found]
            if "name" in values:
                key = name_key(values["name"])
                if key in seen:
                    repeats = _("repeats {label}").format(label=seen[key])
                    problems.append(f"{filename}: {label}: name: {repeats}")
                seen.setdefault(key, label)
            if not found and not unknown:
                joined = values.pop("joined", None)
                checked.append((OrgInfo(**values), joined))
        if problems:
            raise FileProblems(problems)
        return checked


def _text(value: Any) -> str:
    """A value from YAML or CSV as the text a person would have typed."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
