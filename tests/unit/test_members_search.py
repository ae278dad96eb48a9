"""Countries and languages by code and name, and search text that is never query syntax."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from natm_bot.config.countries import country_code, country_name, is_language, language_name
from natm_bot.core.messages import EventId, Message, RoomId, UserId
from natm_bot.storage.members import fts_query
from natm_bot.testing.harness import ChatHarness
from tests.conftest import examples

_ids = itertools.count()


def test_countries_by_code_and_by_everyday_name() -> None:
    assert country_code("ke") == "KE" and country_code(" KE ") == "KE"
    assert country_code("Kenya") == "KE" and country_code("KENYA") == "KE"
    assert country_code("cote d’ivoire") == "CI" and country_code("Côte d'Ivoire") == "CI"
    assert country_code("Bolivia") == "BO" and country_code("Tanzania") == "TZ"
    assert country_code("south korea") == "KR" and country_code("Russia") == "RU"
    assert country_code("Korea") is None  # two countries: not guessed
    assert country_code("ZZ") is None and country_code("Atlantis") is None
    assert country_name("BO") == "Bolivia" and country_name("KE") == "Kenya"


def test_languages_are_two_letter_iso_639_1_codes() -> None:
    assert is_language("sw") and language_name("sw") == "Swahili"
    assert not is_language("swa") and not is_language("SW") and not is_language("xx")


def test_every_word_is_quoted_for_fts() -> None:
    assert fts_query(["radio", "bogotá"]) == '"radio"* AND "bogotá"*'
    assert fts_query(['"a" OR b*']) == '"a"* AND "OR"* AND "b"*'
    assert fts_query(["**", "-"]) is None
    assert fts_query(["lab"], names_only=True) == 'name : "lab"*'


@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(query=st.text(max_size=60))
async def test_no_search_text_breaks_the_search(bot: ChatHarness, query: str) -> None:
    await bot.reset()
    for command in ("members", "member"):
        message = Message(
            RoomId("!r:localhost"),
            UserId("@p:localhost"),
            f"!{command} {query}",
            EventId(f"$m{next(_ids)}"),
            bot.clock.now(),
        )
        replies = await bot.app.dispatcher.dispatch(message)
        assert replies and all("went wrong" not in r.markdown for r in replies), query
