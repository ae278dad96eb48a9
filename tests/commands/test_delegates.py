"""Delegates of member organisations in chat: added and removed by admins, shown to admins
only, the approved applicant the first one, and covered by !mydata and !forgetme."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from natm_bot.core.messages import UserId
from natm_bot.testing.harness import LOBBY, ChatHarness
from tests.commands.test_members import CAROL, GOOD_APPLICATION, ORGS, _import
from tests.conftest import ADMIN, ALICE, BOB, examples

ANA = "@ana:example.org"


@pytest.fixture
async def directory(bot: ChatHarness) -> ChatHarness:
    """Four listed organisations (#1 Kenya Community Networks … #4 Nairobi Data Justice Lab)."""
    await _import(bot, ORGS)
    return bot


async def rows(bot: ChatHarness) -> list[tuple[Any, ...]]:
    """Every delegation as stored."""
    found = await bot.app.db.fetchall("SELECT * FROM organisation_delegates ORDER BY user_id")
    return [tuple(row) for row in found]


async def test_an_admin_adds_and_removes_delegates_by_number_or_name(
    directory: ChatHarness,
) -> None:
    added = await directory.ask(f"!members delegate add 2 {ANA}", sender=ADMIN)
    assert added == f"{ANA} is now a delegate of Universidad del Sur (#2) and votes for it in " + (
        "polls of organisations."
    )
    by_name = await directory.ask(
        f"!members delegate add Kenya Community Networks {BOB}", sender=ADMIN
    )
    assert by_name.startswith(f"{BOB} is now a delegate of Kenya Community Networks (#1)")
    quoted = await directory.ask(
        f'!members delegate add "Universidad del Sur" {ALICE}', sender=ADMIN
    )
    assert quoted.startswith(f"{ALICE} is now a delegate of Universidad del Sur (#2)")
    again = await directory.ask(f"!members delegate add #2 {ANA}", sender=ADMIN)
    assert again == f"{ANA} is already a delegate of Universidad del Sur (#2); nothing changed."
    members = directory.app.members
    assert await members.delegations() == {UserId(ANA): 2, UserId(BOB): 1, UserId(ALICE): 2}
    assert await members.organisation_ids() == frozenset({1, 2, 3, 4})

    removed = await directory.ask(f"!members delegate remove 2 {ANA}", sender=ADMIN)
    assert removed == f"{ANA} is no longer a delegate of Universidad del Sur (#2)."
    last = await directory.ask(f"!members delegate remove 1 {BOB}", sender=ADMIN)
    assert last.endswith("It has no delegate now, so it cannot vote in polls until it has one.")
    assert await members.delegations() == {UserId(ALICE): 2}


async def test_translated_names_and_actions(directory: ChatHarness) -> None:
    await directory.ask("!lang es", sender=ADMIN)
    said = await directory.ask(f"!miembros delegado añadir 3 {ANA}", sender=ADMIN)
    assert said == f"{ANA} es ahora delegado de Bogotá Libre Community (#3) y vota por ella " + (
        "en las votaciones de organizaciones."
    )
    await directory.ask(f"!membres délégué retirer 3 {ANA}", sender=ADMIN)
    await directory.ask(f"!membros delegado adicionar 4 {ANA}", sender=ADMIN)
    assert await directory.app.members.delegations() == {UserId(ANA): 4}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("!members delegate add 2 ana", "“ana” is not a Matrix user id; write it like"),
        ("!members delegate add 2 @Ana", "“@Ana” is not a Matrix user id"),
        ("!members delegate add 2", "Name the organisation and then the person's Matrix id."),
        (f"!members delegate add 99 {ANA}", "No member organisation is called “99”."),
        (f"!members delegate add Atlantis {ANA}", "No member organisation is called “Atlantis”."),
        (f"!members delegate add community {ANA}", "Several member organisations match"),
        (f"!members delegate add {'9' * 40} {ANA}", "No member organisation is called"),
        (f"!members delegate promote 2 {ANA}", "Write add or remove, not “promote”."),
        (f"!members delegate remove 1 {ALICE}", f"{ALICE} is not a delegate of Kenya Community"),
        (f"!members delegate add 3 {ALICE}", f"{ALICE} is already the delegate of Universidad"),
        ("!members delegate", "Missing action."),
    ],
)
async def test_mistakes_are_explained_and_change_nothing(
    directory: ChatHarness, line: str, expected: str
) -> None:
    await directory.ask(f"!members delegate add 2 {ALICE}", sender=ADMIN)
    before = await rows(directory)
    said = await directory.ask(line, sender=ADMIN)
    assert expected in said, said
    if "Matrix user id" in expected or "Missing" in expected or "Write add" in expected:
        assert "Usage: !members delegate add|remove <organisation> <@user>" in said
    assert await rows(directory) == before


async def test_a_delegate_of_another_organisation_is_named(directory: ChatHarness) -> None:
    await directory.ask(f"!members delegate add 2 {ANA}", sender=ADMIN)
    said = await directory.ask(f"!members delegate add 1 {ANA}", sender=ADMIN)
    assert said == (
        f"{ANA} is already the delegate of Universidad del Sur (#2); a person speaks for one "
        "organisation only. Remove them there first."
    )


async def test_others_get_the_refusal_and_learn_nothing(directory: ChatHarness) -> None:
    await directory.ask(f"!members delegate add 2 {ANA}", sender=ADMIN)
    before = await rows(directory)
    for line in (f"!members delegate add 2 {BOB}", f"!members delegate remove 2 {ANA}"):
        said = await directory.send(line, sender=BOB)
        assert [s.body for s in said] == ["Sorry, only bot admins can use !members delegate."]
    assert await rows(directory) == before


async def test_the_audit_log_records_each_change(directory: ChatHarness) -> None:
    await directory.ask(f"!members delegate add 2 {ANA}", sender=ADMIN)
    await directory.ask(f"!members delegate remove 2 {ANA}", sender=ADMIN)
    entries = await directory.app.privacy.recent_actions(5)
    assert [(e.actor, e.command, e.detail) for e in entries[:2]] == [
        (ADMIN, "members delegate", f"remove 2 {ANA}"),
        (ADMIN, "members delegate", f"add 2 {ANA}"),
    ]


async def test_the_card_shows_delegates_to_admins_only(directory: ChatHarness) -> None:
    await directory.ask(f"!members delegate add 2 {ANA}", sender=ADMIN)
    await directory.ask(f"!members delegate add 2 {BOB}", sender=ADMIN)
    for line in ("!member 2", "!members Universidad del Sur", "!members #2"):
        public = await directory.ask(line, sender=ALICE)
        assert public.startswith("Universidad del Sur (#2)"), line
        assert ANA not in public and "Delegates" not in public and "delegate" not in public
    admin_dm = await directory.transport.direct_room(UserId(ADMIN))
    private = await directory.ask("!member 2", sender=ADMIN, room=admin_dm, is_direct=True)
    assert private.startswith("Universidad del Sur (#2)")
    assert f"Delegates (only admins see them): {ANA}, {BOB}" in private
    # Asked in a room, the card goes to the room and the delegates to the admin alone.
    in_room = await directory.send("!member 2", sender=ADMIN)
    assert [s.room_id for s in in_room] == [LOBBY, admin_dm]
    assert ANA not in in_room[0].body and ANA in in_room[1].body
    none = await directory.ask("!member 1", sender=ADMIN, room=admin_dm, is_direct=True)
    assert "No delegate yet: no one can vote for it in polls open to organisations." in none
    assert "!members delegate add 1 @…" in none


async def test_removing_an_organisation_removes_its_delegations(directory: ChatHarness) -> None:
    await directory.ask(f"!members delegate add 2 {ANA}", sender=ADMIN)
    await directory.ask(f"!members delegate add 1 {BOB}", sender=ADMIN)
    await directory.ask("!members remove 2", sender=ADMIN)
    assert await directory.app.members.delegations() == {UserId(BOB): 1}
    assert await directory.app.members.organisation_ids() == frozenset({1, 3, 4})
    again = await directory.ask(f"!members delegate add 3 {ANA}", sender=ADMIN)
    assert again.startswith(f"{ANA} is now a delegate of Bogotá Libre Community (#3)")


async def test_approving_makes_the_applicant_the_first_delegate(bot: ChatHarness) -> None:
    await bot.send(GOOD_APPLICATION, sender=CAROL)
    approved = await bot.send("!members approve 1", sender=ADMIN)
    carol_dm = await bot.transport.direct_room(UserId(CAROL))
    [told] = [s for s in approved if s.room_id == carol_dm]
    assert "You are its first delegate: you vote for it in polls where organisations vote." in (
        told.body
    )
    assert "!forgetme" in told.body
    assert await bot.app.members.delegations() == {UserId(CAROL): 1}


async def test_an_applicant_already_delegate_elsewhere_is_said_so(directory: ChatHarness) -> None:
    await directory.ask(f"!members delegate add 2 {CAROL}", sender=ADMIN)
    await directory.send(GOOD_APPLICATION, sender=CAROL)
    approved = await directory.send("!members approve 1", sender=ADMIN)
    assert approved[0].body == (
        "Radio Comunitaria del Valle (#5) is now listed; I've told the applicant. They are "
        "already the delegate of Universidad del Sur (#2), so Radio Comunitaria del Valle (#5) "
        "has no delegate yet: !members delegate add 5 @…"
    )
    assert "first delegate" not in approved[1].body
    assert await directory.app.members.delegations() == {UserId(CAROL): 2}


async def test_mydata_shows_the_delegation_and_forgetme_removes_it(
    directory: ChatHarness,
) -> None:
    await directory.ask(f"!members delegate add 2 {ALICE}", sender=ADMIN)
    dm = {"room": await directory.transport.direct_room(UserId(ALICE)), "is_direct": True}
    mydata = await directory.ask("!mydata", sender=ALICE, **dm)
    assert "Delegate of Universidad del Sur: you vote for it in polls of organisations." in mydata
    asked = await directory.ask("!forgetme", sender=ALICE, **dm)
    assert "Delegate of Universidad del Sur" in asked
    await directory.ask("!forgetme confirm", sender=ALICE, **dm)
    assert await directory.app.members.delegations() == {}
    assert "Delegate of" not in await directory.ask("!mydata", sender=ALICE, **dm)


TYPED = st.one_of(
    st.text(max_size=60),
    st.builds(
        "{} {} {}".format,
        st.sampled_from(["add", "remove", "añadir", "ADD", "x", ""]),
        st.one_of(
            st.sampled_from(["2", "#2", "0", "-1", "99", "Universidad del Sur", '"']),
            st.text(max_size=20),
        ),
        st.one_of(
            st.sampled_from([ANA, "@", "@a:", "ana", "@a:b:99999", "@" + "a" * 300 + ":x"]),
            st.text(max_size=20),
        ),
    ),
)


@settings(
    max_examples=examples(120),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(typed=TYPED)
async def test_nothing_typed_crashes_or_changes_anything_unless_it_is_valid(
    bot: ChatHarness, typed: str
) -> None:
    await bot.reset()
    await _import(bot, ORGS)
    await bot.ask(f"!members delegate add 2 {ALICE}", sender=ADMIN)
    before = await rows(bot)
    replies = await bot.send(f"!members delegate {typed}", sender=ADMIN)
    assert len(replies) == 1 and "something went wrong" not in replies[0].body, replies
    said = replies[0].body
    if await rows(bot) != before:
        assert " is now a delegate of " in said or " is no longer a delegate of " in said, said
    else:
        assert " is now a delegate of " not in said and "no longer" not in said, said


async def test_help_tells_admins_about_delegates(bot: ChatHarness) -> None:
    members = await bot.ask("!help members", sender=ALICE)
    assert "!members delegate add <organisation> @user (and remove)" in members
    one = await bot.ask("!help members delegate", sender=ADMIN)
    assert "Usage: !members delegate add|remove <organisation> <@user>" in one
    assert "Also: !miembros delegado, !membres délégué, !membros delegado" in one
    assert "For bot admins only." in one
