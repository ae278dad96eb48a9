"""The !mydata answer: what the bot keeps about a person, in plain words."""

from __future__ import annotations

from natm_bot.core.i18n import _, language_name
from natm_bot.core.markdown import md_escape
from natm_bot.features.privacy.service import PersonalReport
from natm_bot.storage.privacy import PersonalData


def render_report(report: PersonalReport, prefix: str) -> str:
    """The !mydata answer."""
    lines = ["**What I keep about you**", ""]
    found = _groups(report.data) + _meetings(report.data) + _members(report.data)
    if report.supporter:
        found.append("You declared your support (kept as a keyed hash, not your Matrix id).")
    if report.data.audit_entries:
        found.append(f"Audit log entries naming you: {report.data.audit_entries}")
    lines += found or ["Nothing at all."]
    lines += [
        "",
        "Commands you send are kept only until they are answered; after that I keep just the "
        "message id (no text, no sender), and delete even that after a while.",
        f"`{prefix}forgetme` erases everything above.",
    ]
    return "\n".join(lines)


def _groups(data: PersonalData) -> list[str]:
    """Sign-ups and the groups the person coordinates."""
    lines = []
    if data.signups:
        lines.append("Working groups:")
        lines += [
            f"- {md_escape(name)}: {'waitlist' if waiting else 'member'} since {since:%Y-%m-%d}"
            for name, waiting, since in data.signups
        ]
    if data.coordinates:
        lines.append("You coordinate: " + ", ".join(md_escape(n) for n in data.coordinates))
    return lines


def _meetings(data: PersonalData) -> list[str]:
    """Meeting answers, the person's time zone and the language they chose."""
    lines = []
    if data.rsvps:
        lines.append("Meeting answers:")
        lines += [
            f"- #{number} {md_escape(title)} on {when:%Y-%m-%d %H:%M} UTC: {answer}"
            + (" (with a reminder by direct message)" if remind else "")
            for number, title, when, answer, remind in data.rsvps
        ]
    if data.timezone:
        lines.append(f"Your time zone: {data.timezone}")
    if data.language:
        name = language_name(data.language)
        lines.append(_("The language I answer you in: {language}").format(language=name))
    return lines


def _members(data: PersonalData) -> list[str]:
    """Member applications and organisations listing the person as contact."""
    lines = []
    if data.applications:
        lines.append("Member applications waiting for a decision:")
        lines += [
            f"- #{n} {md_escape(name)}, sent {sent:%Y-%m-%d}"
            for n, name, sent in data.applications
        ]
    if data.contact_for:
        lines.append("Listed as contact of: " + ", ".join(md_escape(n) for n in data.contact_for))
    return lines
