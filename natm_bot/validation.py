"""Shared pieces for validating YAML files into typed models, reporting every problem at once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from natm_bot.text import find_unsafe, neutralise

MXID_RE = re.compile(r"^@[a-z0-9._=\-/+]+:[A-Za-z0-9.\-]+(:\d{1,5})?$")
SERVER_RE = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$")
# Room ids of room version 12 have no server part ("!abc…"); aliases always have one.
ROOM_RE = re.compile(
    r"^(![^:\s]+(:[A-Za-z0-9.\-]+(:\d{1,5})?)?|#[^:\s]+:[A-Za-z0-9.\-]+(:\d{1,5})?)$"
)


class Strict(BaseModel):
    """Base for every file-backed model: immutable, unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class FileProblems(Exception):
    """A file failed validation; `problems` holds one line per problem, file and key named."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _mxid(value: str) -> str:
    if not MXID_RE.match(value):
        raise ValueError(f"must be a Matrix user id like @name:example.org, not {value!r}")
    return value


def _server(value: str) -> str:
    if not SERVER_RE.match(value):
        raise ValueError(f"must be a server name like example.org, not {value!r}")
    return value


def _room(value: str) -> str:
    if not ROOM_RE.match(value):
        raise ValueError(
            f"must be a room id (!abc:example.org) or alias (#name:example.org), not {value!r}"
        )
    return value


def check_url(value: str) -> str:
    """The URL itself, or ValueError unless it is an http(s) URL with a host."""
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"must be a URL starting with http:// or https://, not {value!r}")
    return value.rstrip("/")


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"must be an IANA time zone like Europe/Berlin, not {value!r}") from None
    return value


def _lang_map(value: dict[str, str]) -> dict[str, str]:
    if "en" not in value:
        raise ValueError("needs an English text under the key 'en'")
    for lang, text in value.items():
        if not re.fullmatch(r"[a-z]{2,3}(-[A-Z]{2})?", lang):
            raise ValueError(f"{lang!r} is not a language code like en, es, fr or pt-BR")
        if not text.strip():
            raise ValueError(f"the {lang!r} text is empty")
    return value


UserIdStr = Annotated[str, AfterValidator(_mxid)]
ServerName = Annotated[str, AfterValidator(_server)]
RoomRef = Annotated[str, AfterValidator(_room)]
Url = Annotated[str, AfterValidator(check_url)]
ZoneName = Annotated[str, AfterValidator(_zone)]
LocalText = Annotated[dict[str, str], AfterValidator(_lang_map)]


def _describe(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required, but missing"
    message = str(error["msg"])
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def problems_from(exc: ValidationError, filename: str) -> list[str]:
    """One readable line per validation error: `file: dotted.path: what is wrong`."""
    lines = []
    for error in exc.errors():
        loc = ".".join(str(part) for part in error["loc"]) or "(top level)"
        lines.append(f"{filename}: {loc}: {_describe(error)}")
    return lines


M = TypeVar("M", bound=BaseModel)


def read_yaml(path: Path) -> Any:
    """Parse a YAML file safely, turning read and syntax errors into FileProblems."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FileProblems([f"{path}: cannot be read: {exc.strerror}"]) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise FileProblems([f"{path}: not valid YAML{where}: {problem}"]) from None


def validate_file(model: type[M], path: Path, data: Any | None = None) -> M:
    """Load `path` (or use already-parsed `data`) into `model`, or raise FileProblems."""
    raw = read_yaml(path) if data is None else data
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise FileProblems([f"{path}: must be a mapping of keys to values at the top level"])
    problems = [f"{path}: {where}: contains {what}" for where, what in unsafe_texts(raw)]
    try:
        validated = model.model_validate(raw)
    except ValidationError as exc:
        problems += problems_from(exc, str(path))
    if problems:
        raise FileProblems(problems)
    return validated


def unsafe_texts(data: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """Every text of parsed YAML holding a control or bidi-override character: its dotted
    path and what the character is (the files' share of the rule in natm_bot/text.py)."""
    if isinstance(data, str):
        found = find_unsafe(data)
        if found is not None:
            yield where or "(top level)", found[1]
    elif isinstance(data, dict):
        for key, value in data.items():
            inner = f"{where}.{neutralise(str(key))}".lstrip(".")
            yield from unsafe_texts(key, inner)
            yield from unsafe_texts(value, inner)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from unsafe_texts(value, f"{where}.{index}".lstrip("."))
