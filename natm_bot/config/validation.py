"""Shared pieces for validating YAML files into typed models, reporting every problem at once."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    ModelWrapValidatorHandler,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from natm_bot.config.yaml_loader import Loader, TooLarge, read_bounded
from natm_bot.config.yaml_loader import Loc as Loc
from natm_bot.config.yaml_loader import Problem as Problem
from natm_bot.core.text import find_unsafe, neutralise

MXID_RE = re.compile(r"^@[a-z0-9._=\-/+]+:[A-Za-z0-9.\-]+(:\d{1,5})?$")
SERVER_RE = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$")
# Room ids of room version 12 have no server part ("!abc…"); aliases always have one.
ROOM_RE = re.compile(
    r"^(![^:\s]+(:[A-Za-z0-9.\-]+(:\d{1,5})?)?|#[^:\s]+:[A-Za-z0-9.\-]+(:\d{1,5})?)$"
)


class Strict(BaseModel):
    """Base for every file-backed model: immutable, unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @classmethod
    def checks(cls, raw: Mapping[str, Any]) -> Iterator[Problem]:
        """Problems spanning several fields or entries (repeats, references), found in the
        raw mapping; a model with such rules overrides this."""
        return iter(())

    # pydantic skips a model's own validators once one of its fields failed, so rules across
    # entries (unique ids…) would hide until every entry is right. They run on the raw data
    # instead, whatever the fields gave, and all problems are reported together.
    @model_validator(mode="wrap")
    @classmethod
    def _every_problem(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        failed: ValidationError | None = None
        try:
            model = handler(data)
        except ValidationError as exc:
            failed = exc
        found = list(cls.checks(data)) if isinstance(data, Mapping) else []
        if not found:
            if failed is not None:
                raise failed
            return model
        errors = [_carried(error) for error in failed.errors()] if failed else []
        errors += [_custom(loc, message) for loc, message in found]
        raise ValidationError.from_exception_data(cls.__name__, errors)


def _custom(loc: Loc, message: str, kind: str = "check") -> InitErrorDetails:
    return InitErrorDetails(
        type=PydanticCustomError(kind, "{message}", {"message": message}), loc=loc, input=None
    )


def _carried(error: Any) -> InitErrorDetails:
    """A field error kept as it was (its kind and text) beside problems found by checks."""
    return _custom(tuple(error["loc"]), str(error["msg"]), str(error["type"]))


def repeats(
    items: Any, key: Callable[[Any], Hashable | None] = lambda item: item
) -> Iterator[tuple[int, Any]]:
    """(index, item) of each entry of a raw list whose key an earlier entry already had;
    entries whose key is None (not comparable) are skipped."""
    if not isinstance(items, list):
        return
    seen: set[Hashable] = set()
    for index, item in enumerate(items):
        try:
            wanted = key(item)
            hash(wanted)
        except (TypeError, AttributeError, ValueError):
            continue  # a malformed entry (unhashable…): its own field check names it
        if wanted is None:
            continue
        if wanted in seen:
            yield index, item
        seen.add(wanted)


def entries(raw: Mapping[str, Any], field: str) -> list[Any]:
    """The raw list under `field`, or none when it is missing or not a list."""
    items = raw.get(field)
    return items if isinstance(items, list) else []


def text_key(fold: Callable[[str], str] = str) -> Callable[[Any], str | None]:
    """A key for `repeats`: texts compared after `fold`, anything else not compared."""
    return lambda item: fold(item) if isinstance(item, str) else None


def listed_twice(
    raw: Mapping[str, Any], field: str, fold: Callable[[str], str] = str
) -> Iterator[Problem]:
    """A problem for each text of the list `raw[field]` that repeats an earlier one."""
    for index, item in repeats(raw.get(field), text_key(fold)):
        yield (field, index), f"{item!r} is listed twice: keep one"


def repeated_ids(raw: Mapping[str, Any], field: str, what: str) -> Iterator[Problem]:
    """A problem for each entry of the list `raw[field]` whose `id` an earlier one has."""
    ids = [e.get("id") if isinstance(e, Mapping) else None for e in entries(raw, field)]
    for index, value in repeats(ids, text_key()):
        yield (field, index, "id"), f"{value!r} is already the id of another {what}"


class FileProblems(Exception):
    """A file failed validation; `problems` holds one line per problem, file and key named,
    and `note` how the file was read when that can explain them (a CSV file's separator)."""

    def __init__(self, problems: list[str], note: str = "") -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
        self.note = note


def _mxid(value: str) -> str:
    if not MXID_RE.match(value):
        raise ValueError(f"must be a Matrix user id like @name:example.org, not {value!r}")
    return value


def _server(value: str) -> str:
    if not SERVER_RE.match(value):
        raise ValueError(f"must be a server name like example.org, not {value!r}")
    return value


# A room id alone (no alias): with or without a server part.
ROOM_ID_RE = re.compile(r"![^:\s]+(:[A-Za-z0-9.\-]+(:\d{1,5})?)?")


def room_id(value: str) -> str:
    """A room given by id, `!abc:example.org` or `!abc` (room version 12): membership
    changes and announcements name rooms by id, whatever an alias later points at."""
    if not ROOM_ID_RE.fullmatch(value):
        raise ValueError(f"must be a room id like !abc:example.org, not {value!r}")
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
    return [line(filename, tuple(error["loc"]), _describe(error)) for error in exc.errors()]


def line(filename: str, loc: Loc, message: str) -> str:
    """One problem as it is reported: `file: dotted.path: message`."""
    return f"{filename}: {'.'.join(str(part) for part in loc) or '(top level)'}: {message}"


M = TypeVar("M", bound=BaseModel)


def parse_yaml(path: Path) -> tuple[Any, list[Problem]]:
    """A YAML file's data and a problem for each repeated key; FileProblems when it cannot be
    read, is not YAML, or is beyond the loader's limits (size, nesting, values after
    aliases)."""
    try:
        text = read_bounded(path)
    except OSError as exc:
        raise FileProblems([f"{path}: cannot be read: {exc.strerror}"]) from None
    except UnicodeDecodeError:
        raise FileProblems([f"{path}: cannot be read: it is not UTF-8 text"]) from None
    except TooLarge as exc:
        raise FileProblems([f"{path}: {exc}"]) from None
    loader: Loader | None = None
    try:
        loader = Loader(text)  # refuses control characters at once
        return loader.document(), loader.repeated
    except TooLarge as exc:
        raise FileProblems([f"{path}: {exc}"]) from None
    except yaml.YAMLError as exc:
        raise FileProblems([f"{path}: not valid YAML{_where(exc)}"]) from None
    except (ValueError, OverflowError) as exc:
        # A scalar PyYAML cannot build (`2024-13-45`, `!!int x`) has no mark to show.
        raise FileProblems([f"{path}: not valid YAML: {exc}"]) from None
    except RecursionError:
        raise FileProblems([f"{path}: not valid YAML: nested too deeply"]) from None
    finally:
        if loader is not None:
            loader.dispose()


def _where(exc: yaml.YAMLError) -> str:
    """Where in the file and what: ` (line 3, column 5): found unexpected end of stream`."""
    if isinstance(exc, yaml.reader.ReaderError):
        return f": character #x{exc.character:04x} is not allowed (at position {exc.position})"
    mark = getattr(exc, "problem_mark", None)
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
    return f"{where}: {getattr(exc, 'problem', None) or 'not valid YAML'}"


def read_yaml(path: Path) -> Any:
    """Parse a YAML file safely; read and syntax errors and repeated keys are FileProblems."""
    data, repeated = parse_yaml(path)
    if repeated:
        raise FileProblems([line(str(path), loc, message) for loc, message in repeated])
    return data


def validate_file(
    model: type[M], path: Path, data: Any | None = None, found: Sequence[str] = ()
) -> M:
    """Load `path` (or use already-parsed `data`, with the problems `found` in it) into
    `model`; FileProblems lists every problem of the file."""
    problems = list(found)
    if data is None:
        data, repeated = parse_yaml(path)
        problems += [line(str(path), loc, message) for loc, message in repeated]
    raw = {} if data is None else data
    if not isinstance(raw, dict):
        raise FileProblems(
            [*problems, f"{path}: must be a mapping of keys to values at the top level"]
        )
    problems += [f"{path}: {where}: contains {what}" for where, what in unsafe_texts(raw)]
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
