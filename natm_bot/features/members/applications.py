"""Applications to be listed: queued with the applicant's id, decided by an admin."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from natm_bot.core.errors import CommandError, NotFound
from natm_bot.core.i18n import _
from natm_bot.features.members.directory import PAGE_SIZE, pages_for, storable
from natm_bot.features.members.errors import InvalidFields, name_problem
from natm_bot.features.members.fields import MemberRules
from natm_bot.storage.members import Application, MemberStore, NameTaken, Organisation, OrgInfo

MAX_PENDING_PER_PERSON = 3


@dataclass(frozen=True)
class Pending:
    """One page of the applications waiting for a decision."""

    total: int
    page: int
    items: tuple[Application, ...]

    @property
    def pages(self) -> int:
        """How many pages the applications fill (at least 1)."""
        return pages_for(self.total)


class Applications:
    """Applying, the queue of applications, and an admin's decisions on them.

    `checkpoint` folds the database's write-ahead log into its file, so a decided
    applicant's id does not linger there."""

    def __init__(
        self,
        store: MemberStore,
        rules: MemberRules,
        checkpoint: Callable[[], Awaitable[object]],
    ) -> None:
        self._store = store
        self._rules = rules
        self._checkpoint = checkpoint

    async def apply(self, fields: Mapping[str, str], applicant: str) -> Application:
        """Check every field and queue the application; InvalidFields lists each problem."""
        if await self._store.pending_by(applicant) >= MAX_PENDING_PER_PERSON:
            raise CommandError(
                _(
                    "You already have {count} applications waiting; please wait until an admin "
                    "has decided on them."
                ).format(count=MAX_PENDING_PER_PERSON)
            )
        values, problems = self._rules.check(fields)
        if "name" in values and (used := await self._store.name_used(values["name"])):
            problems.insert(0, name_problem(values["name"], used))
        if problems:
            raise InvalidFields(problems)
        try:
            return await self._store.apply(OrgInfo(**values), applicant)
        except NameTaken as exc:
            raise InvalidFields([name_problem(values["name"], exc.where)]) from None

    async def pending(self, page: int = 1) -> Pending:
        """One page of the waiting applications, oldest first."""
        total, items = await self._store.pending((page - 1) * PAGE_SIZE, PAGE_SIZE)
        return Pending(total, page, items)

    async def approve(self, number: int) -> tuple[Application, Organisation]:
        """List the organisation of an application, joined today; the application is erased."""
        if not storable(number):
            raise NotFound(
                _("There is no pending application number {number}.").format(number=number)
            )
        try:
            done = await self._store.approve(number, self._rules.today())
        except NameTaken:
            raise CommandError(
                _(
                    "An organisation with the name of application {number} is already listed; "
                    "reject the application instead."
                ).format(number=number)
            ) from None
        if done is None:
            raise NotFound(
                _("There is no pending application number {number}.").format(number=number)
            )
        await self._checkpoint()  # so the applicant's id leaves the WAL file as well
        return done

    async def reject(self, number: int) -> Application:
        """Erase an application (and with it the applicant's id); what it was."""
        application = await self._store.reject(number) if storable(number) else None
        if application is None:
            raise NotFound(
                _("There is no pending application number {number}.").format(number=number)
            )
        await self._checkpoint()
        return application
