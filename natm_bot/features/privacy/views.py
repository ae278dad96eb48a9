"""The !mydata answer: what the bot keeps about a person, in plain words."""

from __future__ import annotations

from natm_bot.calendar.timeutil import long_date, long_date_time
from natm_bot.core.i18n import N_, _, language_name, ngettext
from natm_bot.core.markdown import md_escape
from natm_bot.features.privacy.service import PersonalReport
from natm_bot.storage.privacy import PersonalData

# How a meeting answer reads (the same words `rsvp` answers with).
ANSWERS = {"yes": N_("yes"), "no": N_("no"), "maybe": N_("maybe")}


def render_report(report: PersonalReport, prefix: str) -> str:
    """The !mydata answer."""
    lines = [_("**What I keep about you**"), ""]
    found = _groups(report.data) + _meetings(report.data) + _members(report.data)
    found += _votes(report) + _actions(report) + _minutes(report) + _statements(report)
    if report.supporter:
        found.append(_("You declared your support (kept as a keyed hash, not your Matrix id)."))
    if report.welcomed:
        found.append(
            _("You were welcomed on {date} (kept as a keyed hash, not your Matrix id).").format(
                date=long_date(report.welcomed)
            )
        )
    if report.data.audit_entries:
        entries = report.data.audit_entries
        found.append(_("Audit log entries naming you: {count}").format(count=entries))
    lines += found or [_("Nothing at all.")]
    lines += [
        "",
        _(
            "Commands you send are kept only until they are answered; after that I keep just "
            "the message id (no text, no sender), and delete even that after a while."
        ),
        _("`{command}` erases everything above.").format(command=f"{prefix}forgetme"),
    ]
    return "\n".join(lines)


def _groups(data: PersonalData) -> list[str]:
    """Sign-ups and the groups the person coordinates."""
    lines = []
    if data.signups:
        lines.append(_("Working groups:"))
        lines += [
            "- "
            + (
                _("{group}: waitlist since {date}")
                if waiting
                else _("{group}: member since {date}")
            ).format(group=md_escape(name), date=long_date(since.date()))
            for name, waiting, since in data.signups
        ]
    if data.coordinates:
        names = ", ".join(md_escape(n) for n in data.coordinates)
        lines.append(_("You coordinate: {groups}").format(groups=names))
    return lines


def _meetings(data: PersonalData) -> list[str]:
    """Meeting answers, the person's time zone and the language they chose."""
    lines = []
    if data.rsvps:
        lines.append(_("Meeting answers:"))
        for number, title, when, answer, remind in data.rsvps:
            line = _("#{number} {title} on {when} UTC: {answer}").format(
                number=number,
                title=md_escape(title),
                when=long_date_time(when),
                answer=_(ANSWERS.get(answer, answer)),
            )
            if remind:
                line += " " + _("(with a reminder by direct message)")
            lines.append(f"- {line}")
    if data.reactions:
        lines.append(_("Reactions to meeting announcements that answer for a date:"))
        lines += [
            "- "
            + _("#{number} {title} on {when} UTC: {answer}").format(
                number=number,
                title=md_escape(title),
                when=long_date_time(when),
                answer=_(ANSWERS.get(answer, answer)),
            )
            for number, title, when, answer in data.reactions
        ]
    if data.timezone:
        lines.append(_("Your time zone: {zone}").format(zone=data.timezone))
    if data.language:
        name = language_name(data.language)
        lines.append(_("The language I answer you in: {language}").format(language=name))
    return lines


def _members(data: PersonalData) -> list[str]:
    """Member applications, organisations listing the person as contact, and the
    organisation they are the delegate of."""
    lines = []
    if data.applications:
        lines.append(_("Member applications waiting for a decision:"))
        lines += [
            "- "
            + _("#{number} {name}, sent {date}").format(
                number=n, name=md_escape(name), date=long_date(sent.date())
            )
            for n, name, sent in data.applications
        ]
    if data.contact_for:
        names = ", ".join(md_escape(n) for n in data.contact_for)
        lines.append(_("Listed as contact of: {names}").format(names=names))
    if data.delegate_for:
        names = ", ".join(md_escape(n) for n in data.delegate_for)
        lines.append(
            _("Delegate of {organisation}: you vote for it in polls of organisations.").format(
                organisation=names
            )
        )
    return lines


def _votes(report: PersonalReport) -> list[str]:
    """The person's votes in open polls (secret ballots keep no Matrix id beside a vote)."""
    if not report.votes:
        return []
    lines = [_("Your votes in open polls:")]
    lines += [
        "- "
        + _("#{number} {question}: {choice}").format(
            number=number, question=md_escape(question), choice=md_escape(choice)
        )
        for number, question, choice in report.votes
    ]
    return lines


def _actions(report: PersonalReport) -> list[str]:
    """The action items the person owns (forgetting them leaves the actions, unassigned)."""
    if not report.actions:
        return []
    lines = [_("Action items you own:")]
    for action in report.actions:
        line = f"- #{action.id} {md_escape(action.text)}"
        if action.due:
            line += " · " + _("due {date}").format(date=long_date(action.due))
        if action.done:
            line += " · " + _("done")
        lines.append(line)
    return lines


def _minutes(report: PersonalReport) -> list[str]:
    """How many lines of minutes the person said, and the agenda items they added."""
    lines = []
    if report.lines_said:
        lines.append(
            ngettext(
                "{count} line of minutes you said (kept with your display name)",
                "{count} lines of minutes you said (kept with your display name)",
                report.lines_said,
            ).format(count=report.lines_said)
        )  # fmt: skip
    if report.agenda_items:
        lines.append(_("Agenda items you added:"))
        lines += [f"- {md_escape(text)}" for text in report.agenda_items]
    return lines


def _statements(report: PersonalReport) -> list[str]:
    """The statements the person supports (found by their keyed hash) and the endorsements
    they made for their organisation."""
    lines = []
    if report.supports:
        ids = ", ".join(f"`{statement}`" for statement in report.supports)
        lines.append(
            _("Statements you support (kept as a keyed hash, not your Matrix id): {ids}").format(
                ids=ids
            )
        )
    if report.endorsed:
        lines.append(_("Endorsements you made for your organisation (they stay its own):"))
        lines += [
            "- "
            + _("`{statement}`, version {version}, for organisation #{number}").format(
                statement=statement, version=version, number=number
            )
            for statement, number, version in report.endorsed
        ]
    return lines
