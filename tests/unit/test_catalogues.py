"""The message catalogues are in step with the code: nothing missing, unused or stale, and
every translation keeps the English text's placeholders."""

from __future__ import annotations

import shutil
from pathlib import Path

from natm_bot.core.catalogues import TEMPLATE, hidden_texts, problems, read_catalogue
from natm_bot.core.i18n import LANGUAGES, LOCALE_DIR, SOURCE_LANGUAGE, catalogue_path

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [lang for lang in LANGUAGES if lang != SOURCE_LANGUAGE]


def test_the_catalogues_match_the_code() -> None:
    assert problems(ROOT, TRANSLATED) == []


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
    found = problems(ROOT, TRANSLATED, copy)
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
    found = problems(ROOT, TRANSLATED, copy)
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
    assert problems(ROOT, TRANSLATED, copy) == ["pt: missing 'Coming? {rsvp}'"]


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
