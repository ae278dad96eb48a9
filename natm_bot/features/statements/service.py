"""Statements that member organisations endorse: versioned texts in the bot's languages,
one endorsement per organisation whichever of its delegates acts, and people's support
counted by a keyed digest per statement (the same person cannot be linked across
statements, and nobody's id is kept beside one)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, Protocol

from natm_bot.core.clock import Clock
from natm_bot.core.errors import CommandError, NotFound
from natm_bot.core.i18n import _
from natm_bot.core.markdown import md_escape
from natm_bot.storage.members import Organisation
from natm_bot.storage.statements import Endorsement, Milestone, Statement, StatementStore

__all__ = ["Endorser", "Milestone", "Standing", "Statement", "Statements"]

Status = Literal["current", "pending", "lapsed"]
# The organisation a person is the delegate of, if any.
DelegateOf = Callable[[str], Awaitable[Organisation | None]]
# A listed organisation by number, or None when it is no longer listed.
OrganisationOf = Callable[[int], Awaitable[Organisation | None]]


class Reached(Protocol):
    """Told when a statement's count of organisations may have reached a milestone."""

    async def check(self, statement: str, organisations: int) -> None:
        """Record and announce what was reached."""


@dataclass(frozen=True)
class Endorser:
    """An endorsing organisation: the version it endorsed and where that leaves it."""

    organisation: Organisation
    version: int
    public: bool
    status: Status


@dataclass(frozen=True)
class Standing:
    """A statement as a reader sees it: the text in their language (or the original),
    who endorses it and how many people support it."""

    statement: Statement
    text: str
    original: bool  # the text shown is the original (no translation in the reader's language)
    endorsers: tuple[Endorser, ...]
    supporters: int

    def of(self, status: Status) -> tuple[Endorser, ...]:
        """The endorsers in one state."""
        return tuple(e for e in self.endorsers if e.status == status)

    @property
    def counted(self) -> int:
        """Organisations that stand behind the current version (or may still confirm it)."""
        return len(self.of("current")) + len(self.of("pending"))


@dataclass(frozen=True)
class Endorsed:
    """What `!endorse` did: for which organisation, and what it held before."""

    statement: Statement
    organisation: Organisation
    before: Endorsement | None


class Statements:
    """Adding, versioning and translating statements; endorsements and support."""

    def __init__(
        self,
        store: StatementStore,
        clock: Clock,
        *,
        reconfirm: int,
        digest: Callable[[str], str],
        delegate_of: DelegateOf,
        organisation: OrganisationOf,
    ) -> None:
        self.store = store
        self._clock = clock
        self._reconfirm = timedelta(seconds=reconfirm)
        self._digest = digest  # the supporters' keyed digest
        self._delegate_of = delegate_of
        self._organisation = organisation
        self.reached: Reached | None = None  # the milestones, set once built

    async def get(self, statement: str) -> Statement:
        """One statement by id, or NotFound (the id is shown escaped)."""
        found = await self.store.get(statement)
        if found is None:
            raise NotFound(_("There is no statement `{id}`.").format(id=md_escape(statement)))
        return found

    async def all(self) -> tuple[Statement, ...]:
        """Every statement, the newest first."""
        return await self.store.all()

    async def add(self, statement: str, title: str, text: str, language: str) -> Statement:
        """Publish a new statement at version 1, its text the original in `language`."""
        if not await self.store.add(statement, title, language, text):
            raise CommandError(
                _("A statement `{id}` exists already; choose another id.").format(id=statement)
            )
        return await self.get(statement)

    async def edit(self, statement: str, text: str) -> int:
        """A new version with a new original text; its number. Endorsers of earlier
        versions are pending until they confirm it."""
        await self.get(statement)
        return await self.store.new_version(statement, text)

    async def retitle(self, statement: str, title: str) -> None:
        """Change a statement's title."""
        await self.get(statement)
        await self.store.retitle(statement, title)

    async def translate(self, statement: str, language: str, text: str) -> Statement:
        """Keep the current version's text in another language (not a new version)."""
        found = await self.get(statement)
        await self.store.translate(statement, found.version, language, text)
        return found

    def _status(self, statement: Statement, endorsement: Endorsement) -> Status:
        """Current, pending (may still confirm the new version) or lapsed."""
        if endorsement.version >= statement.version:
            return "current"
        if self._clock.now() < statement.versioned_at + self._reconfirm:
            return "pending"
        return "lapsed"

    async def standing(self, statement: str, language: str) -> Standing:
        """A statement in `language` (else its original), its endorsers and supporters."""
        found = await self.get(statement)
        texts = await self.store.texts(statement, found.version)
        original = language not in texts
        text = texts.get(language) or texts.get(found.language) or ""
        endorsers = []
        for endorsement in await self.store.endorsements(statement):
            org = await self._organisation(endorsement.organisation)
            if org is not None:
                status = self._status(found, endorsement)
                endorsers.append(Endorser(org, endorsement.version, endorsement.public, status))
        count = await self.store.supporter_count(statement)
        return Standing(
            found, text, original and language != found.language, tuple(endorsers), count
        )

    async def _delegation(self, user: str) -> Organisation:
        """The organisation the person speaks for, or CommandError."""
        org = await self._delegate_of(user)
        if org is None:
            raise CommandError(_("You are not the delegate of a member organisation."))
        return org

    async def endorse(self, user: str, statement: str, public: bool | None) -> Endorsed:
        """Endorse (or confirm) the current version for the delegate's organisation; a
        milestone reached is recorded and announced once."""
        found = await self.get(statement)
        org = await self._delegation(user)
        before = await self.store.endorse(statement, org.id, found.version, public, user)
        if self.reached is not None:
            standing = await self.standing(statement, found.language)
            await self.reached.check(statement, standing.counted)
        return Endorsed(found, org, before)

    async def withdraw(self, user: str, statement: str) -> tuple[Organisation, bool]:
        """Take the delegate's organisation's endorsement back; whether it had one."""
        await self.get(statement)
        org = await self._delegation(user)
        return org, await self.store.withdraw(statement, org.id)

    def supporter_digest(self, statement: str, user: str) -> str:
        """The keyed digest of statement and person: one person's support of two
        statements cannot be linked."""
        return self._digest(f"{statement}\n{user}")

    async def support(self, user: str, statement: str) -> tuple[bool, int]:
        """Count a person's support; whether it is new, and the count."""
        await self.get(statement)
        added = await self.store.support(statement, self.supporter_digest(statement, user))
        return added, await self.store.supporter_count(statement)

    async def unsupport(self, user: str, statement: str) -> bool:
        """Stop counting a person's support; False when it was not counted."""
        await self.get(statement)
        return await self.store.unsupport(statement, self.supporter_digest(statement, user))

    async def _digests(self, user: str) -> list[tuple[str, str]]:
        """(statement, the person's digest for it) for every statement, newest first."""
        return [(s.id, self.supporter_digest(s.id, user)) for s in await self.all()]

    async def personal(self, user: str) -> tuple[list[str], list[tuple[str, int, int]]]:
        """What is held about a person: the statements they support (found by recomputing
        the digest for each), and the endorsements they acted on last."""
        digests = await self._digests(user)
        found = await self.store.supported(digests)
        return [s for s, _ in digests if s in found], await self.store.acted_by(user)

    async def forget(self, user: str) -> int:
        """Erase the person's support, and their name on endorsements (which stay)."""
        return await self.store.forget(user, await self._digests(user))

    async def milestones(self) -> tuple[Milestone, ...]:
        """Every milestone reached, the earliest first."""
        return await self.store.milestones()
