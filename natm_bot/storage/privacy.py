"""Everything stored about one person, gathered or erased in one place, and the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from natm_bot.core.clock import Clock
from natm_bot.storage.database import Database
from natm_bot.storage.state import ANONYMOUS_SUPPORTERS, add_in

ERASED = "(erased)"
_CONTACT_FOR = "SELECT name FROM organisations WHERE contact = ?"
_DELEGATE_FOR = (
    "SELECT o.name FROM organisation_delegates d JOIN organisations o"
    " ON o.id = d.organisation_id WHERE d.user_id = ?"
)


@dataclass(frozen=True)
class PersonalData:
    """What the database holds about one Matrix id."""

    signups: tuple[tuple[str, bool, datetime], ...]  # group name, waiting, since
    rsvps: tuple[tuple[int, str, datetime, str, bool], ...]  # meeting, title, when, answer, DM
    timezone: str | None
    applications: tuple[tuple[int, str, datetime], ...]  # number, organisation, applied
    coordinates: tuple[str, ...]  # group names
    contact_for: tuple[str, ...]  # organisations listing them as contact
    audit_entries: int
    language: str | None = None  # the reply language the person chose
    delegate_for: tuple[str, ...] = ()  # the organisation the person votes for (one at most)
    reactions: tuple[tuple[int, str, datetime, str], ...] = ()  # meeting, title, when, answer


def _when(ms_or_s: int, ms: bool = True) -> datetime:
    return datetime.fromtimestamp(ms_or_s / (1000 if ms else 1), UTC)


class PrivacyStore:
    """Reads and erases a person's rows across every feature, atomically."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def collect(self, user: str) -> PersonalData:
        """Every row that names the person."""
        q = self._db.fetchall
        signups = await q(
            "SELECT g.name, s.waiting, s.joined_at FROM signups s JOIN groups g"
            " ON g.id = s.group_id WHERE s.user_id = ? ORDER BY s.id",
            (user,),
        )
        rsvps = await q(
            "SELECT r.meeting_id, m.title, r.occurrence, r.answer, r.remind FROM rsvps r"
            " JOIN meetings m ON m.id = r.meeting_id WHERE r.user_id = ?"
            " ORDER BY r.occurrence",
            (user,),
        )
        zone = await self._text("SELECT timezone FROM user_settings WHERE user_id = ?", user)
        applications = await q(
            "SELECT id, name, applied_at FROM member_applications WHERE applicant = ? ORDER BY id",
            (user,),
        )
        coordinates = await self._names(
            "SELECT g.name FROM group_coordinators c JOIN groups g ON g.id = c.group_id"
            " WHERE c.user_id = ? ORDER BY g.name",
            user,
        )
        lang = await self._text("SELECT lang FROM person_languages WHERE user_id = ?", user)
        audit = await self._db.fetchone(
            "SELECT COUNT(*) FROM audit_log WHERE actor = ? OR instr(detail, ?) > 0", (user, user)
        )
        return PersonalData(
            signups=tuple((r[0], bool(r[1]), _when(r[2])) for r in signups),
            rsvps=tuple((r[0], r[1], _when(r[2], ms=False), r[3], bool(r[4])) for r in rsvps),
            timezone=zone,
            applications=tuple((r[0], r[1], _when(r[2])) for r in applications),
            coordinates=coordinates,
            contact_for=await self._names(_CONTACT_FOR, user),
            audit_entries=int(audit[0]) if audit else 0,
            language=lang,
            delegate_for=await self._names(_DELEGATE_FOR, user),
            reactions=await self._reactions(user),
        )

    async def welcomed_on(self, digest: str) -> date | None:
        """The day the person (by the keyed digest of their id) was welcomed, if ever."""
        row = await self._db.fetchone(
            "SELECT welcomed_on FROM onboarding_people WHERE digest = ?", (digest,)
        )
        return date.fromisoformat(str(row[0])) if row else None

    async def _reactions(self, user: str) -> tuple[tuple[int, str, datetime, str], ...]:
        """The person's reactions that answer for a meeting's date, by date."""
        rows = await self._db.fetchall(
            "SELECT r.meeting_id, m.title, r.occurrence, r.answer FROM rsvp_reactions r"
            " JOIN meetings m ON m.id = r.meeting_id WHERE r.user_id = ?"
            " ORDER BY r.occurrence, r.reacted_at",
            (user,),
        )
        return tuple((r[0], r[1], _when(r[2], ms=False), r[3]) for r in rows)

    async def _names(self, sql: str, user: str) -> tuple[str, ...]:
        """The first column of every row about the person."""
        return tuple(str(row[0]) for row in await self._db.fetchall(sql, (user,)))

    async def _text(self, sql: str, user: str) -> str | None:
        """One text value about the person, or None."""
        row = await self._db.fetchone(sql, (user,))
        return str(row[0]) if row and row[0] else None

    async def erase(self, user: str, supporter_digest: str | None) -> None:
        """Delete or anonymise every row naming the person, in one transaction.

        A supporter's digest becomes one more anonymous supporter, so the count stays true.
        """
        async with self._db.transaction() as conn:
            for sql in (
                "DELETE FROM signups WHERE user_id = ?",
                "DELETE FROM rsvps WHERE user_id = ?",
                "DELETE FROM rsvp_reactions WHERE user_id = ?",
                "DELETE FROM user_settings WHERE user_id = ?",
                "DELETE FROM person_languages WHERE user_id = ?",
                "DELETE FROM member_applications WHERE applicant = ?",
                "DELETE FROM group_coordinators WHERE user_id = ?",
                "DELETE FROM organisation_delegates WHERE user_id = ?",
                "DELETE FROM inbox WHERE sender = ?",
                "UPDATE organisations SET contact = NULL WHERE contact = ?",
            ):
                await conn.execute(sql, (user,))
            await conn.execute("UPDATE audit_log SET actor = ? WHERE actor = ?", (ERASED, user))
            await conn.execute(
                "UPDATE audit_log SET detail = replace(detail, ?, ?) WHERE instr(detail, ?) > 0",
                (user, ERASED, user),
            )
            if supporter_digest is not None:  # the welcome is kept under the same digest
                await conn.execute(
                    "DELETE FROM onboarding_people WHERE digest = ?", (supporter_digest,)
                )
                cursor = await conn.execute(
                    "DELETE FROM supporters WHERE digest = ?", (supporter_digest,)
                )
                if cursor.rowcount:
                    await add_in(conn, ANONYMOUS_SUPPORTERS, 1)

    async def prune(self, older_than_seconds: int) -> tuple[int, int]:
        """Delete handled-message ids and announcement records older than the retention."""
        cutoff = int(self._clock.now().timestamp()) - older_than_seconds
        async with self._db.transaction() as conn:
            events = await conn.execute(
                "DELETE FROM processed_events WHERE handled_at < ?", (cutoff,)
            )
            ledger = await conn.execute(
                "DELETE FROM announcements WHERE recorded_at < ?", (cutoff,)
            )
            await conn.execute("DELETE FROM group_cards WHERE posted_at < ?", (cutoff,))
            await conn.execute("DELETE FROM onboarding_people WHERE ends_at < ?", (cutoff,))
            return events.rowcount, ledger.rowcount


@dataclass(frozen=True)
class AuditEntry:
    """One privileged action."""

    at: datetime
    actor: str
    command: str
    detail: str


class AuditLog:
    """Who did what, when: every admin, coordinator and moderator action."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def record(self, actor: str, command: str, detail: str) -> None:
        """Add one entry."""
        await self._db.execute(
            "INSERT INTO audit_log (at, actor, command, detail) VALUES (?, ?, ?, ?)",
            (int(self._clock.now().timestamp()), actor, command, detail[:300]),
        )

    async def recent(self, count: int) -> list[AuditEntry]:
        """The newest entries, newest first."""
        rows = await self._db.fetchall(
            "SELECT at, actor, command, detail FROM audit_log ORDER BY id DESC LIMIT ?",
            (count,),
        )
        return [AuditEntry(_when(r[0], ms=False), r[1], r[2], r[3]) for r in rows]

    async def count(self) -> int:
        """How many entries there are."""
        row = await self._db.fetchone("SELECT COUNT(*) FROM audit_log")
        return int(row[0]) if row else 0
