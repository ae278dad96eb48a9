"""The movement's content commands, typed as a person would, over the real app."""

from __future__ import annotations

import re
from pathlib import Path

from natm_bot.engine.registry import Perm
from natm_bot.testing.harness import ChatHarness, make_config
from tests.conftest import ADMIN

SEED = Path(__file__).resolve().parents[2].parent / "shared" / "seeds"
PRINCIPLES = [
    "Data extraction is illegitimate. There is nothing normal about using data to control us "
    "or sell our lives back to us.",
    "Speed cannot circumvent ethics. Civil society —not governments or businesses— should be "
    "the first and last authority in deciding if a technology should exist.",
    'Saying "No" is a practical solution. A clean and quick break from extractive technologies '
    "is not possible, but a collective statement of refusal is an important first step.",
    "Other platforms are possible. Alternatives exist. We need to promote the use of "
    "non-extractive digital media platforms and support their implementation by our member "
    "communities.",
    "One voice, multiple solutions. While our communities might have different goals and "
    "agendas, we need to act as a global coalition to enforce the regulation, taxation and "
    "eventual elimination of extractive technologies.",
]


def test_expected_principles_match_the_wiki_when_it_is_at_hand() -> None:
    seeds = sorted(SEED.glob("*.txt")) if SEED.is_dir() else []
    if seeds:  # the wiki page sits beside the repository in the maintainers' checkout
        wiki = seeds[0].read_text(encoding="utf-8")
        for text in PRINCIPLES:
            assert text in wiki
    assert len(PRINCIPLES) == 5


async def test_principles_lists_all_five_verbatim_and_numbered(bot: ChatHarness) -> None:
    body = await bot.ask("!principles")
    for number, text in enumerate(PRINCIPLES, 1):
        assert f"\n{number}. {text}" in body
    html = (await bot.send("!principles"))[0].html
    assert "<ol>" in html and html.count("<li>") == 5


async def test_principles_n_gives_one(bot: ChatHarness) -> None:
    body = await bot.ask("!principles 3")
    assert PRINCIPLES[2] in body
    assert PRINCIPLES[1] not in body and PRINCIPLES[3] not in body


async def test_principles_out_of_range_or_not_a_number_names_the_range(bot: ChatHarness) -> None:
    for arg in ("9", "x", "0", "-1", "3.5"):
        body = await bot.ask(f"!principles {arg}")
        assert "from 1 to 5" in body, body
        assert "Usage: !principles [n]" in body
    assert PRINCIPLES[0] in await bot.ask("!principles")


async def test_readings_intro_gives_the_two_introductions(bot: ChatHarness) -> None:
    body = await bot.ask("!readings intro")
    assert "The case for a digital non-aligned movement" in body
    assert "To fight data colonialism, we need a Non-Aligned Tech Movement" in body
    assert len(re.findall(r"^\d+\. ", body, flags=re.M)) == 2


async def test_readings_lists_thirteen_introductions_first(bot: ChatHarness) -> None:
    body = await bot.ask("!readings")
    items = re.findall(r"^(\d+)\. (.*)$", body, flags=re.M)
    assert [int(n) for n, _ in items] == list(range(1, 14))
    assert "digital non-aligned movement" in items[0][1]
    assert "Data Grab" in items[-1][1]


async def test_readings_search_by_title_and_author(bot: ChatHarness) -> None:
    colonial = await bot.ask("!readings colonial")
    assert "Digital colonialism: US empire" in colonial
    assert "Speed cannot" not in colonial
    ricaurte = await bot.ask("!readings ricaurte")
    assert "Data Epistemologies" in ricaurte
    assert len(re.findall(r"^\d+\. ", ricaurte, flags=re.M)) == 1
    both = await bot.ask("!readings couldry grab")
    assert "Data Grab" in both and "Costs of Connection" not in both


async def test_readings_with_no_match_says_so_and_escapes_the_words(bot: ChatHarness) -> None:
    [reply] = await bot.send("!readings <b>zzz</b> @room")
    assert "No reading matches" in reply.body
    assert "<b>" not in reply.html and "&lt;b&gt;zzz&lt;/b&gt;" in reply.html


async def test_glossary_defines_a_term_and_lists_all(bot: ChatHarness) -> None:
    body = await bot.ask("!glossary fediverse")
    assert body.startswith("the Fediverse:")
    assert "servers" in body
    listing = await bot.ask("!glossary")
    assert "data colonialism" in listing and "the Fediverse" in listing
    missing = await bot.ask("!glossary blockchain")
    assert "not in the glossary" in missing


async def test_about_says_how_to_get_involved(bot: ChatHarness) -> None:
    body = await bot.ask("!about")
    assert "Non-Aligned Technologies Movement (NATM)" in body
    assert "https://nonalignedtech.net/community" in body
    assert "#ForNonAlignedTech" in body


async def test_groups_lists_the_four_working_groups(bot: ChatHarness) -> None:
    body = await bot.ask("!groups")
    for name in (
        "Non-Aligned Ed Tech",
        "Non-Aligned Alternative Platforms",
        "Technology Review Boards",
        "Algorithm Observatory",
    ):
        assert name in body


async def test_typo_gets_did_you_mean(bot: ChatHarness) -> None:
    assert await bot.ask("!pricniples") == "I don't know !pricniples. Did you mean !principles?"
    assert "!help" in await bot.ask("!xyzzy")


async def test_help_lists_every_command_from_the_registry(bot: ChatHarness) -> None:
    body = await bot.ask("!help", sender=ADMIN)
    for spec in bot.app.registry.commands:
        if spec.perm is Perm.DELEGATE:  # an admin speaks for no organisation by being one
            assert f"!{spec.name}" not in body
            continue
        assert f"!{spec.name}" in body
        assert spec.help_summary("!") in body
    everyone = await bot.ask("!help")
    assert "!principles" in everyone and "!group create" not in everyone
    usage = await bot.ask("!help principles")
    assert "Usage: !principles [n]" in usage
    assert "There is no command" in await bot.ask("!help nosuch")
    two_words = await bot.ask("!help group edit")
    assert (
        "Usage: !group edit <group> <name|description|room|capacity|members|aliases>" in two_words
    )


async def test_names_are_case_insensitive_and_quotes_normalised(bot: ChatHarness) -> None:
    assert PRINCIPLES[2] in await bot.ask("!PRINCIPLES 3")
    assert "Data Grab" in await bot.ask("!readings “data grab”")
    assert "To fight data colonialism" in await bot.ask("！readings intro")


async def test_plain_chat_and_bare_prefix_get_no_reply(bot: ChatHarness) -> None:
    for text in ("hello there", "!", "! principles", "!!", "what about !principles"):
        assert await bot.send(text) == []


async def test_reply_fallback_is_not_parsed_as_a_command(bot: ChatHarness) -> None:
    quoted = "> <@bob:localhost> !principles\n\nthanks, that helps"
    assert await bot.send(quoted) == []
    command = "> <@bob:localhost> look at this\n\n!principles 1"
    assert PRINCIPLES[0] in await bot.ask(command)


async def test_too_long_input_is_refused_politely(bot: ChatHarness) -> None:
    body = await bot.ask("!readings " + "x" * 5000)
    assert "too long" in body


async def test_replies_answer_the_command_in_its_room(bot: ChatHarness) -> None:
    [reply] = await bot.send("!about", room="!other:localhost", event_id="$e1")
    assert reply.room_id == "!other:localhost"
    assert reply.in_reply_to == "$e1"


async def test_readings_search_topics_and_notes_titles_first(bot: ChatHarness) -> None:
    colonial = _numbered(await bot.ask("!readings colonial"))
    assert any("The Costs of Connection" in line for line in colonial), colonial
    colonialism = _numbered(await bot.ask("!readings colonialism"))
    in_title = [
        n for n, line in enumerate(colonialism) if re.search(r"\bcolonialism\b", _title(line))
    ]
    costs = next(n for n, line in enumerate(colonialism) if "Costs of Connection" in line)
    assert in_title == list(range(len(in_title))) and len(in_title) == 6, colonialism
    assert costs >= len(in_title)
    # A topic by its name in any language, accents aside; and a word only the note holds.
    for typed in ("soberanía digital", "SOBERANIA digital", "souveraineté numérique"):
        found = _numbered(await bot.ask(f"!readings {typed}"))
        assert len(found) == 2, (typed, found)
        assert "digital non-aligned movement" in found[0] or "Digital Sovereignty" in found[0]
    big_tech = _numbered(await bot.ask("!readings big tech"))
    assert any("Digital colonialism: US empire" in line for line in big_tech), big_tech
    primer = _numbered(await bot.ask("!readings primer"))  # a word of its note only
    assert len(primer) == 1 and "A Brief Introduction to Decolonial Computing" in primer[0]


async def test_readings_topics_lists_them_with_counts_in_the_readers_language(
    tmp_path: Path,
) -> None:
    config = make_config(tmp_path, admins=[ADMIN], prefix="?")
    async with ChatHarness(config) as bot:
        topics = await bot.ask("?readings topics")
        assert "• data colonialism (7)" in topics, topics
        assert "• human rights (1)" in topics
        assert "(?readings data colonialism lists" in topics
        assert "!readings" not in topics
        missing = await bot.ask("?readings basket weaving")
        assert "(?readings topics)" in missing and "!readings" not in missing
        await bot.send("?lang es")
        temas = await bot.ask("?lecturas temas")
        assert "• colonialismo de datos (7)" in temas, temas
        assert "• derechos humanos (1)" in temas


def _numbered(body: str) -> list[str]:
    return re.findall(r"^\d+\. (.*)$", body, flags=re.M)


def _title(line: str) -> str:
    """The title of a listed reading, folded to lower case."""
    return line.split("”", 1)[0].split("_:", 1)[0].casefold()
