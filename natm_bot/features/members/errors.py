"""The error that names each field of an application or an edit that cannot be accepted."""

from __future__ import annotations

from collections.abc import Sequence

from natm_bot.core.errors import UsageError
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
        intro = "This field needs" if count == 1 else f"These {count} fields need"
        lines = "\n".join(problem_line(p) for p in self.problems)
        super().__init__(f"{intro} fixing; nothing was saved:\n\n{lines}")


def name_problem(name: str, where: str) -> Problem:
    """Why a name cannot be used: it is listed, or an application for it waits."""
    if where == "listed":
        return Problem("name", f"“{name}” is already listed as a member.")
    return Problem("name", f"an application for “{name}” is already waiting for a decision.")
