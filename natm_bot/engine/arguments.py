"""Turning the text after a command name into the handler's typed arguments."""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from natm_bot.config.validation import MXID_RE
from natm_bot.core.errors import NotFound, UsageError
from natm_bot.core.i18n import _
from natm_bot.core.messages import UserId
from natm_bot.core.text import find_unsafe
from natm_bot.engine.gate import Judge, Unknown
from natm_bot.engine.registry import Param, Rest
from natm_bot.engine.rendering import md_escape

_TOKEN_RE = re.compile(r'"([^"]*)"?|(\S+)')
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'"})


@dataclass(frozen=True)
class Token:
    """A word or a quoted phrase, with where it starts in the argument text."""

    value: str
    start: int


def normalise(text: str) -> str:
    """Straighten smart quotes and full-width punctuation that phones and IMEs insert."""
    return text.translate(_QUOTES).replace("！", "!").replace("\u00a0", " ")


def tokenize(text: str) -> list[Token]:
    """Split on whitespace, keeping "quoted phrases" together."""
    tokens = []
    for match in _TOKEN_RE.finditer(text):
        quoted, bare = match.group(1), match.group(2)
        tokens.append(Token(quoted if quoted is not None else bare, match.start()))
    return tokens


def _named(param: Param) -> str:
    """An argument's name in an error, in the language in force (`user id`, `grupo`)."""
    return _(param.label).replace("-", " ")


def _to_int(param: Param, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        shown = md_escape(text[:40])
        raise UsageError(
            _("{name} must be a whole number, not “{typed}”.").format(
                name=_named(param), typed=shown
            )
        ) from None


def _to_user(param: Param, text: str) -> str:
    if not MXID_RE.match(text):
        raise UsageError(
            _("{name} must be a Matrix user id like @name:example.org.").format(name=_named(param))
        )
    return text


async def convert(
    ctx: object, param: Param, text: str, bound: Mapping[str, Any] | None = None
) -> Any:
    """One argument's value, or UsageError explaining what was expected.

    `ctx` is the handler's context, handed on to a converter as it is. A converter with
    `takes_bound = True` also gets the arguments bound before it: what an edit would make
    of a meeting or group depends on which one it is."""
    kind = param.kind
    if param.choices:
        lowered = text.lower()
        if lowered not in param.choices:
            raise UsageError(
                _("{name} must be one of: {choices}.").format(
                    name=_named(param), choices=", ".join(param.choices)
                )
            )
        return lowered
    custom = getattr(param.converter or kind, "convert", None)
    if custom is not None and getattr(param.converter, "takes_bound", False):
        return await custom(ctx, text, dict(bound or {}))
    if custom is not None:
        return await custom(ctx, text)
    if kind is int:
        return _to_int(param, text)
    if kind is UserId:
        return UserId(_to_user(param, text))
    if kind is Rest:
        return Rest(text)
    return text


def _raw_rest(text: str, token: Token) -> str:
    rest = text[token.start :].strip()
    if len(rest) >= 2 and rest.startswith('"') and rest.endswith('"') and rest.count('"') == 2:
        return rest[1:-1]
    return rest


def refuse_unsafe(text: str) -> None:
    """UsageError when the text holds a control or bidi-override character, saying which
    and where: nothing a person types with one reaches a handler, so none is ever stored."""
    found = find_unsafe(text)
    if found is None:
        return
    index, problem = found
    before = text[:index].splitlines()[-1:] or [""]
    if before[0].strip():
        raise UsageError(
            _("Your message contains {problem} after “{text}”; please remove it.").format(
                problem=problem, text=md_escape(before[0][-30:])
            )
        )
    raise UsageError(
        _("Your message contains {problem}; please remove it.").format(problem=problem)
    )


def counting_number(text: str, highest: int = 10**18) -> int | None:
    """`text` as a whole number from 1 to `highest`, in any script's digits; else None.

    (`str.isdigit` also takes "²", which `int` refuses, and SQLite stops at 2**63.)"""
    text = text.strip()
    if not text.isdecimal() or len(text) > 18:
        return None
    number = int(text)
    return number if 1 <= number <= highest else None


def row_number(text: str, not_a_number: str) -> tuple[str, int | None]:
    """`3` or `#3` as typed (without the `#`) and as a row number (None when no row could
    have it); UsageError with `not_a_number` (which may name `{typed}`) when it is none."""
    number = text.strip().lstrip("#")
    if not number.isdecimal():
        raise UsageError(not_a_number.format(typed=md_escape(text[:20])))
    return number, counting_number(number)


async def _judged(
    ctx: object, param: Param, raw: str, values: dict[str, Any], judge: Judge | None
) -> Any:
    """One argument's value, judged with those bound before it when there is a judge; a
    target (a converter with `target = True`) that names nothing is judged as Unknown first."""
    try:
        value = await convert(ctx, param, raw, values)
    except NotFound:
        if judge is not None and getattr(param.converter, "target", False):
            await judge({**values, param.name: Unknown(raw)})
        raise
    if judge is not None:
        await judge({**values, param.name: value})
    return value


async def bind(
    ctx: object, params: typing.Sequence[Param], text: str, judge: Judge | None = None
) -> dict[str, Any]:
    """Match the argument text to the parameters, converting each value; `judge` sees the
    values bound so far after each one, so that a refusal stops the rest being read."""
    refuse_unsafe(text)
    tokens = tokenize(text)
    values: dict[str, Any] = {}
    index = 0
    for position, param in enumerate(params):
        if index >= len(tokens):
            if param.required:
                raise UsageError(_("Missing {name}.").format(name=_named(param)))
            values[param.name] = param.default
            continue
        # A name (of a group, say) may have spaces: typed last, it takes the rest of the line.
        greedy = position == len(params) - 1 and getattr(param.converter, "greedy", False)
        whole = param.rest or greedy
        raw = _raw_rest(text, tokens[index]) if whole else tokens[index].value
        index = len(tokens) if whole else index + 1
        values[param.name] = await _judged(ctx, param, raw, values, judge)
    if index < len(tokens):
        extra = md_escape(" ".join(t.value for t in tokens[index:])[:80])
        raise UsageError(_("I did not expect “{text}” here.").format(text=extra))
    return values
