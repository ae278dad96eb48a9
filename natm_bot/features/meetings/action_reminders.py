"""The `actions` job: on an action's due date, at 09:00 in its owner's zone (the one they
set with `!tz`; else the meeting's; else the bot's first display zone), the owner gets one
direct message saying it is due today.

Exactly once across restarts: the message's transaction id is derived from the action, its
owner and its due date, so a resend after a crash (sent, not yet recorded) is de-duplicated
by the homeserver; `reminded` is set once it is sent.

Missed-reminder policy: a reminder is sent as long as it is still the due date in the
owner's zone, however late (a bot that was down all morning sends it when it comes back,
even beyond the announcements' grace window); once the due date is over there, it is given
up (recorded and logged), never sent days later. Done and unassigned actions are not
reminded; an action handed to someone else before 09:00 reminds its new owner.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Protocol

from natm_bot.calendar.timeutil import zone
from natm_bot.config.settings import Config
from natm_bot.core.clock import Clock
from natm_bot.core.i18n import speaking
from natm_bot.core.jobs import JobRegistry, WhenDue
from natm_bot.core.messages import EventId, Outgoing, Reply, RoomId, UserId, txn_id
from natm_bot.features.meetings.action_views import due_today
from natm_bot.features.meetings.actions import ActionService
from natm_bot.storage import Database
from natm_bot.storage.actions import Action, ActionStore
from natm_bot.transport import SendFailed

log = logging.getLogger(__name__)

AT = time(9, 0)  # the local time an action's reminder is due
RETRY = timedelta(minutes=5)  # after a failed send, while it is still the due date


class ReminderTransport(Protocol):
    """What the reminders need of the transport."""

    async def send(self, out: Outgoing) -> EventId:
        """Send a message; its event id."""

    async def direct_room(self, user_id: UserId) -> RoomId:
        """The direct chat with a person."""


class PersonLanguage(Protocol):
    """The language a person reads the bot in."""

    async def for_person(self, user: str) -> str:
        """The person's language."""


def reminder_txn(action: Action) -> str:
    """The transaction id of an action's due-date message (to this owner, for this date)."""
    return txn_id("natm-act-", action.id, action.owner, action.due)


class ActionReminders:
    """Sends what is due, gives up what is past, and says when it is next due."""

    def __init__(
        self,
        store: ActionStore,
        transport: ReminderTransport,
        clock: Clock,
        *,
        languages: PersonLanguage,
        default_zone: str,
        prefix: str,
    ) -> None:
        self._store = store
        self._transport = transport
        self._clock = clock
        self._languages = languages
        self._default_zone = default_zone
        self._prefix = prefix
        self._next: datetime | None = clock.now()
        self.rearm: Callable[[], None] = lambda: None

    def next_due(self) -> datetime | None:
        """When the job should run next (None: nothing to remind)."""
        return self._next

    def changed(self) -> None:
        """An action was adopted, done, handed on or forgotten: look again now."""
        self._next = self._clock.now()
        self.rearm()

    def due_at(self, action: Action) -> datetime:
        """09:00 of the due date in the owner's zone (else the meeting's, else the bot's)."""
        assert action.due is not None
        name = action.owner_zone or action.meeting_zone or self._default_zone
        return datetime.combine(action.due, AT, tzinfo=zone(name))

    async def sweep(self) -> None:
        """Send every reminder due now; plan the next wake-up."""
        now = self._clock.now()
        moments: list[datetime] = []
        for action in await self._store.to_remind():
            moment = self.due_at(action)
            if moment > now:
                moments.append(moment)
            elif now.astimezone(moment.tzinfo).date() > moment.date():
                log.warning("action %d: its due date is over, no reminder sent", action.id)
                await self._store.settle_reminder(action.id)
            elif not await self._send(action, now - moment):
                moments.append(now + RETRY)
        self._next = min(moments) if moments else None
        self.rearm()

    async def _send(self, action: Action, late: timedelta) -> bool:
        """The due-date message to the owner; False when it could not be sent."""
        assert action.owner is not None
        owner = UserId(action.owner)
        try:
            room = await self._transport.direct_room(owner)
            with speaking(await self._languages.for_person(owner)):
                text = due_today(action, self._prefix)
            await self._transport.send(Outgoing(room, Reply(text), reminder_txn(action)))
        except SendFailed as refused:
            log.warning("could not remind %s of action %d: %s", owner, action.id, refused)
            return False
        if late > timedelta(minutes=1):
            log.info("action %d reminded %s late", action.id, late)
        await self._store.settle_reminder(action.id)
        return True


def build_actions(
    db: Database,
    clock: Clock,
    transport: ReminderTransport,
    config: Config,
    *,
    languages: PersonLanguage,
    jobs: JobRegistry,
) -> tuple[ActionService, ActionReminders]:
    """The action items' service and their `actions` job over one store, registered with
    the app's job registry: every change to an action re-reads the job's next due time."""
    store = ActionStore(db, clock)
    service = ActionService(store)
    reminders = ActionReminders(
        store,
        transport,
        clock,
        languages=languages,
        default_zone=config.bot.display_timezones[0],
        prefix=config.bot.prefix,
    )
    service.on_change = reminders.changed
    due = WhenDue(reminders.next_due, timedelta(seconds=config.housekeeping.safety_sweep))
    reminders.rearm = jobs.register("actions", due, reminders.sweep)
    return service, reminders
