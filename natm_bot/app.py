"""The App builds and owns config, content, database, commands and the transport."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from pathlib import Path

from natm_bot.config.content import Content, load_content
from natm_bot.config.settings import Config
from natm_bot.context import Context
from natm_bot.core.clock import Clock, SystemClock
from natm_bot.core.i18n import _, speaking
from natm_bot.core.jobs import Every, Timed
from natm_bot.core.messages import (
    Incoming,
    Membership,
    Message,
    Outgoing,
    PollAnswer,
    Reaction,
    Reply,
    Retraction,
    RoomId,
    Tombstone,
)
from natm_bot.core.observer import SILENT, Observer
from natm_bot.engine.dispatch import Dispatcher
from natm_bot.engine.ratelimit import RateLimiter
from natm_bot.engine.registry import Registry
from natm_bot.engine.scheduler import Scheduler
from natm_bot.features.groups.cards import join_by_reaction, keep_card
from natm_bot.features.groups.rooms import GroupRooms
from natm_bot.features.groups.service import GroupService
from natm_bot.features.languages.service import LanguageService
from natm_bot.features.meetings.action_reminders import build_actions
from natm_bot.features.meetings.assembly import (
    Meetings,
    MinutesParts,
    build_meetings,
    build_minutes,
)
from natm_bot.features.meetings.minutes_lines import read_line
from natm_bot.features.meetings.minutes_model import Adopt
from natm_bot.features.members.files import check_file
from natm_bot.features.members.service import MemberService
from natm_bot.features.onboarding.assembly import build_onboarding
from natm_bot.features.permissions import Permissions
from natm_bot.features.polls.assembly import Polls, build_polls
from natm_bot.features.polls.closing import Settled
from natm_bot.features.polls.service import Electorates
from natm_bot.features.privacy.service import PrivacyService
from natm_bot.features.statements.assembly import build_statements
from natm_bot.features.statements.cards import endorse_by_reaction, keep_statement_card
from natm_bot.features.statements.service import Statements
from natm_bot.room_events import RoomEvents, txn_id_for
from natm_bot.storage import Database
from natm_bot.storage.groups import GroupStore
from natm_bot.storage.languages import LanguageStore
from natm_bot.storage.privacy import AuditLog, PrivacyStore
from natm_bot.transport import Transport

log = logging.getLogger(__name__)


def load_checked_content(data_dir: Path, today: date) -> Content:
    """The data files, members.yaml checked by the members feature's rules as of `today`."""
    return load_content(data_dir, lambda path, categories: check_file(path, categories, today))


def commands_of(config: Config) -> Registry:
    """Every command of the config's commands folder."""
    registry = Registry()
    registry.load_folder(config.folder("commands"))
    return registry


class App:
    """One running bot: everything is owned here and passed down, nothing is global."""

    def __init__(
        self,
        config: Config,
        transport: Transport,
        clock: Clock | None = None,
        observer: Observer = SILENT,
        content: Content | None = None,
        registry: Registry | None = None,
    ) -> None:
        self.config, self.transport, self.observer = config, transport, observer
        self.clock: Clock = clock or SystemClock()
        self.data_dir = config.folder("data")
        # `content` and `registry`: for a caller that already loaded these very folders.
        self.content: Content = content or load_checked_content(
            self.data_dir, self.clock.now().date()
        )
        self.registry = registry or commands_of(config)
        self.db = Database(config.resolve(config.paths.database), observer=observer)
        self.jobs = Scheduler(self.clock)  # every feature's timed work registers here
        self.languages = LanguageService(LanguageStore(self.db), config.bot.language)
        self.groups = GroupService(GroupStore(self.db, self.clock), transport.invite)
        self.rooms = RoomEvents(
            self.db, self.clock, transport, config, self.groups, self.languages
        )  # knocks, joins, leaves, upgrades, group cards
        self.members = MemberService(
            self.db, self.content.about.member_categories, clock=self.clock
        )
        self.meetings, self.announcer, self.reactions = self._meetings()
        self.caught_up: Settled = _always  # the Matrix runner says when the inbox caught up
        self.polls, self.poll_closer, self.poll_desk = self._polls()
        # The timed work a test clock wakes, as the scheduler would: each `next_due`, `sweep`.
        self.timed: list[Timed] = [self.announcer, self.poll_closer, *self._cycle()]
        self.privacy = self._privacy()
        self._housekeeping()
        self.permissions = Permissions(
            config.bot.admins, config.bot.moderator_power_level, transport.power_level,
            self.groups, rooms=transport.rooms, delegate=self.members.is_delegate,
        )  # fmt: skip
        self.limiter = RateLimiter(config.safety.rate_burst, config.safety.rate_per_minute)
        self.dispatcher = self._dispatcher()

    @property
    def group_rooms(self) -> GroupRooms:
        """The rooms the bot makes for groups."""
        return self.rooms.group_rooms

    def _statements(self) -> Statements:
        """Statements; delegates from the members directory, digests as supporters'."""
        members = self.members
        return build_statements(
            self.db, self.clock, self.transport, self.config, digest=members.supporter_digest,
            delegate_of=members.delegate_of, organisation=members.store.get, jobs=self.jobs,
        )  # fmt: skip

    def _cycle(self) -> list[Timed]:
        """Agenda, minutes, the actions they hand on, newcomers welcomed: their jobs; and
        statements (`self.statements`)."""
        self.statements = self._statements()
        reminders = self._actions()
        self.agenda, self.minutes_desk, self.minutes = self._minutes(self.actions.adopt)
        return [reminders, self.minutes, self._welcome()]

    def _welcome(self) -> Timed:
        """Newcomers welcomed (`self.onboarding`, its job returned); digests as supporters'."""
        self.onboarding = self.rooms.onboarding = build_onboarding(
            self.db, self.clock, self.transport, self.config, content=self.content,
            languages=self.languages, digest=self.members.supporter_digest,
            groups=self.groups.all, jobs=self.jobs,
        )  # fmt: skip
        return self.onboarding

    def _actions(self) -> Timed:
        """Action items (`self.actions`) and their reminders (the job returned)."""
        self.actions, reminders = build_actions(
            self.db, self.clock, self.transport, self.config,
            languages=self.languages, jobs=self.jobs,
        )  # fmt: skip
        self.groups.open_actions = self.actions.in_group
        return reminders

    def _privacy(self) -> PrivacyService:
        """!mydata and !forgetme over every feature's rows, and the audit log."""
        return PrivacyService(
            PrivacyStore(self.db, self.clock), AuditLog(self.db, self.clock),
            groups=self.groups, supporters=self.members, votes=self.polls, actions=self.actions,
            minutes=self.minutes, statements=self.statements, checkpoint=self.db.checkpoint,
            forgotten=self.languages.forgotten,
        )  # fmt: skip

    def _polls(self) -> Polls:
        """The polls feature: voters from the room or the member organisations' delegates,
        zones from `!tz`, secret ballots keyed like supporters; meetings get times from it."""
        electorates = Electorates(
            self.transport.members, self.members.delegations, self.members.organisation_ids
        )

        async def settled(moment: datetime) -> bool:
            return await self.caught_up(moment)

        polls = build_polls(
            self.db, self.clock, self.transport, self.config, electorates=electorates,
            digest=self.members.supporter_digest, zone_of=self.meetings.timezone_of,
            languages=self.languages, organisation_name=self.members.organisation_name,
            settled=settled, jobs=self.jobs,
        )  # fmt: skip
        self.meetings.poll_time = polls.service.best_time  # `!meeting add … from=poll:N`
        return polls

    def _minutes(self, adopt: Adopt) -> MinutesParts:
        """Agendas and minutes; `adopt` keeps the actions of posted minutes as action items."""
        return build_minutes(
            self.db, self.clock, self.transport, self.config,
            jobs=self.jobs, languages=self.languages, adopt=adopt,
        )  # fmt: skip

    def _meetings(self) -> Meetings:
        """The meetings feature, its announcements told to this bot's observer."""
        return build_meetings(
            self.db, self.clock, self.transport, self.config, resolve_group=self.groups.resolve,
            jobs=self.jobs, observer=self.observer, languages=self.languages,
        )  # fmt: skip

    def _dispatcher(self) -> Dispatcher:
        """The command engine, wired to this bot's permissions, audit log and services."""
        return Dispatcher(
            self.registry,
            bot=self.config.bot,
            safety=self.config.safety,
            clock=self.clock,
            limiter=self.limiter,
            gate=self.permissions,
            audit=self.privacy.record,
            context=lambda message: Context(self, message),
            language=self.languages.for_message,
            observer=self.observer,
        )

    async def start(self) -> None:
        """Open the database (migrating it) before any message is handled."""
        await self.db.open()
        await self.rooms.upgrades.load()
        created = await self.groups.seed(self.content.groups)
        if created:
            log.info("created %d working groups from data/groups.yaml", created)
        await self.members.ensure_supporter_key(self.config.movement.supporter_key)
        await self.onboarding.load()
        listed = await self.members.seed(self.data_dir / "members.yaml")
        if listed:
            log.info("listed %d member organisations from data/members.yaml", listed)

    def _housekeeping(self) -> None:
        """Retention pruning (the privacy feature's job) and the WAL checkpoint (storage's),
        every `housekeeping.interval`."""
        every = timedelta(seconds=self.config.housekeeping.interval)
        retention = self.config.privacy.retention
        self.privacy.schedule(self.jobs, retention_seconds=retention, every=every)
        self.jobs.register("wal-checkpoint", Every(every), self.checkpoint)

    async def checkpoint(self) -> None:
        """Fold the WAL into the database file and truncate it."""
        in_wal, folded = await self.db.checkpoint()
        log.debug("checkpoint folded %d of %d WAL pages into the database", folded, in_wal)

    def is_command(self, body: str) -> bool:
        """Whether a message body is a command to the bot."""
        return self.dispatcher.parse(body) is not None

    def is_note(self, body: str) -> bool:
        """Whether a message body is a line of minutes the bot may record."""
        if not body.lstrip().startswith("#"):
            return False
        return read_line(body, "en", self.clock.now().date()) is not None

    def is_answer(self, message: Message) -> bool:
        """Whether a direct message is a newcomer's reply to their welcome (`2`, `stop`)."""
        return self.onboarding.is_answer(message)

    async def checkpoint_if_due(self) -> None:
        """Fold the WAL into the file now when someone was just forgotten, or a secret
        vote was kept (so no page of the WAL holds the message that carried it)."""
        await self.privacy.checkpoint_if_due()
        if self.polls.secret_voted:
            self.polls.secret_voted = False
            await self.checkpoint()

    async def start_scheduler(self) -> None:
        """Follow rooms upgraded while away, give group rooms their join rules, then start
        the timed work (once the transport can send) and bring the coalition Space in line
        (it may have been edited while the bot was away)."""
        try:
            await self.follow_missed_upgrades()
        except Exception:  # the rooms are followed when their tombstone is seen next
            log.exception("looking for rooms upgraded while I was away failed")
        await self.rooms.settle_join_rules()
        await self.jobs.start()
        await self.rooms.keep_space()

    async def follow_missed_upgrades(self) -> None:
        """Follow the linked rooms (groups', meetings') upgraded while the bot was away."""
        rooms = [r for m in await self.meetings.active() for r in m.rooms]
        for missed in await self.rooms.missed_upgrades(rooms, self.clock.now()):
            await self.process(missed)

    async def close(self) -> None:
        """Stop the timed work (letting a run under way end) and release the database."""
        await self.jobs.close()
        await self.announcer.close()
        await self.db.close()

    async def handle(self, item: Incoming) -> list[Outgoing]:
        """The replies to one message (or poll answer, reaction, retraction), each addressed
        to its room with a derived txn id."""
        if isinstance(item, PollAnswer):
            return await self.tapped(item)
        if isinstance(item, Reaction | Retraction):
            return await self.reacted(item)
        if isinstance(item, Membership):
            return await self.rooms.membership(item)
        if isinstance(item, Tombstone):
            return await self.rooms.upgraded(item)
        message = item
        command = self.is_command(message.body)
        if not command and self.is_answer(message):
            return await self.rooms.answered(message, self.handle)
        if command:
            replies = await self.dispatcher.dispatch(message)
        else:  # a line of minutes: a refusal goes privately, and nothing to the room
            replies = await self.minutes_desk.note(message)
        if not replies:
            return []
        outgoing: list[Outgoing] = []
        answered_privately = False
        for index, reply in enumerate(replies):
            txn_id = txn_id_for(message.event_id, index)
            try:
                room = await self._destination(message, reply)
            except Exception:
                log.exception("no room to send reply %d of %s to", index, message.event_id)
                continue
            answered_privately |= reply.private and room != message.room_id
            outgoing.append(Outgoing(room, reply, txn_id, message))
        if answered_privately and command:
            with speaking(await self.languages.for_message(message)):
                note = Reply(_("I've answered you in a direct message."))
            outgoing.append(
                Outgoing(message.room_id, note, txn_id_for(message.event_id, 99), message)
            )
        return outgoing

    async def reacted(self, item: Reaction | Retraction) -> list[Outgoing]:
        """A reaction, or its retraction: an answer for a meeting given or taken back, a
        line of minutes deleted, a group joined or a statement endorsed by reacting to its
        card (answered as the command is)."""
        if isinstance(item, Reaction):
            prefix = self.config.bot.prefix
            joining = await join_by_reaction(self.rooms.cards, item, prefix)
            joining = joining or await endorse_by_reaction(self.statements.store, item, prefix)
            if joining is not None:
                return await self.handle(joining)
            await self.reactions.reacted(item)
        else:
            await self.reactions.retracted(item)
            await self.minutes_desk.retracted(item)
        return []

    async def tapped(self, answer: PollAnswer) -> list[Outgoing]:
        """A tap on a native poll: counted by the polls feature; its notes go privately,
        each with a transaction id derived from the tap."""
        outgoing = []
        for index, reply in enumerate(await self.poll_desk.tapped(answer)):
            try:
                room = await self.transport.direct_room(reply.to_user or answer.sender)
            except Exception:
                log.exception("no room to send note %d on %s to", index, answer.event_id)
                continue
            outgoing.append(Outgoing(room, reply, txn_id_for(answer.event_id, index)))
        return outgoing

    async def unreadable(self, message: Message) -> None:
        """Tell the sender their encrypted message could not be read; ask for it again."""
        with speaking(await self.languages.for_message(message)):
            note = Reply(
                _(
                    "I could not read your encrypted message: its key never reached me. "
                    "Please send it again."
                ),
                mentions=(message.sender,),
            )
        await self.transport.send(
            Outgoing(message.room_id, note, txn_id_for(message.event_id, 98), message)
        )

    async def _destination(self, message: Message, reply: Reply) -> RoomId:
        if reply.to_room:
            return reply.to_room
        if reply.to_user:
            return await self.transport.direct_room(reply.to_user)
        if reply.private and not message.is_direct:
            return await self.transport.direct_room(message.sender)
        return message.room_id

    async def process(self, item: Incoming) -> list[Outgoing]:
        """Handle a message (or poll answer) and send its replies through the transport."""
        outgoing = await self.handle(item)
        for out in outgoing:
            event = await self.transport.send(out)
            await keep_card(self.rooms.cards, out, event)
            await keep_statement_card(self.statements.store, out, event)
        if outgoing:
            waited = (self.clock.now() - item.timestamp).total_seconds()
            self.observer.replied(max(0.0, waited))
        return outgoing


async def _always(moment: datetime) -> bool:
    """Every message is in as soon as it is sent (no homeserver in between)."""
    return True
