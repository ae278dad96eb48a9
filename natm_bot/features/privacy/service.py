"""What the bot holds about a person, shown on request and erased for real on request."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from natm_bot.core.jobs import Every, JobRegistry
from natm_bot.storage.actions import Action
from natm_bot.storage.privacy import AuditEntry, AuditLog, PersonalData, PrivacyStore

log = logging.getLogger(__name__)

CONFIRM_WINDOW = timedelta(minutes=10)
PRUNE_JOB = "privacy-prune"


class Memberships(Protocol):
    """Working-group sign-ups, as far as erasing a person needs them."""

    async def leave_everywhere(self, user_id: str) -> tuple[tuple[str, str], ...]:
        """Take the person out of every group; who moved up, as (group id, person)."""


class Supporters(Protocol):
    """Declared support, kept under a keyed digest of the person's id."""

    async def is_supporter(self, user: str) -> bool:
        """Whether the person declared support."""

    def supporter_digest(self, user: str) -> str:
        """The digest that stands for the person among supporters."""


class Votes(Protocol):
    """Votes in polls, as far as showing and erasing a person's needs them."""

    async def choices_of(self, user: str) -> list[tuple[int, str, str]]:
        """The person's votes in open polls: (poll number, question, their choice)."""

    async def forget(self, user: str) -> int:
        """Take the person's votes out of polls; how many went."""


class ActionItems(Protocol):
    """Action items of meetings, as far as showing and erasing a person's needs them."""

    async def of_person(self, user: str) -> list[Action]:
        """Every action the person owns, done or not."""

    async def forget(self, user: str) -> int:
        """Take the person off every action (the actions stay, unassigned)."""


class Minutes(Protocol):
    """The lines of minutes a person said and the agenda items they added."""

    async def personal(self, user: str) -> tuple[int, list[str]]:
        """How many lines of minutes the person said, and the texts of their agenda items."""

    async def forget(self, user: str) -> int:
        """Keep the person's lines and agenda items without their name; how many."""


class StatementData(Protocol):
    """People's support of statements and delegates' endorsements of them."""

    async def personal(self, user: str) -> tuple[list[str], list[tuple[str, int, int]]]:
        """The statements the person supports, and the endorsements they acted on last
        (statement, organisation, version)."""

    async def forget(self, user: str) -> int:
        """Erase the person's support, and their name on endorsements (which stay)."""


@dataclass(frozen=True)
class PersonalReport:
    """Everything held about one person: their rows, and whether they declared support."""

    data: PersonalData
    supporter: bool
    votes: tuple[tuple[int, str, str], ...] = ()  # (poll, question, choice) in open polls
    actions: tuple[Action, ...] = ()  # the action items they own
    lines_said: int = 0  # lines of minutes
    agenda_items: tuple[str, ...] = ()  # the texts of the agenda items they added
    welcomed: date | None = None  # the day they were welcomed as a newcomer
    supports: tuple[str, ...] = ()  # the statements they support (by id)
    endorsed: tuple[tuple[str, int, int], ...] = ()  # (statement, organisation, version)


@dataclass(frozen=True)
class Forgotten:
    """What `forget` erased, and who moved up a waitlist because of it."""

    data: PersonalData
    was_supporter: bool
    promotions: tuple[tuple[str, str], ...]  # (group id, person)


class PrivacyService:
    """!mydata and !forgetme, the audit log of privileged actions, and retention."""

    def __init__(
        self,
        store: PrivacyStore,
        audit: AuditLog,
        *,
        groups: Memberships,
        supporters: Supporters,
        votes: Votes,
        actions: ActionItems,
        minutes: Minutes,
        statements: StatementData,
        checkpoint: Callable[[], Awaitable[object]],
        forgotten: Callable[[str], None],
    ) -> None:
        self._store = store
        self._audit = audit
        self._groups = groups
        self._supporters = supporters
        self._votes = votes
        self._actions = actions
        self._minutes = minutes
        self._statements = statements
        self._checkpoint = checkpoint
        self._forgotten = forgotten  # told once a person's rows are erased
        self._confirming: dict[str, datetime] = {}
        self._checkpoint_due = False

    async def report(self, user: str) -> PersonalReport:
        """Every piece of data held about the person."""
        data = await self._store.collect(user)
        supporter = await self._supporters.is_supporter(user)
        votes = tuple(await self._votes.choices_of(user))
        said, items = await self._minutes.personal(user)
        actions = tuple(await self._actions.of_person(user))
        welcomed = await self._store.welcomed_on(self._supporters.supporter_digest(user))
        supports, endorsed = await self._statements.personal(user)
        return PersonalReport(
            data, supporter, votes, actions, said, tuple(items), welcomed,
            supports=tuple(supports), endorsed=tuple(endorsed),
        )  # fmt: skip

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
        data = await self._store.collect(user)
        was_supporter = await self._supporters.is_supporter(user)
        promotions = await self._groups.leave_everywhere(user)
        digest = self._supporters.supporter_digest(user)
        await self._votes.forget(user)
        await self._actions.forget(user)
        await self._minutes.forget(user)
        await self._statements.forget(user)
        await self._store.erase(user, digest)
        self._forgotten(user)
        await self._checkpoint()  # the old page copies leave the WAL too
        self._checkpoint_due = True  # and again once the command itself is forgotten
        return Forgotten(data, was_supporter, promotions)

    async def checkpoint_if_due(self) -> None:
        """Fold the WAL into the file again when someone was just forgotten (called once
        the command that asked for it is itself handled)."""
        if self._checkpoint_due:
            self._checkpoint_due = False
            await self._checkpoint()

    async def record(self, actor: str, command: str, detail: str) -> None:
        """Add a privileged action to the audit log."""
        await self._audit.record(actor, command, detail)

    async def recent_actions(self, count: int) -> list[AuditEntry]:
        """The newest audit entries, newest first."""
        return await self._audit.recent(count)

    async def prune(self, retention_seconds: int) -> tuple[int, int]:
        """Drop handled-message ids and announcement records older than the retention; how
        many of each."""
        events, ledger = await self._store.prune(retention_seconds)
        if events or ledger:
            log.info("pruned %d handled-message ids and %d announcement records", events, ledger)
        return events, ledger

    def schedule(self, jobs: JobRegistry, *, retention_seconds: int, every: timedelta) -> None:
        """Register the retention pruning as a periodic job."""

        async def prune() -> None:
            await self.prune(retention_seconds)

        jobs.register(PRUNE_JOB, Every(every), prune)
