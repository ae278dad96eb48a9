"""The members directory as one service: its parts built on one database and one clock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from natm_bot.config.content import MemberCategory
from natm_bot.core.clock import Clock
from natm_bot.core.errors import NotFound
from natm_bot.core.messages import UserId
from natm_bot.features.members.applications import Applications, Pending
from natm_bot.features.members.delegates import Delegates
from natm_bot.features.members.directory import Directory, Overview, Search
from natm_bot.features.members.fields import EDITABLE, FIELDS, MAX_DESCRIPTION, MemberRules
from natm_bot.features.members.files import Imported, MemberFiles, check_file
from natm_bot.features.members.supporters import Supporters
from natm_bot.storage.database import Database
from natm_bot.storage.delegates import DelegateStore
from natm_bot.storage.members import Application, MemberStore, Organisation, OrgInfo
from natm_bot.storage.state import State

__all__ = [
    "EDITABLE",
    "FIELDS",
    "MAX_DESCRIPTION",
    "Application",
    "MemberService",
    "OrgInfo",
    "Organisation",
    "Search",
    "check_file",
]


class MemberService:
    """Everything the bot does with the members directory, for commands, the CLI and tests:
    the directory, applications, delegates, files and supporters, each a part of its own."""

    def __init__(
        self,
        db: Database,
        categories: Sequence[MemberCategory],
        *,
        clock: Clock,
    ) -> None:
        self.rules = MemberRules(categories, lambda: clock.now().date())
        self.store = MemberStore(db, clock)
        state = State(db)
        self.directory = Directory(self.store, self.rules)
        self.applications = Applications(self.store, self.rules, db.checkpoint)
        self.files = MemberFiles(self.store, state, self.rules)
        self.supporters = Supporters(self.store, state, db.checkpoint)
        self.delegates = Delegates(DelegateStore(db, clock), self.directory.get, db.checkpoint)

    @property
    def categories(self) -> tuple[MemberCategory, ...]:
        """The member categories declared in data/about.yaml."""
        return self.rules.categories

    def category_name(self, category_id: str) -> str:
        """A category's name in the reply language (its id if it is no longer declared)."""
        return self.rules.category_name(category_id)

    # --- the directory ---------------------------------------------------------------------

    async def overview(self) -> Overview:
        """Counts per category and the newest members."""
        return await self.directory.overview()

    async def search(self, query: str, page: int = 1) -> Search:
        """One page of a category, a country, or the organisations matching every word."""
        return await self.directory.search(query, page)

    async def find(self, text: str) -> tuple[Organisation, ...]:
        """The organisations meant by a number, a name or words of a name."""
        return await self.directory.find(text)

    async def exactly(self, text: str) -> Organisation | None:
        """The organisation of a number or of exactly this name, if any."""
        return await self.directory.exactly(text)

    async def get(self, number: int) -> Organisation:
        """One organisation by number, or NotFound."""
        return await self.directory.get(number)

    async def organisation_name(self, number: int) -> str:
        """The organisation's name, or `#N` when it is no longer listed."""
        try:
            return (await self.get(number)).info.name
        except NotFound:
            return f"#{number}"

    async def edit(self, number: int, fields: Mapping[str, str]) -> Organisation:
        """Change some fields of a listed organisation."""
        return await self.directory.edit(number, fields)

    async def remove(self, number: int) -> Organisation:
        """Take an organisation off the directory; what it was."""
        return await self.directory.remove(number)

    # --- applications ----------------------------------------------------------------------

    async def apply(self, fields: Mapping[str, str], applicant: str) -> Application:
        """Check every field and queue the application."""
        return await self.applications.apply(fields, applicant)

    async def pending(self, page: int = 1) -> Pending:
        """One page of the waiting applications, oldest first."""
        return await self.applications.pending(page)

    async def approve(self, number: int) -> tuple[Application, Organisation]:
        """List the organisation of an application; the application is erased."""
        return await self.applications.approve(number)

    async def reject(self, number: int) -> Application:
        """Erase an application; what it was."""
        return await self.applications.reject(number)

    # --- delegates ------------------------------------------------------------------------

    async def add_delegate(self, org: Organisation, user: str) -> bool:
        """Make a person a delegate of an organisation; False when they already were."""
        return await self.delegates.add(org, user)

    async def remove_delegate(self, org: Organisation, user: str) -> None:
        """Stop a person being a delegate of an organisation."""
        await self.delegates.remove(org, user)

    async def delegates_of(self, org: Organisation) -> tuple[UserId, ...]:
        """An organisation's delegates, the earliest first."""
        return await self.delegates.of(org)

    async def delegate_of(self, user: str) -> Organisation | None:
        """The organisation a person is the delegate of, if any."""
        return await self.delegates.organisation_of(user)

    async def is_delegate(self, user: str) -> bool:
        """Whether a person is the delegate of a listed organisation."""
        return await self.delegate_of(user) is not None

    async def delegations(self) -> dict[UserId, int]:
        """Every delegate and the number of the organisation they vote for."""
        return await self.delegates.delegations()

    async def organisation_ids(self) -> frozenset[int]:
        """The number of every approved member organisation."""
        return await self.delegates.organisation_ids()

    # --- files -----------------------------------------------------------------------------

    async def seed(self, path: Path) -> int:
        """On first start, list the organisations of data/members.yaml; how many were added.
        Names stored under an older folding are brought in step first."""
        await self.store.refold_names()
        return await self.files.seed(path)

    async def import_file(self, path: Path) -> Imported:
        """Add or update (by name) every organisation of a YAML or CSV file, or none."""
        return await self.files.import_file(path)

    async def import_rows(
        self,
        rows: Sequence[tuple[str, Mapping[str, Any]]],
        source: str,
        earlier: Sequence[str] = (),
    ) -> Imported:
        """Add or update (by name) labelled rows in one transaction, or none."""
        return await self.files.import_rows(rows, source, earlier)

    async def export_rows(self) -> list[dict[str, Any]]:
        """Every organisation as a plain row, in the columns an import reads."""
        return await self.files.export_rows()

    # --- supporters ------------------------------------------------------------------------

    async def ensure_supporter_key(self, configured: str | None) -> None:
        """Use the configured key, else the one stored in the database (made on first start)."""
        await self.supporters.ensure_key(configured)

    def supporter_digest(self, user: str) -> str:
        """The keyed digest that stands for the person among supporters."""
        return self.supporters.digest(user)

    async def is_supporter(self, user: str) -> bool:
        """Whether the person declared support."""
        return await self.supporters.is_supporter(user)

    async def support(self, user: str) -> bool:
        """Count a person as a supporter; False when they already were one."""
        return await self.supporters.support(user)

    async def withdraw_support(self, user: str) -> bool:
        """Stop counting a person as a supporter; False when they were not one."""
        return await self.supporters.withdraw(user)

    async def supporter_count(self) -> int:
        """How many people declared their support."""
        return await self.supporters.count()
