"""Lines of the minutes as people type them, in the four languages: whatever a message holds,
it is recorded, ignored or refused with a reason, never an error; owners and due dates are read
in each language's forms, or refused plainly."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

import pytest
from babel.dates import get_month_names
from hypothesis import given
from hypothesis import strategies as st

from natm_bot.core.i18n import LANGUAGES, speaking
from natm_bot.core.markdown import md_escape
from natm_bot.core.messages import UserId
from natm_bot.core.text import fold
from natm_bot.features.meetings.minutes_lines import (
    MAX_TEXT,
    Line,
    Refused,
    read_line,
    refusal_text,
)

TODAY = date(2027, 1, 10)
ANA = UserId("@ana:example.org")
BOB = UserId("@bob:example.org")
KEYWORDS = {
    "#topic": "topic", "#info": "info", "#agreed": "agreed", "#action": "action",
    "#undo": "undo", "#agree": "agreed", "#idea": "info", "#link": "info",
    "#tema": "topic", "#acuerdo": "agreed", "#acción": "action", "#accion": "action",
    "#deshacer": "undo", "#sujet": "topic", "#accord": "agreed", "#décision": "agreed",
    "#annuler": "undo", "#tópico": "topic", "#topico": "topic", "#acordo": "agreed",
    "#ação": "action", "#acao": "action", "#desfazer": "undo",
}  # fmt: skip
INTRODUCERS = ["due", "plazo", "para el", "échéance", "pour le", "prazo", "até"]
REASONS = ["empty", "too_long", "bad_date", "ambiguous_date", "past_date", "far_date",
           "bad_owner"]  # fmt: skip


def _unsafe(char: str) -> bool:
    return (
        unicodedata.category(char) == "Cc"
        or "\u202a" <= char <= "\u202e"
        or ("\u2066" <= char <= "\u2069")
    )


# --- keywords and text -------------------------------------------------------------------------


@pytest.mark.parametrize(("keyword", "kind"), sorted(KEYWORDS.items()))
def test_every_keyword_in_every_language_is_a_minutes_line(keyword: str, kind: str) -> None:
    line = read_line(f"  {keyword.upper()} The venue is booked", "en", TODAY)
    assert line == Line(kind, "" if kind == "undo" else "The venue is booked")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "body",
    ["#general news", "#", "# topic x", "##topic x", "#topics x", "#topic: x", "topic #topic",
     "hello", "", "   ", "!minutes 3", "#infox", "\u202e#topic x", "x\n#topic y"],
)  # fmt: skip
def test_other_messages_are_not_minutes_lines(body: str) -> None:
    assert read_line(body, "en", TODAY) is None


def test_the_text_is_cleaned_and_kept_whole_across_lines() -> None:
    body = "#info  first\tline\n\nsecond \x00line\x1b[31m \u202ehidden\u200f done  "
    assert read_line(body, "fr", TODAY) == Line(
        "info", "first line second line[31m hidden\u200f done"
    )
    assert read_line("\u200f#topic Presupuesto", "es", TODAY) == Line("topic", "Presupuesto")
    assert read_line("#info **bold** @room [a](b)", "en", TODAY) == Line(
        "info", "**bold** @room [a](b)"
    )


def test_empty_and_too_long_lines_are_refused_and_undo_ignores_its_text() -> None:
    assert read_line("#topic", "en", TODAY) == Refused("empty", "#topic")
    assert read_line("#acuerdo \x00 \t", "es", TODAY) == Refused("empty", "#acuerdo")
    assert read_line(f"#action {ANA}", "en", TODAY) == Refused("empty", "#action")
    assert read_line("#ação prazo 2027-02-01", "pt", TODAY) == Refused("empty", "#ação")
    assert read_line("#undo", "en", TODAY) == Line("undo", "")
    assert read_line("#annuler tout ça", "fr", TODAY) == Line("undo", "")
    assert read_line("#info " + "x" * MAX_TEXT, "en", TODAY) == Line("info", "x" * MAX_TEXT)
    assert read_line("#info " + "x" * (MAX_TEXT + 1), "en", TODAY) == Refused("too_long", "501")
    assert read_line("#info " + "x " * 100_000, "en", TODAY) == Refused("too_long", "199999")


# --- owners ------------------------------------------------------------------------------------


def test_an_owner_is_a_user_id_first_or_the_one_person_mentioned() -> None:
    assert read_line(f"#action {ANA} book the room", "en", TODAY) == Line(
        "action", "book the room", ANA
    )
    assert read_line(f"#acción {ANA}, reservar la sala", "es", TODAY) == Line(
        "action", "reservar la sala", ANA
    )
    assert read_line("#action @x:[::1]:8448 y", "en", TODAY) == Line(
        "action", "y", UserId("@x:[::1]:8448")
    )
    pill = read_line("#ação Ana: reservar a sala", "pt", TODAY, mentions=[ANA])
    assert pill == Line("action", "Ana: reservar a sala", ANA)
    assert read_line("#action Ana and Bob: book", "en", TODAY, [ANA, BOB]) == Line(
        "action", "Ana and Bob: book"
    )
    assert read_line("#action book the room", "en", TODAY) == Line("action", "book the room")
    assert read_line(f"#topic {ANA} speaks", "en", TODAY, [ANA]) == Line("topic", f"{ANA} speaks")
    assert read_line("#action bad", "en", TODAY, [UserId("not an id")]) == Line("action", "bad")


@pytest.mark.parametrize(
    "owner",
    ["@", "@room", "@Ana:example.org", "@ana", "@ana:", "@ana:example.org:99999",
     "@ana:-example.org", "@:example.org", "@ana:example.org/x", "@ana:ex_ample.org",
     "@ana:example.org:"  + "1" * 9],
)  # fmt: skip
def test_a_token_that_is_no_user_id_is_refused_as_owner(owner: str) -> None:
    assert read_line(f"#action {owner} do it", "en", TODAY) == Refused("bad_owner", owner)


def test_an_owner_too_long_for_a_user_id_is_refused_and_named_briefly() -> None:
    owner = "@" + "a" * 250 + ":example.org"
    refused = read_line(f"#action {owner} do it", "en", TODAY)
    assert refused == Refused("bad_owner", owner[:59] + "…")


# --- due dates ---------------------------------------------------------------------------------

DUE_20_JAN = [
    ("en", "due 2027-01-20"), ("es", "plazo 2027-01-20"), ("fr", "échéance 2027-01-20"),
    ("pt", "prazo 2027-01-20"), ("es", "para el 20/01/2027"), ("fr", "pour le 20.01.2027"),
    ("pt", "até 20-01-2027"), ("en", "due 20/01/2027"), ("en", "due 1/20/2027"),
    ("en", "due 20 January 2027"), ("en", "due January 20, 2027"), ("en", "due Jan 20th"),
    ("es", "para el 20 de enero de 2027"), ("es", "plazo 20 ene"),
    ("fr", "pour le 20 janvier 2027"), ("fr", "échéance 20 janv. 2027"),
    ("pt", "até 20 de janeiro de 2027"), ("pt", "prazo 20 jan."),
    ("fr", "due: 20/01"), ("en", "DUE 20 JANUARY"), ("fr", "echeance 20 janvier"),
    ("pt", "ate 20 de janeiro"), ("es", "due 20/01/27"),
]  # fmt: skip


@pytest.mark.parametrize(("language", "phrase"), DUE_20_JAN)
def test_due_dates_in_each_form_and_language(language: str, phrase: str) -> None:
    for body in (f"#action {ANA} {phrase} send the notes", f"#action send the notes {phrase}"):
        line = read_line(body, language, TODAY)
        owner = ANA if ANA in body else None
        assert line == Line("action", "send the notes", owner, date(2027, 1, 20))


def test_month_names_with_and_without_accents() -> None:
    assert read_line("#action x due 1er mars 2027", "fr", TODAY) == Line(
        "action", "x", None, date(2027, 3, 1)
    )
    assert read_line("#action x due 3 fevrier", "fr", TODAY) == Line(
        "action", "x", None, date(2027, 2, 3)
    )
    assert read_line("#action x até 5 de marco", "pt", TODAY) == Line(
        "action", "x", None, date(2027, 3, 5)
    )
    assert read_line("#action x até 5 de março", "pt", TODAY) == Line(
        "action", "x", None, date(2027, 3, 5)
    )
    assert read_line("#action x due 5 août", "fr", TODAY) == Line(
        "action", "x", None, date(2027, 8, 5)
    )


def test_a_date_without_a_year_is_the_next_one_from_today() -> None:
    assert read_line("#action x due 10/01", "fr", TODAY) == Line("action", "x", None, TODAY)
    assert read_line("#action x due 9 January", "en", TODAY) == Line(
        "action", "x", None, date(2028, 1, 9)
    )
    assert read_line("#action x due 29 feb", "en", TODAY) == Line(
        "action", "x", None, date(2028, 2, 29)
    )


@pytest.mark.parametrize(
    ("language", "body", "reason", "detail"),
    [("en", "#action x due 3/4/2027", "ambiguous_date", "3/4/2027"),
     ("en", "#action x due 03-04", "ambiguous_date", "03-04"),
     ("fr", "#action x due 31/02/2027", "bad_date", "31/02/2027"),
     ("es", "#acción x para el 31 de abril", "bad_date", "31 de abril"),
     ("en", "#action x due 2027-13-01", "bad_date", "2027-13-01"),
     ("en", "#action x due 0/5/2027", "bad_date", "0/5/2027"),
     ("en", "#action x due 13/13/2027", "bad_date", "13/13/2027"),
     ("en", "#action x due 99999999999-01-01", "bad_date", "99999999999-01-01"),
     ("pt", "#ação x até 20/01/20277", "bad_date", "20/01/20277"),
     ("en", "#action x due 2026-12-31", "past_date", "2026-12-31"),
     ("fr", "#action x pour le 9 janvier 2027", "past_date", "9 janvier 2027"),
     ("es", "#acción x plazo 11/01/2032", "far_date", "11/01/2032"),
     ("pt", "#ação x prazo 2040-01-01", "far_date", "2040-01-01")],
)  # fmt: skip
def test_dates_that_cannot_be_kept_are_refused(
    language: str, body: str, reason: str, detail: str
) -> None:
    assert read_line(body, language, TODAY) == Refused(reason, detail)  # type: ignore[arg-type]


def test_words_that_only_look_like_a_date_phrase_stay_text() -> None:
    for body, language in [
        ("#action due", "en"), ("#action check the overdue 2027-01-20 bill", "en"),
        ("#action due to rain, move it", "en"), ("#acción para el lunes", "es"),
        ("#ação ir até a praça", "pt"), ("#action due 20 people", "en"),
        ("#info due 2027-01-20", "en"),
    ]:  # fmt: skip
        line = read_line(body, language, TODAY)
        assert isinstance(line, Line) and line.due is None and line.text == body.split(" ", 1)[1]


def test_a_date_in_english_is_read_when_only_one_way_fits() -> None:
    assert read_line("#action x due 13/4/2027", "en", TODAY) == Line(
        "action", "x", None, date(2027, 4, 13)
    )
    assert read_line("#action x due 4/13/2027", "en", TODAY) == Line(
        "action", "x", None, date(2027, 4, 13)
    )
    assert read_line("#action x due 5/5/2027", "en", TODAY) == Line(
        "action", "x", None, date(2027, 5, 5)
    )
    assert read_line("#action x due 3/4/2027", "fr", TODAY) == Line(
        "action", "x", None, date(2027, 4, 3)
    )


# --- properties --------------------------------------------------------------------------------

TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=80)
HOSTILE = TEXT | st.sampled_from(
    ["due 99999999999-01-01", "@", "due", "@room", "\u200f\u202e", "**x** _y_ `z`", "due 0/0/0",
     "due 29 feb 2100", "para el", "até 31 de dezembro de 9999", "\x00\x1b\x7f\x85\u2028",
     "due 1" + "0" * 5000 + "-01-01", "@a:b:99999999999999999999", "due 12/12/12"]
)  # fmt: skip
ANY_KEYWORD = st.sampled_from([*KEYWORDS, "#", "##topic", "#topics", "", "text"])


@given(
    keyword=ANY_KEYWORD,
    pieces=st.lists(HOSTILE, max_size=5),
    language=st.sampled_from([*LANGUAGES, "xx"]),
    today=st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
    mentions=st.lists(st.sampled_from([ANA, BOB, UserId("@room"), UserId("")]), max_size=3),
)
def test_any_line_is_recorded_ignored_or_refused_never_an_error(
    keyword: str, pieces: list[str], language: str, today: date, mentions: list[UserId]
) -> None:
    line = read_line(" ".join([keyword, *pieces]), language, today, mentions)
    assert line is None or isinstance(line, Line | Refused)
    if isinstance(line, Line):
        assert not any(_unsafe(char) for char in line.text)
        assert len(line.text) <= MAX_TEXT and line.text == " ".join(line.text.split())
        assert (line.kind == "undo") == (line.text == "")
        assert line.kind == "action" or (line.owner is None and line.due is None)
        assert line.due is None or 0 <= (line.due - today).days <= 5 * 366
    if isinstance(line, Refused):
        assert len(line.detail) <= 60 and not any(_unsafe(char) for char in line.detail)


@given(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=80),
    st.text(alphabet=st.characters(categories=("L", "N")), min_size=1, max_size=12),
)
def test_a_body_not_starting_with_a_keyword_is_ignored(body: str, word: str) -> None:
    if (
        body.lstrip().lstrip("\u200b\u200c\u200d\u200e\u200f\u061c\u2060\ufeff").lstrip()[:1]
        != "#"
    ):
        assert read_line(body, "en", TODAY) is None
    if fold(word) not in {fold(keyword[1:]) for keyword in KEYWORDS}:
        assert read_line(f"#{word} {body}", "es", TODAY) is None


@given(st.sampled_from(sorted(KEYWORDS)), st.text(alphabet="abcxyz0123456789_#-", min_size=1))
def test_a_keyword_run_into_more_characters_is_ignored(keyword: str, tail: str) -> None:
    assert read_line(f"{keyword}{tail} text", "en", TODAY) is None


def _written(day: date, language: str) -> list[str]:
    """A date in every form a person of `language` may type it."""
    forms = [day.isoformat()]
    if language != "en":
        forms += [f"{day.day:02}{sep}{day.month:02}{sep}{day.year}" for sep in "/.-"]
        forms.append(f"{day.day}/{day.month}/{day.year}")
    elif day.day > 12:
        forms += [f"{day.day}/{day.month}/{day.year}", f"{day.month}/{day.day}/{day.year}"]
    for lang in LANGUAGES:
        for width in ("wide", "abbreviated"):
            name = str(get_month_names(width, "format", lang)[day.month])
            forms += [
                f"{day.day} {name} {day.year}",
                f"{day.day} de {name} de {day.year}",
                f"{day.day} {fold(name)} {day.year}",
                f"{name} {day.day}, {day.year}",
            ]
    return forms


@given(
    today=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    ahead=st.integers(min_value=0, max_value=5 * 365),
    language=st.sampled_from(LANGUAGES),
    introducer=st.sampled_from(INTRODUCERS),
)
def test_any_date_written_in_any_form_reads_back(
    today: date, ahead: int, language: str, introducer: str
) -> None:
    due = today + timedelta(days=ahead)
    for form in _written(due, language):
        line = read_line(f"#action {ANA} {introducer} {form} send it", language, today)
        assert line == Line("action", "send it", ANA, due), form


@given(
    today=st.dates() | st.sampled_from([date.min, date.max, date(2028, 2, 29)]),
    shift=st.integers(min_value=-3, max_value=3),
    years=st.integers(min_value=-1, max_value=6),
    language=st.sampled_from(LANGUAGES),
)
def test_dates_near_today_and_the_ends_of_the_calendar_never_fail(
    today: date, shift: int, years: int, language: str
) -> None:
    try:
        due = today + timedelta(days=shift + 365 * years)
    except OverflowError:
        due = today
    for form in [due.isoformat(), f"{due.day}/{due.month}", f"{due.day} de {due:%B}"]:
        line = read_line(f"#action x due {form}", language, today)
        if isinstance(line, Line) and line.due is not None:
            assert today <= line.due
            assert (line.due - today).days <= 5 * 366
        else:
            assert isinstance(line, Refused | Line), form


def test_the_last_day_of_the_calendar_is_a_due_date_like_any_other() -> None:
    last = date.max
    assert read_line("#action x due 9999-12-31", "en", last) == Line("action", "x", None, last)
    assert read_line("#action x due 31/12", "fr", last) == Line("action", "x", None, last)
    assert read_line("#action x due 1/1", "fr", last) == Refused("bad_date", "1/1")
    leap = date(2028, 2, 29)
    assert read_line("#action x due 2033-02-28", "en", leap) == Line(
        "action", "x", None, date(2033, 2, 28)
    )
    assert read_line("#action x due 2033-03-01", "en", leap) == Refused("far_date", "2033-03-01")


@given(
    reason=st.sampled_from(REASONS),
    detail=st.text(max_size=60) | st.sampled_from(["3/4/2027", "03-04", "12.11.2030", "#topic"]),
)
def test_every_refusal_reads_in_every_language(reason: str, detail: str) -> None:
    english = refusal_text(Refused(reason, detail))  # type: ignore[arg-type]
    assert english.startswith("Sorry, ")
    for language in LANGUAGES:
        with speaking(language):
            text = refusal_text(Refused(reason, detail))  # type: ignore[arg-type]
        assert text.strip() and not re.search(r"\{\w*\}", text.replace(md_escape(detail), ""))
        assert (text == english) == (language == "en")


def test_a_refusal_names_what_was_typed_and_a_form_that_works() -> None:
    ambiguous = refusal_text(Refused("ambiguous_date", "3/4/2027"))
    assert ambiguous == (
        "Sorry, the date “3/4/2027” can be read two ways: write it as 2027-04-03 or 2027-03-04 "
        "(year-month-day)."
    )
    with speaking("fr"):
        bad = refusal_text(Refused("bad_date", "31/02/2027"))
    assert bad.startswith("Désolé, je n’ai pas pu lire la date « 31/02/2027 »")
    assert "2027-01-20" in bad
    with speaking("es"):
        owner = refusal_text(Refused("bad_owner", "@room"))
    assert "“@room”" in owner and "@nombre:servidor" in owner
    assert "\\*\\*x\\*\\*" in refusal_text(Refused("empty", "**x**"))
