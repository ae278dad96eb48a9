"""Declaring commands: a decorator, signature-based arguments and the registry that holds them."""

from __future__ import annotations

import difflib
import enum
import importlib.util
import inspect
import sys
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal

from natm_bot.core.i18n import N_, _
from natm_bot.core.messages import Reply
from natm_bot.core.text import fold

Handler = Callable[..., Awaitable[Reply | list[Reply]]]


class Perm(enum.Enum):
    """Who may run a command; judged by the dispatcher before any argument is read."""

    USER = N_("everyone")
    GROUP_VIEWER = N_("the group's coordinators and bot admins (or anyone, for a public list)")
    COORDINATOR = N_("the group's coordinators and bot admins")
    MODERATOR = N_("room moderators and bot admins")
    # Judged by what the action reaches: see natm_bot/features/permissions.py.
    ORGANISER = N_(
        "moderators of the rooms a meeting is announced in, coordinators of its group "
        "and bot admins"
    )
    # Judged by the room a poll is (or would be) in: see natm_bot/features/permissions.py.
    ROOM_ORGANISER = N_(
        "moderators of the room, coordinators of the group whose room it is and bot admins"
    )
    ADMIN = N_("bot admins")
    # Judged by who the sender is alone: the delegate of a member organisation, whoever
    # else they are (an admin speaks for no organisation by being one).
    DELEGATE = N_("delegates of member organisations")


class Rest(str):
    """An argument that takes the rest of the line, spaces included."""

    __slots__ = ()


@dataclass(frozen=True)
class Param:
    """One argument of a command, read from the handler's signature."""

    name: str
    kind: Any
    required: bool
    default: Any
    choices: tuple[str, ...] = ()
    converter: Any = None  # an object with `async convert(ctx, text)`, from Annotated[T, it]

    @property
    def rest(self) -> bool:
        """Whether it swallows the remainder of the line (a converter can ask to, too)."""
        return self.kind is Rest or getattr(self.converter, "rest", False) is True

    @property
    def label(self) -> str:
        """Its name as a usage line shows it, in English (`user_id` → `user-id`)."""
        return self.name.replace("_", "-")

    def usage(self) -> str:
        """How the argument looks in a usage line (its name in the language in force)."""
        label = "|".join(self.choices) if self.choices else _(self.label)
        label = f"{label}…" if self.rest else label
        return f"<{label}>" if self.required else f"[{label}]"


@dataclass(frozen=True)
class CommandSpec:
    """A registered command: names, permission, arguments and its help."""

    name: str
    aliases: tuple[str, ...]
    perm: Perm
    handler: Handler
    params: tuple[Param, ...]
    summary: str
    details: str
    hidden: bool = False
    usage_override: str | None = None
    audited: bool = True  # privileged commands leave an audit record unless told not to

    def help_summary(self, prefix: str) -> str:
        """The first line of the help, in the language in force, with the bot's prefix."""
        return with_prefix(_(self.summary), prefix) if self.summary else ""

    def help_details(self, prefix: str) -> str:
        """The rest of the help, in the language in force, with the bot's prefix."""
        return with_prefix(_(self.details), prefix) if self.details else ""

    def usage(self, prefix: str) -> str:
        """The generated usage line, e.g. `!principles [n]`; argument names are translated,
        and so is a hand-written usage (marked with `N_`: its keywords stay as typed)."""
        if self.usage_override:
            written = _(self.usage_override)
            return f"{prefix}{self.name} {written}".rstrip()
        args = " ".join(p.usage() for p in self.params)
        return f"{prefix}{self.name} {args}".rstrip()


def with_prefix(text: str, prefix: str) -> str:
    """A help text with `{prefix}` (where a command name follows) made the bot's prefix.

    Help texts are docstrings, not format strings: their other braces stay as they are."""
    return text.replace("{prefix}", prefix)


def command(
    name: str,
    *,
    aliases: tuple[str, ...] = (),
    perm: Perm = Perm.USER,
    hidden: bool = False,
    usage: str | None = None,
    audited: bool = True,
) -> Callable[[Handler], Handler]:
    """Mark an async function as a chat command; the folder loader registers it."""

    def mark(handler: Handler) -> Handler:
        handler.__natm_command__ = (name, aliases, perm, hidden, usage, audited)  # type: ignore[attr-defined]
        return handler

    return mark


def _params(handler: Handler) -> tuple[Param, ...]:
    hints = typing.get_type_hints(handler, include_extras=True)
    params = []
    signature = inspect.signature(handler)
    for index, (pname, parameter) in enumerate(signature.parameters.items()):
        if index == 0:
            continue  # the Context
        kind = hints.get(pname, str)
        required = parameter.default is inspect.Parameter.empty
        choices: tuple[str, ...] = ()
        if isinstance(kind, UnionType) or typing.get_origin(kind) is typing.Union:
            members = [a for a in typing.get_args(kind) if a is not type(None)]
            kind = members[0]
            required = False
        converter = None
        if typing.get_origin(kind) is Annotated:
            kind, converter = typing.get_args(kind)[:2]
        if typing.get_origin(kind) is Literal:
            choices = tuple(str(a) for a in typing.get_args(kind))
        default = None if parameter.default is inspect.Parameter.empty else parameter.default
        params.append(Param(pname, kind, required, default, choices, converter))
    if any(p.rest for p in params[:-1]):
        raise TypeError(f"{handler.__name__}: a Rest argument must come last")
    return tuple(params)


def spec_of(handler: Handler) -> CommandSpec:
    """Build the CommandSpec of a decorated handler."""
    name, aliases, perm, hidden, usage, audited = handler.__natm_command__  # type: ignore[attr-defined]
    doc = inspect.getdoc(handler) or ""
    summary, _, details = doc.partition("\n")
    return CommandSpec(
        name=name.lower(),
        aliases=tuple(a.lower() for a in aliases),
        perm=perm,
        handler=handler,
        params=_params(handler),
        summary=summary.strip(),
        details=details.strip(),
        hidden=hidden,
        usage_override=usage,
        audited=audited,
    )


class Registry:
    """All commands the bot knows, looked up by name or alias in any of its languages, with
    case and accents folded (`!Reunión`, `!reunion` and `!REUNIÓN` are one command)."""

    def __init__(self) -> None:
        self._by_name: dict[str, CommandSpec] = {}
        self._shown: dict[str, str] = {}  # folded name -> the name as declared
        self.commands: list[CommandSpec] = []

    def add(self, spec: CommandSpec) -> None:
        """Register a command; names and aliases must not clash once folded (one command may
        declare both `reunion` and `reunión`)."""
        for declared in (spec.name, *spec.aliases):
            key = fold(declared)
            if self._by_name.get(key, spec) is not spec:
                raise ValueError(f"command name {declared!r} is declared twice")
            self._by_name[key] = spec
            self._shown.setdefault(key, declared)
        self.commands.append(spec)

    def get(self, name: str) -> CommandSpec | None:
        """The command called `name` (or aliased so), if any."""
        return self._by_name.get(fold(name))

    def names(self) -> list[str]:
        """Every name and alias, folded, for suggestions."""
        return [n for n, spec in self._by_name.items() if not spec.hidden]

    def suggest(self, typed: str) -> str | None:
        """The visible name or alias, in any language, closest to what was typed (both
        folded), as it is declared; None when nothing is close."""
        close = difflib.get_close_matches(fold(typed), self.names(), n=1, cutoff=0.6)
        return self._shown[close[0]] if close else None

    def load_folder(self, folder: Path) -> None:
        """Import every module in `folder` and register the commands it declares."""
        for path in sorted(folder.glob("*.py")):
            if path.name.startswith("_"):
                continue
            module_name = f"natm_bot_commands.{path.stem}"
            module = sys.modules.get(module_name)
            if module is None or getattr(module, "__file__", None) != str(path):
                loader_spec = importlib.util.spec_from_file_location(module_name, path)
                if loader_spec is None or loader_spec.loader is None:
                    raise ImportError(f"cannot load commands from {path}")
                module = importlib.util.module_from_spec(loader_spec)
                sys.modules[module_name] = module
                loader_spec.loader.exec_module(module)
            for value in vars(module).values():
                if callable(value) and hasattr(value, "__natm_command__"):
                    self.add(spec_of(value))
