"""Whatever people type as a command name, a time zone, an RSVP answer or a reading search,
the bot answers or refuses it plainly, never crashes; and case and accents never matter."""

from __future__ import annotations

import unicodedata
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from natm_bot.calendar.timeutil import zone
from natm_bot.calendar.zones import city_names, iana_names, lookup
from natm_bot.config.paths import bundled
from natm_bot.core.errors import UsageError
from natm_bot.core.messages import Reply
from natm_bot.core.text import fold, name_key, search_words, word_match
from natm_bot.engine.registry import Registry, command, spec_of
from natm_bot.features.meetings.service import ANSWERS, REMIND, parse_answer
from tests.conftest import examples

ACCENTS = "\u0301\u0300\u0302\u0303\u0308\u0327"  # combining acute, grave, circumflex, …
TYPED = st.one_of(
    st.text(max_size=60),
    st.text(alphabet="aeiouáéíóúãçñ -_/'’ ABCXYZ", max_size=30),
)


@cache
def registry() -> Registry:
    commands = Registry()
    commands.load_folder(bundled("commands"))
    return commands


def _retyped(text: str, data: st.DataObject) -> str:
    """`text` as a person might type it: each letter in either case, some with accents."""
    out = []
    for char in text:
        char = char.upper() if data.draw(st.booleans()) else char.lower()
        if char.isalpha() and data.draw(st.integers(0, 3)) == 0:
            char += data.draw(st.sampled_from(ACCENTS))
        out.append(char)
    return unicodedata.normalize(data.draw(st.sampled_from(["NFC", "NFD"])), "".join(out))


# --- command names ---------------------------------------------------------------------------


@given(text=TYPED)
def test_any_command_name_is_found_or_not_without_crashing(text: str) -> None:
    spec = registry().get(text)
    assert spec is None or fold(text) in {fold(n) for n in (spec.name, *spec.aliases)}
    suggestion = registry().suggest(text)
    assert suggestion is None or registry().get(suggestion) is not None


@settings(max_examples=examples(300))
@given(data=st.data())
def test_every_command_name_is_found_in_any_case_with_or_without_accents(
    data: st.DataObject,
) -> None:
    spec = data.draw(st.sampled_from(registry().commands))
    name = data.draw(st.sampled_from((spec.name, *spec.aliases)))
    assert registry().get(_retyped(name, data)) is spec


async def _answer(ctx: object) -> Reply:
    return Reply("")


def test_a_name_folded_like_another_commands_is_refused_but_one_command_may_repeat_it() -> None:
    commands = Registry()
    commands.add(spec_of(command("reunión", aliases=("reunion", "RÉUNION"))(_answer)))
    with pytest.raises(ValueError, match="declared twice"):
        commands.add(spec_of(command("Reunion")(_answer)))
    assert commands.get("REUNIÓN") is commands.commands[0]


# --- time zones ------------------------------------------------------------------------------


@given(text=TYPED)
def test_any_text_is_a_zone_or_a_plain_refusal(text: str) -> None:
    try:
        found = zone(text)
    except UsageError as exc:
        message = str(exc)
        assert "is not a time zone I know" in message or "which one?" in message
    else:
        assert found.key in lookup(text)


@settings(max_examples=examples(300))
@given(data=st.data())
def test_every_iana_name_in_any_case(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(iana_names().values())))
    typed = "".join(c.upper() if data.draw(st.booleans()) else c.lower() for c in name)
    # An old one-word alias that is also a place (`Singapore`) gives that place's zone today.
    assert zone(typed).key in (name, *city_names().get(name_key(name), ()))


@settings(max_examples=examples(300))
@given(data=st.data())
def test_every_city_in_any_case_with_or_without_accents(data: st.DataObject) -> None:
    city, zones = data.draw(st.sampled_from(sorted(city_names().items())))
    assert zone(_retyped(city, data)).key in zones


@pytest.mark.parametrize(
    ("typed", "key"),
    [("Berlín", "Europe/Berlin"), ("Cidade do México", "America/Mexico_City"), ("Kiev", None)],
)
def test_city_names_from_babel_and_older_zone_names(typed: str, key: str | None) -> None:
    assert zone(typed).key == (key or "Europe/Kyiv")


# --- RSVP answers ----------------------------------------------------------------------------


@given(text=TYPED)
def test_any_answer_is_understood_or_refused_plainly(text: str) -> None:
    try:
        answer, _ = parse_answer(text)
    except UsageError as exc:
        assert str(exc).startswith("Answer `yes`, `no` or `maybe`")
    else:
        assert answer in ("yes", "no", "maybe")


@settings(max_examples=examples(300))
@given(data=st.data())
def test_every_answer_in_any_case_with_accents_and_remind(data: st.DataObject) -> None:
    word, meant = data.draw(st.sampled_from(sorted(ANSWERS.items())))
    remind = data.draw(st.one_of(st.none(), st.sampled_from(sorted(REMIND))))
    typed = _retyped(word if remind is None else f"{word} {remind}", data)
    assert parse_answer(typed) == (meant, remind is not None)


# --- reading searches ------------------------------------------------------------------------

LETTERS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)


@given(query=TYPED, text=TYPED)
def test_any_search_scores_without_crashing(query: str, text: str) -> None:
    score = word_match(search_words(query), search_words(text))
    assert score in (0, 1, 2)
    assert score == 0 or search_words(query)


@given(before=LETTERS, inside=LETTERS)
def test_a_search_never_matches_inside_a_word(before: str, inside: str) -> None:
    word = before + inside
    expected = 1 if word.startswith(inside) else 0
    assert word_match([inside], [word]) == (2 if word == inside else expected)


@given(words=st.lists(LETTERS, min_size=1, max_size=5), data=st.data())
def test_a_texts_own_words_match_whole_in_any_case_and_accents(
    words: list[str], data: st.DataObject
) -> None:
    text = " ".join(words)
    query = data.draw(st.lists(st.sampled_from(words), min_size=1, max_size=3))
    assert word_match(search_words(_retyped(" ".join(query), data)), search_words(text)) == 2
    starts = [w[: data.draw(st.integers(1, len(w)))] for w in query]
    assert word_match(search_words(" ".join(starts)), search_words(text)) >= 1
