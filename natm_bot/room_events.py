"""What happens to the rooms the bot keeps: the coalition Space kept in line, the rooms it
makes for groups, knocks, joins and leaves of group rooms (the group follows), join rules
that follow the group, rooms followed to their upgrade (the Space too), and groups joined
by reacting to their card. `App` builds one `RoomEvents` and hands it each
such item; features stay apart, wired here through callables."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime

from natm_bot.config.settings import Config
from natm_bot.core.clock import Clock
from natm_bot.core.messages import EventId, Membership, Message, Outgoing, Tombstone, txn_id
from natm_bot.features.groups.joins import build_joins
from natm_bot.features.groups.rooms import GroupRooms
from natm_bot.features.groups.service import GroupService
from natm_bot.features.languages.service import LanguageService
from natm_bot.features.onboarding.service import Onboarding
from natm_bot.features.rooms.upgrades import RoomUpgrades
from natm_bot.features.rooms.views import admin_notices
from natm_bot.features.spaces.keeper import SpaceKeeper, Wanted
from natm_bot.storage import Database
from natm_bot.storage.joins import JoinRuleNotes
from natm_bot.storage.rooms import GroupCards, RoomMoves
from natm_bot.storage.spaces import SpaceStore
from natm_bot.transport import Transport

log = logging.getLogger(__name__)


def txn_id_for(event_id: str, index: int) -> str:
    """The transaction id of the `index`th message answering an event (as `App` derives
    its own: a resend after a crash is the same transaction)."""
    return txn_id("natm-", event_id, index)


class RoomEvents:
    """The Space, group rooms made, knocks, joins, leaves, upgrades and group cards, over the
    groups and the transport."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        transport: Transport,
        config: Config,
        groups: GroupService,
        languages: LanguageService,
    ) -> None:
        notes = JoinRuleNotes(db, clock).first
        self.joins, self.rules = build_joins(groups, languages, config, transport, notes)
        groups.room_changed = self.rules.apply
        self.cards = GroupCards(db, clock)  # the lists and cards of groups reactions join
        self.upgrades = RoomUpgrades(RoomMoves(db, clock), transport)
        groups.moved_room = self.upgrades.resolve
        self._groups, self._transport, self._languages = groups, transport, languages
        self._admins, self._config = config.bot.admins, config
        self.keeper, self.group_rooms = self._spaces(db, clock)
        groups.changed = self.keep_space
        self.onboarding: Onboarding | None = None  # set by `App` once supporters' key exists

    def _spaces(self, db: Database, clock: Clock) -> tuple[SpaceKeeper, GroupRooms]:
        """The coalition Space, kept in line after every change of a group, and the rooms
        the bot makes for groups."""
        store = SpaceStore(db, clock)
        config = self._config
        home = config.matrix.user_id if config.matrix else "@bot:localhost"
        keeper = SpaceKeeper(
            self._transport, store, config.spaces.coalition, self._space_children,
            home.partition(":")[2],
        )  # fmt: skip
        return keeper, GroupRooms(self._transport, store, config.bot.admins)

    async def _space_children(self) -> list[Wanted]:
        """What belongs in the Space: every open group's room, every public room."""
        rooms = [Wanted(g.room, True) for g in await self._groups.all() if g.open and g.room]
        public = self._config.http.public_rooms if self._config.http else []
        return rooms + [Wanted(room, False) for room in public]

    async def keep_space(self) -> None:
        """Bring the coalition Space in line; a failure is logged, never raised."""
        try:
            await self.keeper.sweep()
        except Exception:
            log.exception("keeping the coalition Space %s failed", self._config.spaces.coalition)

    async def membership(self, item: Membership) -> list[Outgoing]:
        """A knock, join or leave in a group's room: the group follows; its notices go by
        direct message or into the room, each with a transaction id derived from the event."""
        outgoing = []
        for index, reply in enumerate(await self.joins.changed(item)):
            try:
                room = reply.to_room or await self._transport.direct_room(
                    reply.to_user or item.user
                )
            except Exception:
                log.exception("no room to send notice %d on %s to", index, item.event_id)
                continue
            outgoing.append(Outgoing(room, reply, txn_id_for(item.event_id, index)))
        return outgoing + await self._welcome(item)

    async def _welcome(self, item: Membership) -> list[Outgoing]:
        """A newcomer's welcome, by direct message; one who cannot get one is skipped."""
        replies = await self.onboarding.joined(item) if self.onboarding else []
        outgoing = []
        for index, reply in enumerate(replies, 50):
            try:
                room = await self._transport.direct_room(reply.to_user or item.user)
            except Exception:
                log.info("no direct room for the welcome on %s", item.event_id)
                continue
            outgoing.append(Outgoing(room, reply, txn_id_for(item.event_id, index)))
        return outgoing

    async def answered(
        self, message: Message, handle: Callable[[Message], Awaitable[list[Outgoing]]]
    ) -> list[Outgoing]:
        """A reply to the welcome: each group chosen joined as its `join` command would
        (capacity, waitlist, invite, coordinators told), or its answer."""
        if self.onboarding is None:
            return []
        chosen = await self.onboarding.answer(message)
        if chosen.reply is not None:
            return [
                Outgoing(message.room_id, chosen.reply, txn_id_for(message.event_id, 0), message)
            ]
        outgoing: list[Outgoing] = []
        for index, group in enumerate(chosen.groups):
            body = f"{self._config.bot.prefix}join {group}"
            event = EventId(f"{message.event_id}/{index}")
            outgoing += await handle(replace(message, body=body, event_id=event))
        return outgoing

    async def upgraded(self, item: Tombstone) -> list[Outgoing]:
        """A room upgraded: followed once, and each admin told once in a direct message."""
        move = await self.upgrades.follow(item)
        if move:
            await self.keep_space()  # the new room in the Space, the old one out
        admins = self._admins if move else []
        notes = await admin_notices(move, admins, self._transport.direct_room, self._languages)
        return [Outgoing(r, n, txn_id_for(item.event_id, i)) for i, (r, n) in enumerate(notes)]

    async def settle_join_rules(self) -> None:
        """Give every group room the join rule its group wants (where it differs)."""
        await self.rules.apply_all(await self._groups.all())

    async def missed_upgrades(self, meeting_rooms: list[str], now: datetime) -> list[Tombstone]:
        """The upgrades of linked rooms (groups', meetings') made while the bot was away."""
        rooms = [g.room for g in await self._groups.all() if g.room]
        return await self.upgrades.missed([*rooms, *meeting_rooms], now)
