"""The message catalogues are in step with the code: nothing missing, unused or stale, every
translation keeps the English text's placeholders and its language's register, and no text
people read writes `!` before a command (the prefix is a setting)."""

from __future__ import annotations

import functools
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from babel.messages.catalog import Catalog

from natm_bot.core.catalogues import (
    TEMPLATE,
    code_catalogue,
    hidden_texts,
    problems,
    read_catalogue,
)
from natm_bot.core.i18n import LANGUAGES, LOCALE_DIR, SOURCE_LANGUAGE, catalogue_path
from natm_bot.engine.registry import Registry
from tests.texts import strings_in

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [lang for lang in LANGUAGES if lang != SOURCE_LANGUAGE]


@functools.cache
def _code() -> Catalog:
    """The texts the code marks, extracted once for the whole module (the tests that break
    a copy of the catalogues compare it against the same code)."""
    return code_catalogue(ROOT)


def test_the_catalogues_match_the_code() -> None:
    assert problems(ROOT, TRANSLATED, code=_code()) == []


def test_every_language_has_a_catalogue_with_every_text() -> None:
    count = len([m for m in read_catalogue(TEMPLATE) if m.id])
    assert count > 150
    for lang in TRANSLATED:
        assert len([m for m in read_catalogue(catalogue_path(lang), lang) if m.id]) == count


def _broken_copy(tmp_path: Path, lang: str, old: str, new: str) -> Path:
    """The catalogues copied to `tmp_path`, with one line of `lang`'s changed."""
    copy = tmp_path / "locale"
    shutil.copytree(LOCALE_DIR, copy)
    po = copy / lang / "LC_MESSAGES" / "natm_bot.po"
    text = po.read_text(encoding="utf-8")
    assert old in text
    po.write_text(text.replace(old, new, 1), encoding="utf-8")
    return copy


def test_a_wrong_placeholder_fails_the_check(tmp_path: Path) -> None:
    copy = _broken_copy(
        tmp_path, "es", 'msgstr "Ya estás en {group}."', 'msgstr "Ya estás en {grupo}."'
    )
    found = problems(ROOT, TRANSLATED, copy, _code())
    assert found == [
        "es: placeholders ['{grupo}'] instead of ['{group}'] 'You are already in {group}.'"
    ]


def test_a_stale_an_unused_and_a_missing_text_fail_the_check(tmp_path: Path) -> None:
    fuzzy = '#, fuzzy\nmsgid "You have left {group}."'
    copy = _broken_copy(tmp_path, "fr", 'msgid "You have left {group}."', fuzzy)
    (copy / "pt" / "LC_MESSAGES" / "natm_bot.po").open("a", encoding="utf-8").write(
        '\nmsgid "A text the code no longer has"\nmsgstr "Um texto que o código já não tem"\n'
    )
    po = copy / "es" / "LC_MESSAGES" / "natm_bot.po"
    text = po.read_text(encoding="utf-8")
    po.write_text(text.replace('msgstr "Ya estás en {group}."', 'msgstr ""'), encoding="utf-8")
    found = problems(ROOT, TRANSLATED, copy, _code())
    assert "fr: stale (fuzzy) 'You have left {group}.'" in found
    assert "pt: unused 'A text the code no longer has'" in found
    assert "es: not translated 'You are already in {group}.'" in found
    assert len(found) == 3


def test_a_text_missing_from_a_catalogue_fails_the_check(tmp_path: Path) -> None:
    copy = tmp_path / "locale"
    shutil.copytree(LOCALE_DIR, copy)
    po = copy / "pt" / "LC_MESSAGES" / "natm_bot.po"
    text = po.read_text(encoding="utf-8")
    entry = 'msgid "Coming? {rsvp}"\nmsgstr "Você vem? {rsvp}"\n'
    assert entry in text
    po.write_text(text.replace(entry, ""), encoding="utf-8")
    assert problems(ROOT, TRANSLATED, copy, _code()) == ["pt: missing 'Coming? {rsvp}'"]


def test_a_text_marked_inside_an_f_string_fails_the_check(tmp_path: Path) -> None:
    (tmp_path / "natm_bot").mkdir()
    (tmp_path / "commands").mkdir()
    (tmp_path / "commands" / "hello.py").write_text(
        "from natm_bot.core.i18n import _\n\n"
        "def hello(name: str) -> str:\n"
        '    return f"{_(\'Hello\')}, {name}" + _(f"Bye {name}")\n',
        encoding="utf-8",
    )
    assert sorted(hidden_texts(tmp_path)) == [
        "commands/hello.py:4: f-string marked",
        "commands/hello.py:4: text marked in an f-string",
    ]


@pytest.mark.parametrize(
    ("lang", "old", "new", "slip"),
    [
        ("fr", "Ton fuseau horaire est {zone}.", "Votre fuseau horaire est {zone}.", "Votre"),
        ("fr", "Tape son nom complet", "Tapez son nom complet", "Tapez"),
        ("es", "Tu zona horaria es {zone}.", "Su zona horaria es {zone}, usted.", "usted"),
        ("pt", "Seu fuso horário é {zone}.", "Teu fuso horário é {zone}.", "Teu"),
    ],
)
def test_a_translation_in_the_other_register_fails_the_check(
    tmp_path: Path, lang: str, old: str, new: str, slip: str
) -> None:
    copy = _broken_copy(tmp_path, lang, old, new)
    found = problems(ROOT, TRANSLATED, copy, _code())
    assert len(found) == 1 and found[0].startswith(f"{lang}: “{slip}” "), found


def _command_names() -> set[str]:
    """Every command's name and alias (their first word), as a person types them."""
    registry = Registry()
    registry.load_folder(ROOT / "commands")
    return {name.split()[0] for spec in registry.commands for name in (spec.name, *spec.aliases)}


def written_prefixes(text: str, names: set[str]) -> list[str]:
    """Each `!` written before a command name in `text` (`!join`, not `!room:server`)."""
    alternatives = "|".join(sorted(map(re.escape, names), key=len, reverse=True))
    return re.findall(rf"!(?:{alternatives})(?![\w-])", text, flags=re.IGNORECASE)


def _texts_people_read() -> Iterator[tuple[str, str]]:
    """(where, text) for every catalogue entry, page template and data file text."""
    for path in (TEMPLATE, *(catalogue_path(lang) for lang in TRANSLATED)):
        for message in read_catalogue(path):
            for text in (*_forms(message.id), *_forms(message.string)):
                yield f"{path.parent.parent.name}: {_forms(message.id)[0][:50]!r}", text
    for template in sorted((ROOT / "natm_bot" / "web" / "templates").glob("*.html")):
        yield template.name, template.read_text(encoding="utf-8")
    for data in sorted((ROOT / "data").glob("*.yaml")):
        for text in strings_in(yaml.safe_load(data.read_text(encoding="utf-8"))):
            yield data.name, text


def _forms(value: object) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, tuple | list) else (str(value or ""),)


def test_no_text_people_read_writes_the_prefix_before_a_command() -> None:
    """The prefix is a setting: texts say `{prefix}join` (or take a `{command}` built from
    the prefix), so a bot whose prefix is `?` never tells anyone to type `!join`."""
    names = _command_names()
    assert {"join", "meeting", "unirse", "aide"} <= names
    written = [
        (where, found)
        for where, text in _texts_people_read()
        for found in written_prefixes(text, names)
    ]
    assert written == []


def test_the_prefix_check_finds_a_written_command() -> None:
    names = _command_names()
    assert written_prefixes("Type `!join algo`, or !AYUDA.", names) == ["!join", "!AYUDA"]
    assert written_prefixes("rooms=!room:server, {title} is starting now! Join us", names) == []
    assert written_prefixes("`{prefix}join algo`", names) == []
