"""The error that names each field of an application or an edit that cannot be accepted."""

from __future__ import annotations

from collections.abc import Sequence

from natm_bot.core.errors import UsageError
from natm_bot.core.i18n import _, ngettext
from natm_bot.engine.rendering import md_escape
from natm_bot.features.members.fields import Problem


def problem_line(problem: Problem) -> str:
    """A Markdown list item naming the field."""
    return f"- `{problem.field}`: {md_escape(problem.message)}"


class InvalidFields(UsageError):
    """Some fields of an application or an edit cannot be accepted; each has its own line."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        intro = ngettext(
            "This field needs fixing; nothing was saved:",
            "These {count} fields need fixing; nothing was saved:",
            count,
        ).format(count=count)
        lines = "\n".join(problem_line(p) for p in self.problems)
        super().__init__(f"{intro}\n\n{lines}")


def name_problem(name: str, where: str) -> Problem:
    """Why a name cannot be used: it is listed, or an application for it waits."""
    if where == "listed":
        return Problem("name", _("“{name}” is already listed as a member.").format(name=name))
    waiting = _("an application for “{name}” is already waiting for a decision.")
    return Problem("name", waiting.format(name=name))
