"""Welcoming newcomers: one direct message on a person's first join of a room that
welcomes, a reply of numbers joining groups, one follow-up, and a batched public greeting.
Only a keyed digest of each person's Matrix id is kept (see `storage/onboarding.py`)."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from natm_bot.config.content import Content
from natm_bot.config.onboarding import OnboardingSection
from natm_bot.core.clock import Clock
from natm_bot.core.i18n import speaking
from natm_bot.core.messages import Membership, Message, Outgoing, Reply, RoomId, UserId, txn_id
from natm_bot.features.onboarding import views
from natm_bot.storage.groups import Group
from natm_bot.storage.onboarding import OnboardingStore

log = logging.getLogger(__name__)

# A reply to the welcome: `stop`, or up to a few dozen numbers of up to 4 digits.
ANSWER = re.compile(r"\s*(?:stop|\d{1,4}(?:[\s,]+\d{1,4}){0,30})\s*[.!]?\s*", re.IGNORECASE)
GREETING_GAP = timedelta(minutes=10)  # at most one public greeting per room this often


class Languages(Protocol):
    """The languages people and rooms chose."""

    async def person_choice(self, user: str) -> str | None:
        """The person's own choice, if any."""

    async def room_choice(self, room: str) -> str | None:
        """The room's choice, if any."""


class Transport(Protocol):
    """What the welcome needs of the transport."""

    def display_name(self, room_id: RoomId, user_id: UserId) -> str:
        """The person's name in the room."""

    def members(self, room_id: RoomId) -> list[UserId]:
        """The room's joined members."""

    async def direct_room(self, user_id: UserId) -> RoomId:
        """A direct-message room with the person."""

    async def send(self, out: Outgoing) -> object:
        """Send one message."""


@dataclass(frozen=True)
class Chosen:
    """What a reply to the welcome asks: the groups to join (by id), or an answer."""

    groups: tuple[str, ...] = ()
    reply: Reply | None = None


@dataclass
class Parts:
    """Where the welcome takes its words and numbers from."""

    content: Content
    open_groups: Callable[[], Awaitable[list[Group]]]
    languages: Languages
    default_language: str
    prefix: str
    bot_user: str


class Onboarding:
    """The welcome of newcomers, and the `onboarding` job (follow-ups and greetings)."""

    def __init__(
        self,
        store: OnboardingStore,
        clock: Clock,
        section: OnboardingSection,
        transport: Transport,
        digest: Callable[[str], str],
        parts: Parts,
    ) -> None:
        self.store, self.clock, self.section = store, clock, section
        self.transport, self.digest, self.parts = transport, digest, parts
        self._switched: dict[str, bool] = {}
        self._open: set[str] = set()  # digests of the people whose flow is open
        self._follow_due: datetime | None = None
        self._pending: dict[RoomId, list[UserId]] = {}  # newcomers not yet greeted
        self._greeted: dict[RoomId, datetime] = {}  # when each room was last greeted
        self.rearm: Callable[[], None] = lambda: None

    async def load(self) -> None:
        """Read the rooms switched in chat and the open flows (at start)."""
        self._switched = await self.store.switched()
        flows = await self.store.open_flows()
        self._open = {f.digest for f in flows}
        self._follow_due = flows[0].ends_at if flows else None

    def welcomes(self, room: str) -> bool:
        """Whether newcomers to this room are welcomed."""
        return self._switched.get(room, room in self.section.rooms)

    def rooms(self) -> list[str]:
        """Every room that welcomes newcomers."""
        listed = set(self.section.rooms) | set(self._switched)
        return sorted(room for room in listed if self.welcomes(room))

    async def switch(self, room: str, enabled: bool) -> None:
        """`!welcome on|off` in a room."""
        await self.store.switch(room, enabled)
        self._switched[room] = enabled

    async def joined(self, item: Membership) -> list[Reply]:
        """The welcome a join calls for: one, on a person's first join of any room that
        welcomes (the same one again when that very join is read again after a crash)."""
        if item.membership != "join" or item.previous == "join":
            return []
        user = item.user
        if not self.welcomes(item.room_id) or user == self.parts.bot_user:
            return []
        if self.section.ignored(user):
            return []
        digest, join = self.digest(user), self.digest(item.event_id)
        ends = self.clock.now() + timedelta(seconds=self.section.follow_up)
        if await self.store.welcome(digest, join, ends):
            self._open.add(digest)
            self._follow_due = min(self._follow_due or ends, ends)
        else:
            row = await self.store.get(digest)
            if row is None or row.join_digest != join:
                return []  # welcomed before: a second join, another room, a rejoin
        self._greet_later(item.room_id, user)
        groups = await self.parts.open_groups()
        with speaking(await self._language(user, item.room_id)):
            return [
                Reply(views.welcome(self.parts.content, groups, self.parts.prefix), to_user=user)
            ]

    async def _language(self, user: str, room: str) -> str:
        """The person's language, else the room's, else the bot's."""
        chosen = await self.parts.languages.person_choice(user)
        chosen = chosen or await self.parts.languages.room_choice(room)
        return chosen or self.parts.default_language

    def _greet_later(self, room: RoomId, user: UserId) -> None:
        """Name the newcomer in the room's next greeting."""
        if not self.section.greet_in_room:
            return
        waiting = self._pending.setdefault(room, [])
        if user not in waiting:
            waiting.append(user)
        self.rearm()

    def is_answer(self, message: Message) -> bool:
        """Whether a message is a reply to the welcome: a direct message of numbers or
        `stop` from a person whose flow is open (cheap: no database)."""
        if not message.is_direct or not ANSWER.fullmatch(message.body):
            return False
        try:
            return self.digest(message.sender) in self._open
        except RuntimeError:  # the key is not loaded yet
            return False

    async def answer(self, message: Message) -> Chosen:
        """The groups a reply chooses (its flow then ends), or what to say to it."""
        digest = self.digest(message.sender)
        row = await self.store.get(digest)
        if row is None or not row.open:
            self._open.discard(digest)
            return Chosen()
        groups = await self.parts.open_groups()
        lang = await self._language(message.sender, message.room_id)
        if message.body.strip().strip(".!").strip().casefold() == "stop":
            await self._close(digest)
            with speaking(lang):
                return Chosen(reply=Reply(views.stopped(self.parts.prefix)))
        numbers = sorted({int(n) for n in re.findall(r"\d+", message.body)})
        chosen = tuple(groups[n - 1].id for n in numbers if 1 <= n <= len(groups))
        if not chosen:
            with speaking(lang):
                return Chosen(reply=Reply(views.unknown_numbers(len(groups))))
        await self._close(digest)
        return Chosen(groups=chosen)

    async def _close(self, digest: str) -> None:
        """End a person's flow: nothing more is sent to them."""
        await self.store.close(digest)
        self._open.discard(digest)

    def next_due(self) -> datetime | None:
        """When the job should run next: a follow-up due, or a room's greeting."""
        due = [self._follow_due] if self._follow_due else []
        now = self.clock.now()
        for room in self._pending:
            last = self._greeted.get(room)
            due.append(max(now, last + GREETING_GAP) if last else now)
        return min(due) if due else None

    async def sweep(self) -> None:
        """Send the follow-ups due and the greetings due."""
        now = self.clock.now()
        if self._follow_due and self._follow_due <= now:
            await self._follow_ups(now)
        for room in list(self._pending):
            last = self._greeted.get(room)
            if last is None or last + GREETING_GAP <= now:
                await self._greet(room, self._pending.pop(room), now)
        self.rearm()

    async def _follow_ups(self, now: datetime) -> None:
        """One follow-up to each person due who chose nothing and is still in a room that
        welcomes; the flows of those who left end quietly."""
        flows = await self.store.open_flows()
        due = {f.digest for f in flows if f.ends_at <= now}
        later = [f.ends_at for f in flows if f.ends_at > now]
        self._follow_due = min(later) if later else None
        present = {
            self.digest(u): u for r in self.rooms() for u in self.transport.members(RoomId(r))
        }
        groups = await self.parts.open_groups()
        for digest in sorted(due):
            await self._close(digest)
            user = present.get(digest)
            if user is not None:
                await self._send_follow_up(user, digest, groups)

    async def _send_follow_up(self, user: UserId, digest: str, groups: Sequence[Group]) -> None:
        """The follow-up, in the person's language; a person who cannot get it is skipped."""
        lang = await self.parts.languages.person_choice(user) or self.parts.default_language
        with speaking(lang):
            reply = Reply(views.follow_up(groups, self.parts.prefix), to_user=user)
        try:
            room = await self.transport.direct_room(user)
            await self.transport.send(Outgoing(room, reply, txn_id("natm-f-", digest)))
        except Exception:
            log.info("the follow-up of a newcomer could not be sent")

    async def _greet(self, room: RoomId, users: list[UserId], now: datetime) -> None:
        """One public greeting naming the room's newcomers."""
        self._greeted[room] = now
        lang = await self.parts.languages.room_choice(room) or self.parts.default_language
        with speaking(lang):
            names = [self.transport.display_name(room, u) or u for u in users]
            reply = Reply(views.greeting(names))
        try:
            await self.transport.send(Outgoing(room, reply, txn_id("natm-g-", room, now)))
        except Exception:
            log.warning("the greeting of newcomers in %s could not be sent", room)
