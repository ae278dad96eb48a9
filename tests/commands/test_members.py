"""The members directory in chat: search, cards, applications, admin tools and supporters."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from natm_bot.calendar.timeutil import long_date
from natm_bot.config.paths import bundled
from natm_bot.storage.state import State
from natm_bot.testing.harness import LOBBY, ChatHarness, make_config
from tests.conftest import ADMIN, ALICE, BOB

CAROL = "@carol-applicant:localhost"
GOOD_APPLICATION = (
    '!members apply name="Radio Comunitaria del Valle" category=civil-society country=co '
    'website=https://radio.example.org languages=es,en contact="#radio:example.org" '
    'description="A community radio station run by its listeners."'
)

ORGS: list[dict[str, Any]] = [
    {
        "name": "Kenya Community Networks",
        "category": "civil-society",
        "country": "KE",
        "website": "https://kcn.example.org",
        "description": "Community-owned internet for villages around Nairobi.",
        "joined": "2021-03-01",
    },
    {
        "name": "Universidad del Sur",
        "category": "learning",
        "country": "AR",
        "website": "https://sur.example.edu",
        "description": "A public university researching data colonialism.",
        "joined": "2022-06-15",
    },
    {
        "name": "Bogotá Libre Community",
        "category": "geographic",
        "country": "CO",
        "website": "https://bogota.example.org",
        "description": "A town that moved its services to free software.",
        "joined": "2023-01-10",
    },
    {
        "name": "Nairobi Data Justice Lab",
        "category": "learning",
        "country": "KE",
        "website": "https://lab.example.ac.ke",
        "description": "Research and teaching on data justice and community radio.",
        "joined": "2024-02-01",
    },
]


async def _import(bot: ChatHarness, rows: list[dict[str, Any]]) -> None:
    labelled: list[tuple[str, Mapping[str, Any]]] = [
        (f"entry {n}", row) for n, row in enumerate(rows, start=1)
    ]
    await bot.app.members.import_rows(labelled, "test rows")


async def _names(bot: ChatHarness) -> list[str]:
    return sorted(org.info.name for org in await bot.app.members.store.all())


def _files(bot: ChatHarness) -> bytes:
    path = bot.app.db.path
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


@pytest.fixture
async def directory(bot: ChatHarness) -> ChatHarness:
    """A bot with four member organisations in three countries and all three categories."""
    await _import(bot, ORGS)
    return bot


async def test_overview_counts_each_category_and_the_newest(directory: ChatHarness) -> None:
    body = await directory.ask("!members")
    assert body.startswith("NATM's member organisations: 4")
    assert "Civil-society organisations: 1 (!members civil-society)" in body
    assert "Institutions of learning: 2 (!members learning)" in body
    assert "Geographic communities: 1 (!members geographic)" in body
    newest = body.split("Newest members")[1]
    assert newest.index("Nairobi Data Justice Lab") < newest.index("Bogotá Libre Community")
    assert "Kenya · Institutions of learning, joined 2024-02-01" in newest


async def test_overview_of_an_empty_directory_says_how_to_apply(bot: ChatHarness) -> None:
    body = await bot.ask("!members")
    assert body.startswith("No member organisations are listed yet.")
    assert "!members apply" in body


async def test_search_by_category_id_or_name(directory: ChatHarness) -> None:
    for query in ("learning", "Institutions of learning", "INSTITUTIONS OF LEARNING"):
        body = await directory.ask(f"!members {query}")
        assert body.startswith("Institutions of learning: 2 member organisations"), query
        assert "Nairobi Data Justice Lab (#4), Kenya" in body
        assert "Universidad del Sur (#2), Argentina" in body
        assert "Kenya Community Networks" not in body
    assert "Civil-society organisations: 1" in await directory.ask("!members civil society")


async def test_search_by_country_code_or_name(directory: ChatHarness) -> None:
    for query in ("KE", "ke", "Kenya", "kenya"):
        body = await directory.ask(f"!members {query}")
        assert body.startswith("Kenya: 2 member organisations"), query
        assert "Kenya Community Networks" in body and "Nairobi Data Justice Lab" in body
        assert "Universidad del Sur" not in body
    assert (await directory.ask("!members Colombia")).startswith("Colombia: 1 member")


async def test_search_by_words_in_name_or_description(directory: ChatHarness) -> None:
    both = await directory.ask("!members community radio")
    assert both.startswith("“community radio”: 1 member organisation")
    assert "Nairobi Data Justice Lab" in both  # "community" and "radio" are in its description
    assert "Kenya Community Networks" not in both  # has "community" but not "radio"
    assert "Bogotá Libre Community" in await directory.ask("!members bogota")  # accents ignored
    assert "Universidad del Sur" in await directory.ask("!members coloni")  # word beginnings
    assert "Nairobi Data Justice Lab" in await directory.ask("!members JUSTICE")


async def test_no_results_for_each_kind_of_search(directory: ChatHarness) -> None:
    assert await directory.ask("!members Peru") == "No member organisations in Peru yet."
    words = await directory.ask("!members basket weaving")
    assert words.startswith("No member organisation matches “basket weaving”.")
    assert "civil-society, learning, geographic" in words
    await directory.app.members.remove(1)
    assert (
        await directory.ask("!members civil-society")
    ) == "No member organisations in Civil-society organisations yet."


async def test_odd_search_text_is_not_query_syntax(directory: ChatHarness) -> None:
    for query in ('"radio', "radio OR NOT", "NEAR(a b)", "col:radio", "*", "-", "radio^"):
        body = await directory.ask(f"!members {query}")
        assert "went wrong" not in body, query


async def test_long_results_come_ten_at_a_time_with_navigation(bot: ChatHarness) -> None:
    rows = [
        {
            "name": f"School {n:02d}",
            "category": "learning",
            "country": "BR",
            "website": f"https://school{n}.example.org",
            "description": "A school that teaches with free software.",
        }
        for n in range(1, 26)
    ]
    await _import(bot, rows)
    first = await bot.ask("!members learning")
    assert first.startswith("Institutions of learning: 25 member organisations")
    assert first.count("• School") == 10 and "School 01" in first and "School 11" not in first
    assert first.endswith("Page 1 of 3 · next: !members learning page 2")
    second = await bot.ask("!members learning page 2")
    assert "School 11" in second and "School 20" in second and "School 21" not in second
    assert second.endswith(
        "Page 2 of 3 · next: !members learning page 3 · previous: !members learning page 1"
    )
    last = await bot.ask("!members brazil p3")
    assert last.count("• School") == 5 and "School 25" in last
    assert last.endswith("Page 3 of 3 · previous: !members BR page 2")
    words = await bot.ask("!members free software page 2")
    assert words.endswith(
        "next: !members free software page 3 · previous: !members free software page 1"
    )
    beyond = await bot.ask("!members learning page 4")
    assert (
        beyond == "There is no page 4: the results fill 3. The last one: !members learning page 3"
    )
    assert all(len(r.body) < 4000 for r in await bot.send("!members learning"))


async def test_member_card_by_name_or_number(directory: ChatHarness) -> None:
    card = await directory.ask("!member nairobi data justice lab")
    assert card.startswith("Nairobi Data Justice Lab (#4)\n\nResearch and teaching on data")
    assert "Country: Kenya (KE)" in card and "Category: Institutions of learning" in card
    assert "Website: https://lab.example.ac.ke" in card and "Member since 1 Feb 2024" in card
    assert (await directory.ask("!member 2")).startswith("Universidad del Sur (#2)")
    assert (await directory.ask("!member universidad")).startswith("Universidad del Sur (#2)")
    several = await directory.ask("!member community")
    assert several.startswith("Several member organisations match “community”")
    assert "Bogotá Libre Community (#3)" in several and "Kenya Community Networks (#1)" in several
    assert "Nairobi" not in several and "!member 3" in several
    unknown = await directory.ask("!member Atlantis Institute")
    assert unknown.startswith("No member organisation is called “Atlantis Institute”.")
    assert "!members Atlantis Institute" in unknown
    await directory.ask("!lang pt")
    assert "Membro desde 1 de fevereiro de 2024" in await directory.ask("!member 4")


async def test_apply_then_approve_lists_it_and_tells_the_applicant(bot: ChatHarness) -> None:
    applied = await bot.send(GOOD_APPLICATION, sender=CAROL)
    assert applied[0].room_id == LOBBY
    assert applied[0].body.startswith(
        "Thank you! The application for Radio Comunitaria del Valle is queued as number 1."
    )
    admin_dm = await bot.transport.direct_room(ADMIN)  # type: ignore[arg-type]
    assert [r.room_id for r in applied[1:]] == [admin_dm]
    assert "New member application #1: Radio Comunitaria del Valle (Colombia" in applied[1].body
    assert "No member organisation" in await bot.ask("!members radio")  # not listed yet

    pending = await bot.send("!members pending", sender=ADMIN)
    [listing] = [r for r in pending if r.room_id == admin_dm]
    assert "#1: Radio Comunitaria del Valle, Colombia · Civil-society organisations" in (
        listing.body
    )
    assert f"from {CAROL}" in listing.body
    assert all(CAROL not in r.body for r in pending if r.room_id == LOBBY)

    approved = await bot.send("!members approve 1", sender=ADMIN)
    carol_dm = await bot.transport.direct_room(CAROL)  # type: ignore[arg-type]
    assert (
        approved[0].body
        == "Radio Comunitaria del Valle (#1) is now listed; I've told the applicant."
    )
    [told] = [r for r in approved if r.room_id == carol_dm]
    assert told.body.startswith("Good news: Radio Comunitaria del Valle is now listed")
    card = await bot.ask("!member radio comunitaria del valle")
    assert "Languages: Spanish, English" in card and "On Matrix: #radio:example.org" in card
    assert f"Member since {long_date(bot.app.clock.now().date())}" in card
    assert "Radio Comunitaria del Valle" in await bot.ask("!members colombia")
    after = await bot.send("!members pending", sender=ADMIN)
    assert [r.body for r in after if r.room_id == admin_dm] == ["No applications are waiting."]
    # The applicant's id is kept only as the organisation's first delegate; once they are
    # no longer one, only the audit log of that removal names them.
    assert await bot.app.members.delegations() == {CAROL: 1}
    removed = await bot.ask(f"!members delegate remove 1 {CAROL}", sender=ADMIN)
    assert removed.startswith(f"{CAROL} is no longer a delegate of Radio Comunitaria")
    kept = (await bot.app.privacy.report(CAROL)).data
    assert kept.delegate_for == () and kept.applications == () and kept.audit_entries == 1


async def test_reject_with_a_reason_tells_the_applicant_and_lists_nothing(
    bot: ChatHarness,
) -> None:
    await bot.send(GOOD_APPLICATION, sender=CAROL)
    rejected = await bot.send("!members reject 1 Please apply through your network.", sender=ADMIN)
    assert rejected[0].body == (
        "Rejected application 1 (Radio Comunitaria del Valle); I've told the applicant."
    )
    carol_dm = await bot.transport.direct_room(CAROL)  # type: ignore[arg-type]
    [told] = [r for r in rejected if r.room_id == carol_dm]
    assert "was not accepted" in told.body
    assert told.body.endswith("The reason given: Please apply through your network.")
    assert await _names(bot) == []
    assert "No member organisation" in await bot.ask("!members radio")
    pending = await bot.send("!members pending", sender=ADMIN)
    assert any(r.body == "No applications are waiting." for r in pending)
    assert CAROL.encode() not in _files(bot)
    again = await bot.ask("!members reject 1", sender=ADMIN)
    assert again == "There is no pending application number 1."


@pytest.mark.parametrize(
    ("field", "typed", "says"),
    [
        ("category", "category=sports", "“sports” is not a member category"),
        ("country", "country=ZZ", "“ZZ” is not a country"),
        ("website", "website=radio.example.org", "must be a web address starting with http"),
        ("website", "website=javascript:alert(1)", "must be a web address"),
        ("description", f'description="{"long " * 130}"', "characters long; at most 600"),
        ("languages", "languages=en,klingon", "“klingon” is not a language code"),
        ("contact", "contact=bob", "must be a Matrix room"),
        ("name", "name=X", "needs 2 to 120 characters"),
    ],
)
async def test_each_invalid_field_is_named(
    bot: ChatHarness, field: str, typed: str, says: str
) -> None:
    fields = {
        "name": 'name="Radio Libre"',
        "category": "category=learning",
        "country": "country=KE",
        "website": "website=https://radio.example.org",
        "description": 'description="A radio."',
        "languages": "",
        "contact": "",
    }
    fields[field] = typed
    body = await bot.ask("!members apply " + " ".join(v for v in fields.values() if v))
    assert body.startswith("This field needs fixing; nothing was saved:")
    assert f"• {field}: " in body and says in body
    assert (await bot.app.members.pending()).total == 0


async def test_every_problem_is_on_its_own_line_in_one_reply(bot: ChatHarness) -> None:
    body = await bot.ask(
        '!members apply name="Radio Libre" category=sports country=ZZ website=radio '
        f'description="{"x" * 601}"',
        sender=CAROL,
    )
    lines = [line for line in body.splitlines() if line.startswith("• ")]
    assert [line.split(":")[0] for line in lines] == [
        "• category",
        "• country",
        "• website",
        "• description",
    ]
    assert body.startswith("These 4 fields need fixing; nothing was saved:")
    assert "Usage: !members apply" in body
    assert (await bot.app.members.pending()).total == 0
    missing = await bot.ask("!members apply name=Radio", sender=CAROL)
    for field in ("category", "country", "website", "description"):
        assert f"• {field}: is missing." in missing


async def test_names_are_unique_case_insensitively(directory: ChatHarness) -> None:
    listed = await directory.ask(
        GOOD_APPLICATION.replace("Radio Comunitaria del Valle", "KENYA community networks"),
        sender=CAROL,
    )
    assert "• name: “KENYA community networks” is already listed as a member." in listed
    await directory.send(GOOD_APPLICATION, sender=CAROL)
    twice = await directory.ask(GOOD_APPLICATION.replace("Valle", "VALLE"), sender=BOB)
    assert "already waiting for a decision" in twice
    assert (await directory.app.members.pending()).total == 1


async def test_an_applicant_has_at_most_three_applications_waiting(bot: ChatHarness) -> None:
    for n in range(3):
        await bot.send(GOOD_APPLICATION.replace("Valle", f"Valle {n}"), sender=CAROL)
    refused = await bot.ask(GOOD_APPLICATION.replace("Valle", "Valle 4"), sender=CAROL)
    assert refused.startswith("You already have 3 applications waiting")


async def test_non_admins_are_refused_and_nothing_changes(directory: ChatHarness) -> None:
    await directory.send(GOOD_APPLICATION, sender=CAROL)
    before = await _names(directory)
    for command in (
        "!members pending",
        "!members approve 1",
        "!members reject 1 no",
        "!members edit 1 country=BR",
        "!members remove 1",
        "!members import",
    ):
        replies = await directory.send(command, sender=BOB)
        assert [r.room_id for r in replies] == [LOBBY], command
        assert replies[0].body.startswith("Sorry, only bot admins can use"), command
        assert CAROL not in replies[0].body
    assert await _names(directory) == before
    assert (await directory.app.members.get(1)).info.country == "KE"
    assert (await directory.app.members.pending()).total == 1


async def test_admin_edits_and_removes(directory: ChatHarness) -> None:
    edited = await directory.ask(
        '!members edit 1 country=tanzania description="Internet for villages." joined=2020-11-24',
        sender=ADMIN,
    )
    assert edited == "Updated country, description, joined of Kenya Community Networks (#1)."
    card = await directory.ask("!member 1")
    assert "Country: Tanzania (TZ)" in card and "Member since 24 Nov 2020" in card
    assert "Internet for villages." in card
    bad = await directory.ask('!members edit 1 country=XX name="" joined=2999-01-01', sender=ADMIN)
    assert "• country: " in bad and "• name: must not be empty." in bad
    assert "• joined: must be a date" in bad
    clash = await directory.ask('!members edit 1 name="universidad del sur"', sender=ADMIN)
    assert "is already listed as a member" in clash
    assert (await directory.app.members.get(1)).info.name == "Kenya Community Networks"
    removed = await directory.ask("!members remove 1", sender=ADMIN)
    assert removed == "Removed Kenya Community Networks (#1) from the directory."
    assert await directory.ask("!member 1") == "No member organisation is called “1”. " + (
        "Search names and descriptions with !members 1."
    )
    missing = await directory.ask("!members remove 99", sender=ADMIN)
    assert missing == "There is no member organisation number 99."
    huge = await directory.ask("!members edit 99999999999999999999 country=KE", sender=ADMIN)
    assert huge == "There is no member organisation number 99999999999999999999."
    assert "no pending application" in await directory.ask("!members approve 0", sender=ADMIN)


async def test_support_twice_counts_once_and_can_be_withdrawn(bot: ChatHarness) -> None:
    first = await bot.ask("!support", sender=ALICE)
    assert first.startswith("Thank you for supporting the Non-Aligned Technologies Movement!")
    assert "It now has 1 supporter." in first
    assert "already support" in await bot.ask("!support", sender=ALICE)
    await bot.send("!support", sender=BOB)
    assert (
        await bot.ask("!supporters", sender=ALICE) == "NATM has 2 supporters. Join them: !support"
    )
    assert ALICE not in await bot.ask("!supporters")
    withdrawn = await bot.ask("!support withdraw", sender=ALICE)
    assert withdrawn == "Done: you are no longer counted as a supporter."
    assert "nothing to withdraw" in await bot.ask("!support withdraw", sender=ALICE)
    assert await bot.ask("!supporters") == "NATM has 1 supporter. Join them: !support"


async def test_the_database_holds_no_supporter_id(bot: ChatHarness) -> None:
    await bot.send("!support", sender=ALICE)
    await bot.send("!support", sender=ALICE)
    rows = await bot.app.db.fetchall("SELECT digest FROM supporters")
    assert len(rows) == 1 and len(rows[0][0]) == 64
    data = _files(bot)
    await bot.app.db.checkpoint()
    for needle in (ALICE, ALICE.lstrip("@"), "alice:localhost", ALICE.upper()):
        assert needle.encode() not in data and needle.encode() not in _files(bot)
        assert needle.encode("utf-16-le") not in data


async def test_the_supporter_key_persists_or_comes_from_config(tmp_path: Path) -> None:
    config = make_config(tmp_path, admins=[ADMIN])
    async with ChatHarness(config) as bot:
        await bot.send("!support", sender=ALICE)
    async with ChatHarness(config) as bot:  # the generated key was kept: still one supporter
        assert "already support" in await bot.ask("!support", sender=ALICE)
        stored = await State(bot.app.db).get("supporter_key")
        assert stored is not None and len(stored) == 64
    movement = config.movement.model_copy(update={"supporter_key": "a secret kept elsewhere"})
    other = make_config(tmp_path / "other", admins=[ADMIN]).model_copy(
        update={"movement": movement}
    )
    async with ChatHarness(other) as bot:
        await bot.send("!support", sender=ALICE)
        assert await State(bot.app.db).get("supporter_key") is None
        assert "already support" in await bot.ask("!support", sender=ALICE)


def _data_dir(tmp_path: Path, members_yaml: str) -> Path:
    data = tmp_path / "data"
    shutil.copytree(bundled("data"), data)
    (data / "members.yaml").write_text(members_yaml, encoding="utf-8")
    return data


SEED = """members:
  - name: "Example Community Network"
    category: Civil-society organisations
    country: ke
    languages: [en, sw]
    website: "https://example.org"
    description: "An invented organisation for this test."
    joined: 2022-05-01
"""


async def test_members_yaml_seeds_the_first_start_only(tmp_path: Path) -> None:
    config = make_config(tmp_path, admins=[ADMIN])
    paths = config.paths.model_copy(update={"data_dir": _data_dir(tmp_path, SEED)})
    config = config.model_copy(update={"paths": paths})
    async with ChatHarness(config) as bot:
        card = await bot.ask("!member example community network")
        assert "Country: Kenya (KE)" in card and "Languages: English, Swahili" in card
        assert "Member since 1 May 2022" in card
        await bot.send("!members remove 1", sender=ADMIN)
    async with ChatHarness(config) as bot:  # removed stays removed
        assert await _names(bot) == []
        imported = await bot.ask("!members import", sender=ADMIN)
        assert imported == "Imported members.yaml: 1 organisation added, 0 updated."
        again = await bot.ask("!members import", sender=ADMIN)
        assert again == "Imported members.yaml: 0 organisations added, 1 updated."


async def test_the_bundled_members_file_lists_no_one(bot: ChatHarness) -> None:
    assert await _names(bot) == []
    assert "0 organisations added" in await bot.ask("!members import", sender=ADMIN)


async def test_import_with_a_bad_entry_changes_nothing(tmp_path: Path) -> None:
    bad = (
        SEED
        + """  - name: "Second"
    category: sports
    country: ZZ
    website: nowhere
    description: "Bad."
    colour: blue
"""
    )
    config = make_config(tmp_path, admins=[ADMIN])
    data = _data_dir(tmp_path, "members: []\n")
    paths = config.paths.model_copy(update={"data_dir": data})
    async with ChatHarness(config.model_copy(update={"paths": paths})) as bot:
        # Edited while the bot runs (with such a file it would not start: see check-config).
        (data / "members.yaml").write_text(bad, encoding="utf-8")
        body = await bot.ask("!members import", sender=ADMIN)
        assert body.startswith("members.yaml has problems; nothing was changed:")
        assert "members.yaml: entry 2: colour: unknown field" in body
        assert "members.yaml: entry 2: category: “sports” is not a member category" in body
        assert "members.yaml: entry 2: country:" in body
        assert "members.yaml: entry 2: website:" in body
        assert await _names(bot) == []


async def test_apply_alone_explains_and_unquoted_spaces_get_a_hint(bot: ChatHarness) -> None:
    explained = await bot.ask("!members apply")
    assert explained.startswith("Applying for your organisation to be listed")
    assert "category: civil-society, learning, or geographic" in explained
    hint = await bot.ask("!members apply name=Radio Libre category=learning")
    assert "“Libre” is not a field" in hint
    assert 'Values with spaces go in double quotes: name="Radio Libre".' in hint
    assert (await bot.app.members.pending()).total == 0
