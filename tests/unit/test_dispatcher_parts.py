"""The command engine runs on the parts it is given: no App, no database, no transport."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated

from hypothesis import given
from hypothesis import strategies as st

from natm_bot.config.settings import BotSection, SafetySection
from natm_bot.core.clock import ManualClock
from natm_bot.core.messages import EventId, Message, Reply, RoomId, UserId
from natm_bot.engine.dispatch import Dispatcher
from natm_bot.engine.ratelimit import RateLimiter
from natm_bot.engine.registry import Perm, Registry, command, spec_of
from natm_bot.features.permissions import Permissions
from natm_bot.storage.groups import Group

ROOM = RoomId("!room:example.org")
ADMIN = UserId("@admin:example.org")
MOD = UserId("@mod:example.org")
ALICE = UserId("@alice:example.org")
NOON = datetime(2030, 1, 1, 12, tzinfo=UTC)


@dataclass(frozen=True)
class Ctx:
    """A context of our own: the engine hands on whatever the factory makes."""

    message: Message
    greeting: str


class NoGroups:
    """A bot with no working groups."""

    async def all(self) -> list[Group]:
        """Every group: none."""
        return []

    async def is_coordinator(self, user_id: str) -> bool:
        """Nobody coordinates anything."""
        return False


@command("hello")
async def hello(ctx: Ctx, name: str | None = None) -> Reply:
    """Say hello"""
    return Reply(f"{ctx.greeting}, {name or ctx.message.sender}")


@command("sweep", perm=Perm.MODERATOR)
async def sweep(ctx: Ctx) -> Reply:
    """Moderators only"""
    return Reply("swept")


# Every text an argument converter was asked to read: a refused person's must never be.
READ: list[str] = []


class Recorded:
    """A converter that notes what it is asked to read."""

    async def convert(self, ctx: Ctx, text: str) -> str:
        """The text, noted."""
        READ.append(text)
        return text


@command("purge", perm=Perm.ORGANISER)
async def purge(ctx: Ctx, what: Annotated[str, Recorded()], count: int) -> Reply:
    """Judged by what it reaches: here, the room it is typed in"""
    return Reply(f"purged {count} {what}")


@dataclass
class Engine:
    """A dispatcher and what it was given to record."""

    dispatcher: Dispatcher
    audited: list[tuple[str, str, str]] = field(default_factory=list)


async def english(message: Message) -> str:
    """Every message here is answered in English."""
    return "en"


def engine(**safety: object) -> Engine:
    registry = Registry()
    registry.add(spec_of(hello))
    registry.add(spec_of(sweep))
    registry.add(spec_of(purge))
    levels = {(ROOM, MOD): 50}
    permissions = Permissions(
        [ADMIN], 50, lambda room, user: levels.get((room, user)), NoGroups(), rooms=lambda: [ROOM]
    )
    audited: list[tuple[str, str, str]] = []

    async def audit(actor: str, name: str, args: str) -> None:
        audited.append((actor, name, args))

    dispatcher = Dispatcher(
        registry,
        bot=BotSection(),
        safety=SafetySection.model_validate(safety),
        clock=ManualClock(NOON),
        limiter=RateLimiter(10, 30),
        gate=permissions,
        audit=audit,
        context=lambda message: Ctx(message, "Hi"),
        language=english,
    )
    return Engine(dispatcher, audited)


def said(body: str, sender: UserId = ALICE) -> Message:
    return Message(ROOM, sender, body, EventId("$1"), timestamp=NOON)


async def test_a_handler_gets_the_context_the_factory_made() -> None:
    replies = await engine().dispatcher.dispatch(said("!hello world"))
    assert replies == [Reply("Hi, world")]


async def test_the_permission_gate_decides_and_privileged_actions_are_audited() -> None:
    bot = engine()
    refused = await bot.dispatcher.dispatch(said("!sweep"))
    assert refused is not None and refused[0].markdown.startswith("Sorry, only room moderators")
    assert await bot.dispatcher.dispatch(said("!sweep", MOD)) == [Reply("swept")]
    assert await bot.dispatcher.dispatch(said("!sweep", ADMIN)) == [Reply("swept")]
    assert bot.audited == [(MOD, "sweep", ""), (ADMIN, "sweep", "")]


async def test_blocked_people_and_servers_are_not_answered() -> None:
    bot = engine(blocked_users=[ALICE], blocked_servers=["spam.example"])
    assert await bot.dispatcher.dispatch(said("!hello")) is None
    assert await bot.dispatcher.dispatch(said("!hello", UserId("@x:spam.example"))) is None
    assert await bot.dispatcher.dispatch(said("!hello", MOD)) == [Reply(f"Hi, {MOD}")]


async def test_an_unknown_command_gets_a_suggestion() -> None:
    [reply] = await engine().dispatcher.dispatch(said("!helo")) or []
    assert "Did you mean `!hello`?" in reply.markdown


@given(args=st.text(max_size=80))
async def test_the_refusal_comes_before_any_argument_is_read(args: str) -> None:
    bot, who = engine(), Perm.ORGANISER.value
    refusal = [Reply(f"Sorry, only {who} can use `!purge`.")]
    READ.clear()
    assert await bot.dispatcher.dispatch(said(f"!purge {args}")) == refusal
    assert await bot.dispatcher.dispatch(said("!purge")) == refusal
    assert READ == [] and bot.audited == []


async def test_a_moderator_has_the_arguments_read() -> None:
    READ.clear()
    assert await engine().dispatcher.dispatch(said("!purge spam 3", MOD)) == [
        Reply("purged 3 spam")
    ]
    [usage] = await engine().dispatcher.dispatch(said("!purge spam", MOD)) or []
    assert usage.markdown.startswith("Missing count.") and READ == ["spam", "spam"]
