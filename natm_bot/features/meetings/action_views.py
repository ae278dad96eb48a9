"""What action items look like in chat: a person's list, a group's, the due-date message and
the note to someone an action is handed to."""

from __future__ import annotations

from collections.abc import Sequence

from natm_bot.calendar.timeutil import long_date
from natm_bot.core.i18n import _
from natm_bot.core.markdown import md_escape
from natm_bot.storage.actions import Action

SHOWN = 160  # characters of an action's text in a list (a direct message shows it all)


def action_line(action: Action, *, owner: bool = False) -> str:
    """`#3 Send the draft (Weekly call) · due 20 Jan 2027`, with its owner when asked."""
    parts = [f"**#{action.id}** {md_escape(_clipped(action.text))}"]
    if action.meeting_title:
        parts.append(f"({md_escape(action.meeting_title)})")
    line = " ".join(parts)
    if action.due:
        line += " · " + _("due {date}").format(date=long_date(action.due))
    if owner:
        who = md_escape(action.owner) if action.owner else _("unassigned")
        line += f" · {who}"
    return line


def _clipped(text: str) -> str:
    """A line of a list shows at most SHOWN characters of an action's text."""
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


def my_actions(actions: Sequence[Action], prefix: str) -> str:
    """The `!actions` answer."""
    if not actions:
        return _("You have no open action items.")
    lines = [_("**Your open action items**"), ""]
    lines += [f"- {action_line(a)}" for a in actions]
    lines += ["", _done_hint(prefix)]
    return "\n".join(lines)


def group_actions(group_name: str, actions: Sequence[Action], prefix: str) -> str:
    """The `!actions group <g>` answer."""
    name = md_escape(group_name)
    if not actions:
        return _("**{group}** has no open action items.").format(group=name)
    lines = [_("**Open action items of {group}**").format(group=name), ""]
    lines += [f"- {action_line(a, owner=True)}" for a in actions]
    lines += ["", _done_hint(prefix)]
    return "\n".join(lines)


def due_today(action: Action, prefix: str) -> str:
    """The direct message an owner gets on the due date."""
    text = _("Action #{number} is due today: {text}").format(
        number=action.id, text=md_escape(action.text)
    )
    if action.meeting_title:
        text += " " + _("(from {meeting})").format(meeting=md_escape(action.meeting_title))
    return text + "\n\n" + _done_hint(prefix, action.id)


def handed_over(action: Action, by: str, prefix: str) -> str:
    """The direct message to the person an action was just given to."""
    text = _("{person} gave you action #{number}: {text}").format(
        person=md_escape(by), number=action.id, text=md_escape(action.text)
    )
    if action.due:
        text += " " + _("It is due {date}.").format(date=long_date(action.due))
    return text + "\n\n" + _done_hint(prefix, action.id)


def _done_hint(prefix: str, number: int | None = None) -> str:
    if number is None:
        command = f"{prefix}action done <" + _("number") + ">"
        return _("When one is done: `{command}`.").format(command=command)
    command = f"{prefix}action done {number}"
    return _("When it is done: `{command}`.").format(command=command)
