"""What the bot holds about a person, shown on request and erased for real on request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from natm_bot.engine.rendering import md_escape
from natm_bot.storage.privacy import AuditLog, PersonalData, PrivacyStore

if TYPE_CHECKING:
    from natm_bot.app import App

CONFIRM_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class Forgotten:
    """What `forget` erased, and who moved up a waitlist because of it."""

    data: PersonalData
    was_supporter: bool
    promotions: tuple[tuple[str, str], ...]  # (group id, person)


class PrivacyService:
    """!mydata and !forgetme, and the audit log of privileged actions."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.store = PrivacyStore(app.db)
        self.audit = AuditLog(app.db)
        self._confirming: dict[str, datetime] = {}
        self.checkpoint_due = False

    async def report(self, user: str) -> str:
        """Markdown listing every piece of data held about the person."""
        data = await self.store.collect(user)
        supporter = await self.app.members.is_supporter(user)
        return render_report(data, supporter, self.app.config.bot.prefix)

    def ask_to_confirm(self, user: str, now: datetime) -> None:
        """Open a short window in which `!forgetme confirm` erases the person's data (windows
        that closed unconfirmed are dropped, so the bot does not hold those ids for months)."""
        self._confirming = {u: until for u, until in self._confirming.items() if until >= now}
        self._confirming[user] = now + CONFIRM_WINDOW

    def confirmed(self, user: str, now: datetime) -> bool:
        """Whether a confirmation is open (and close it)."""
        until = self._confirming.pop(user, None)
        return until is not None and now <= until

    async def forget(self, user: str) -> Forgotten:
        """Erase everything about the person; waitlists move up as if they had left."""
        data = await self.store.collect(user)
        was_supporter = await self.app.members.is_supporter(user)
        promotions: list[tuple[str, str]] = []
        for group in await self.app.groups.all():
            outcome = await self.app.groups.leave(group, user)
            promotions += [(group.id, promoted) for promoted in outcome.promoted]
        digest = self.app.members.supporter_digest(user)
        await self.store.erase(user, digest)
        await self.app.db.checkpoint()  # the old page copies leave the WAL too
        self.checkpoint_due = True  # and again once the command itself is forgotten
        return Forgotten(data, was_supporter, tuple(promotions))


def render_report(data: PersonalData, supporter: bool, prefix: str) -> str:
    """The !mydata answer."""
    lines = ["**What I keep about you**", ""]
    if data.signups:
        lines.append("Working groups:")
        lines += [
            f"- {md_escape(name)}: {'waitlist' if waiting else 'member'} since {since:%Y-%m-%d}"
            for name, waiting, since in data.signups
        ]
    if data.coordinates:
        lines.append("You coordinate: " + ", ".join(md_escape(n) for n in data.coordinates))
    if data.rsvps:
        lines.append("Meeting answers:")
        lines += [
            f"- #{number} {md_escape(title)} on {when:%Y-%m-%d %H:%M} UTC: {answer}"
            + (" (with a reminder by direct message)" if remind else "")
            for number, title, when, answer, remind in data.rsvps
        ]
    if data.timezone:
        lines.append(f"Your time zone: {data.timezone}")
    if data.applications:
        lines.append("Member applications waiting for a decision:")
        lines += [
            f"- #{n} {md_escape(name)}, sent {sent:%Y-%m-%d}"
            for n, name, sent in data.applications
        ]
    if data.contact_for:
        lines.append("Listed as contact of: " + ", ".join(md_escape(n) for n in data.contact_for))
    if supporter:
        lines.append("You declared your support (kept as a keyed hash, not your Matrix id).")
    if data.audit_entries:
        lines.append(f"Audit log entries naming you: {data.audit_entries}")
    if len(lines) == 2:
        lines.append("Nothing at all.")
    lines += [
        "",
        "Commands you send are kept only until they are answered; after that I keep just the "
        "message id (no text, no sender), and delete even that after a while.",
        f"`{prefix}forgetme` erases everything above.",
    ]
    return "\n".join(lines)
