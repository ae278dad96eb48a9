"""Statements in chat: published and versioned by admins, endorsed once per organisation by
its delegates (in public or in private), supported by anyone under a keyed digest, and
milestones announced once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from natm_bot.config.statements import StatementsSection
from natm_bot.core.clock import ManualClock
from natm_bot.core.errors import UsageError
from natm_bot.core.messages import RoomId, UserId
from natm_bot.features.statements import reading
from natm_bot.features.statements.cards import is_writing_hand
from natm_bot.testing.harness import ChatHarness, make_config
from tests.commands.test_members import ORGS, _import
from tests.conftest import ADMIN, ALICE, BOB, examples

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
ANNOUNCE = "!coalition:localhost"
KCN_A, KCN_B = "@kcn-a:localhost", "@kcn-b:localhost"  # two delegates of organisation 1
SUR, BOGOTA, LAB = "@sur:localhost", "@bogota:localhost", "@lab:localhost"
ADD = '!statement add id=refusal title="We refuse extraction" text="The original text."'


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[ChatHarness]:
    """Four member organisations with delegates (two for the first), one statement."""
    config = make_config(tmp_path, admins=[ADMIN])
    config = config.model_copy(
        update={"statements": StatementsSection(rooms=[ANNOUNCE], milestones=[2, 3])}
    )
    async with ChatHarness(config, ManualClock(START)) as bot:
        bot.transport.join(RoomId(ANNOUNCE))
        await _import(bot, ORGS)
        members = bot.app.members
        for number, delegates in ((1, (KCN_A, KCN_B)), (2, (SUR,)), (3, (BOGOTA,)), (4, (LAB,))):
            for user in delegates:
                await members.add_delegate(await members.get(number), user)
        assert "We refuse extraction" in await bot.ask(ADD, sender=ADMIN)
        yield bot


def _announced(bot: ChatHarness) -> list[str]:
    return [out.reply.markdown for out in bot.transport.sent if out.room_id == ANNOUNCE]


async def test_endorsements_count_each_organisation_once_and_hide_private_ones(
    world: ChatHarness,
) -> None:
    bot = world
    assert "now endorses version 1" in await bot.ask("!endorse refusal", sender=KCN_A)
    assert "already endorses version 1" in await bot.ask("!endorse refusal", sender=KCN_B)
    assert "now endorses" in await bot.ask("!endorse refusal", sender=SUR)
    private = await bot.ask("!endorse refusal private", sender=BOGOTA)
    assert "Its name is not shown" in private
    assert "no longer endorses" in await bot.ask("!withdraw refusal", sender=SUR)
    for person in (ALICE, BOB, ALICE):
        await bot.send("!support refusal", sender=person)
    card = await bot.ask("!statement refusal")
    assert "version 1" in card and "The original text." in card
    assert "Endorsed by 2 organisations:" in card
    assert "Kenya Community Networks (Kenya · Civil-society organisations)" in card
    assert "1 organisation that asked not to be named" in card
    assert "Universidad del Sur" not in card and "Bogotá" not in card
    assert "2 people support it." in card
    listed = await bot.ask("!statements")
    assert "We refuse extraction" in listed and "2 organisations" in listed


async def test_a_new_version_marks_endorsers_pending_until_they_confirm_or_time_runs_out(
    world: ChatHarness,
) -> None:
    bot = world
    await bot.send("!endorse refusal", sender=KCN_A)
    await bot.send("!endorse refusal private", sender=BOGOTA)
    await bot.send("!lang es", sender=BOGOTA)
    [edited, *asked] = await bot.send('!statement edit refusal text="Version two."', sender=ADMIN)
    assert "Version 2 published" in edited.body and "asked their delegates" in edited.body
    # Every delegate of each endorsing organisation is asked, each in their language, by
    # direct message; the delegates of organisations that did not endorse are not.
    dms = {await bot.transport.direct_room(UserId(u)): u for u in (KCN_A, KCN_B, SUR, BOGOTA)}
    assert sorted(dms[a.room_id] for a in asked) == sorted([KCN_A, KCN_B, BOGOTA])
    for one in asked:
        confirm = "!endorse refusal" in one.body and "!withdraw refusal" in one.body
        assert confirm and "version 1" in one.body.casefold().replace("versión", "version")
    assert "Se publicó" in next(a.body for a in asked if dms[a.room_id] == BOGOTA)
    card = await bot.ask("!statement refusal")
    assert "Endorsed by 0 organisations:" in card and "Version two." in card
    pending = card.split("Pending:")[1]
    assert "Kenya Community Networks" in pending
    assert "1 organisation that asked not to be named" in pending
    assert "confirmed version 2" in await bot.ask("!endorse refusal", sender=KCN_B)
    card = await bot.ask("!statement refusal")
    assert "Endorsed by 1 organisation:" in card
    assert "Kenya Community Networks" not in card.split("Pending:")[1]
    await bot.advance(days=31)  # statements.reconfirm is 30 days
    card = await bot.ask("!statement refusal")
    assert "Pending:" not in card
    assert "1 organisation that asked not to be named" in card.split("Endorsed version 1 only:")[1]
    assert "Kenya Community Networks" in card.split("Endorsed by 1 organisation:")[1]


async def test_a_translation_is_no_new_version_and_the_original_is_marked(
    world: ChatHarness,
) -> None:
    bot = world
    kept = await bot.ask('!statement edit refusal lang=es text="El texto."', sender=ADMIN)
    assert "Translation kept." in kept and "version 1" in kept
    await bot.send("!lang es", sender=BOB)
    assert "El texto." in await bot.ask("!statement refusal", sender=BOB)
    await bot.send("!lang pt", sender=ALICE)
    shown = await bot.ask("!statement refusal", sender=ALICE)
    assert "The original text. (original)" in shown
    assert "(original)" not in await bot.ask("!statement refusal", sender=KCN_A)


async def test_milestones_are_announced_once_each(world: ChatHarness) -> None:
    bot = world
    await bot.send("!endorse refusal", sender=KCN_A)
    assert _announced(bot) == []
    await bot.send("!endorse refusal", sender=SUR)
    await bot.send("!endorse refusal", sender=KCN_B)  # the same organisation: still two
    [two] = _announced(bot)
    assert "**2** member organisations now endorse" in two and "!statement refusal" in two
    await bot.send("!withdraw refusal", sender=SUR)
    await bot.send("!endorse refusal", sender=SUR)
    await bot.send("!endorse refusal", sender=LAB)
    await bot.app.statements.reached.sweep()  # type: ignore[union-attr]
    assert len(_announced(bot)) == 2 and "**3**" in _announced(bot)[1]


async def test_writing_hand_on_the_card_endorses_and_taking_it_back_changes_nothing(
    world: ChatHarness,
) -> None:
    bot = world
    before = len(bot.transport.sent)
    await bot.send("!statement refusal")
    card = bot.transport.event_of(bot.transport.sent[before])
    reaction = await bot.react(card, "✍🏾", sender=SUR)
    assert "now endorses version 1" in bot.transport.sent[-1].reply.markdown
    await bot.retract(reaction, sender=SUR)
    await bot.react(card, "👍", sender=LAB)  # not a writing hand: nothing
    assert "Endorsed by 1 organisation:" in await bot.ask("!statement refusal")


async def test_refusals_say_the_same_whether_the_statement_exists_or_not(
    world: ChatHarness,
) -> None:
    bot = world
    for text in ("!endorse refusal", "!endorse no-such", "!withdraw refusal", "!withdraw x y"):
        assert await bot.ask(text, sender=BOB) == (
            f"Sorry, only delegates of member organisations can use !{text[1:].split()[0]}."
        )
    assert await bot.ask("!endorse refusal", sender=ADMIN) == await bot.ask(
        "!endorse no-such", sender=ADMIN
    )  # an admin speaks for no organisation
    edit, add = '!statement edit refusal text="x"', "!statement add id=x title=x text=x"
    assert await bot.ask(edit, sender=BOB) == await bot.ask(
        edit.replace("refusal", "nothing"), sender=BOB
    )
    assert "only bot admins" in await bot.ask(add, sender=BOB)
    assert "Endorsed by 0 organisations:" in await bot.ask("!statement refusal")


HOSTILE = [
    "!endorse !other:localhost",
    "!endorse **bold**",
    "!endorse refusal loudly",
    "!endorse ../../etc",
    "!endorse " + "a" * 41,
    "!statement add id=refusal title=again text=again",
    '!statement add id="two words" title=x text=x',
    "!statement add id=add title=x text=x",
    '!statement add id=fine title="" text=x',
    "!statement add id=fine title=x text=x lang=xx",
    "!statement add id=fine title=x text=" + "y" * 20_001,
    "!statement add id=fine title=x",
    '!statement edit refusal text="x" lang=klingon',
    "!statement edit refusal",
    "!support @bob:localhost",
    "!support no-such",
]


async def test_hostile_input_gets_a_friendly_answer_and_changes_nothing(
    world: ChatHarness,
) -> None:
    bot = world
    for text in HOSTILE:
        sender = SUR if text.startswith("!endorse") else ADMIN
        answer = await bot.ask(text, sender=sender)
        assert "went wrong" not in answer and answer, text
    assert [s.id for s in await bot.app.statements.all()] == ["refusal"]
    card = await bot.ask("!statement refusal")
    assert "version 1" in card and "Endorsed by 0 organisations:" in card
    assert "0 people support it." in card


async def test_the_database_holds_no_supporter_id(world: ChatHarness) -> None:
    bot = world
    people = [f"@supporter-{n}:localhost" for n in range(5)]
    for person in people:
        assert "Thank you for supporting" in await bot.ask("!support refusal", sender=person)
    await bot.app.db.checkpoint()
    path = bot.app.db.path
    wal = path.with_name(path.name + "-wal")
    data = path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    for person in people:
        for needle in (person, person.lstrip("@"), person.split(":")[0]):
            assert needle.encode() not in data
    assert "5 people support it." in await bot.ask("!statement refusal")
    digests = {bot.app.statements.supporter_digest("refusal", person) for person in people}
    assert {bot.app.members.supporter_digest(person) for person in people}.isdisjoint(digests)


async def test_mydata_shows_support_and_endorsements_and_forgetme_keeps_the_endorsement(
    world: ChatHarness,
) -> None:
    bot = world
    await bot.send("!endorse refusal", sender=SUR)
    await bot.send("!support refusal", sender=SUR)
    report = "\n".join(r.body for r in await bot.send("!mydata", sender=SUR))
    assert "Statements you support (kept as a keyed hash" in report and "refusal" in report
    assert "refusal, version 1, for organisation #2" in report
    await bot.send("!forgetme", sender=SUR)
    await bot.send("!forgetme confirm", sender=SUR)
    card = await bot.ask("!statement refusal")
    assert "Universidad del Sur" in card and "0 people support it." in card
    rows = await bot.app.db.fetchall("SELECT acted_by FROM statement_endorsements")
    assert [row[0] for row in rows] == [None]


@settings(max_examples=examples(200), suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=60))
def test_an_id_is_read_or_refused_with_a_reason(text: str) -> None:
    try:
        found = reading.statement_id(text)
    except UsageError as exc:
        assert str(exc)
        return
    assert reading.ID_RE.fullmatch(found) and found not in reading.RESERVED and found.isascii()


@settings(max_examples=examples(200))
@given(st.text(max_size=80))
def test_title_text_language_and_visibility_are_read_or_refused(text: str) -> None:
    for read in (reading.title, reading.body, reading.language, reading.shown):
        try:
            value = read(text)
        except UsageError as exc:
            assert str(exc)
            continue
        assert value is not None
    with pytest.raises(UsageError):
        reading.title("x" * 201)
    assert reading.shown("PRIVÉE") is False and reading.shown("Público") is True


@settings(max_examples=examples(100))
@given(st.text(max_size=4))
def test_only_a_writing_hand_endorses(key: str) -> None:
    assert is_writing_hand(key) == (
        key.startswith("✍") and key.removeprefix("✍").removeprefix("\ufe0f") in ("", *SKINS)
    )
    assert is_writing_hand("✍️") and is_writing_hand("✍🏻") and not is_writing_hand("👍")


SKINS = tuple(chr(c) for c in range(0x1F3FB, 0x1F400))
