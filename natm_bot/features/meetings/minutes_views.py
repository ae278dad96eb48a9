"""The minutes as text: agenda, topics, information, agreements with who agreed them, and
actions with their owners and due dates. Every typed text is Markdown-escaped."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from natm_bot.core.i18n import _, language
from natm_bot.core.markdown import md_escape
from natm_bot.features.meetings.minutes_model import Minutes
from natm_bot.storage.minutes import MinuteLine


def person_name(user: str | None, shown: str | None = None) -> str:
    """A name fit to show anyone: the display name kept, else the local part of a Matrix id
    (never the id with its server); "someone" once forgotten."""
    if shown:
        return shown
    if not user:
        return _("someone")
    return user.split(":", 1)[0].lstrip("@")


def _speaker(line: MinuteLine) -> str:
    return md_escape(person_name(line.sender, line.speaker_name))


def _action(line: MinuteLine, names: dict[str, str]) -> str:
    owner = md_escape(names.get(line.owner, person_name(line.owner))) if line.owner else None
    who = owner or _("unassigned")
    text = f"- {md_escape(line.text)} — **{who}**"
    if line.due is not None:
        due = format_date(line.due, "medium", locale=language())
        text += " " + _("(due {date})").format(date=due)
    return text


def _section(title: str, rows: list[str]) -> list[str]:
    return ["", f"**{title}**", *rows] if rows else []


def minutes_text(minutes: Minutes) -> str:
    """The minutes of one occurrence as one message, in the current language."""
    meeting = minutes.meeting
    local = minutes.start.astimezone(ZoneInfo(meeting.timezone))
    when = " ".join(
        (format_date(local, "medium", locale=language()),
         format_time(local, "short", locale=language()), f"({meeting.timezone})")
    )  # fmt: skip
    head = _("Minutes of **{title}** ({when})").format(title=md_escape(meeting.title), when=when)
    names = {
        line.sender: line.speaker_name
        for line in minutes.lines
        if line.sender is not None and line.speaker_name
    }
    agenda = [f"{n}. {md_escape(item.text)}" for n, item in enumerate(minutes.agenda, 1)]
    topics = [f"- {md_escape(line.text)}" for line in minutes.of_kind("topic")]
    infos = [f"- {md_escape(line.text)} ({_speaker(line)})" for line in minutes.of_kind("info")]
    agreed = [
        f"- {md_escape(line.text)} — " + _("agreed, said by {name}").format(name=_speaker(line))
        for line in minutes.of_kind("agreed")
    ]
    actions = [_action(line, names) for line in minutes.of_kind("action")]
    lines = [head]
    lines += _section(_("Agenda"), agenda)
    lines += _section(_("Topics"), topics)
    lines += _section(_("Information"), infos)
    lines += _section(_("Agreed"), agreed)
    lines += _section(_("Actions"), actions)
    if not (topics or infos or agreed or actions):
        lines += ["", _("Nothing was recorded.")]
    return "\n".join(lines)
