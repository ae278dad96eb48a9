"""The message catalogues kept in step with the code.

Extraction takes the texts marked with `_`, `N_` and `ngettext`, and each command's docstring
(its help: the first line is the summary, the rest the details, split as the registry splits
them). `make catalogues` runs it through pybabel (see babel.cfg); `make test` runs `problems`,
which finds a text missing from a catalogue, an unused or obsolete one, a stale (fuzzy) one,
or a translation whose placeholders differ from the English, or that leaves the register
chosen for its language (see REGISTER).
"""

from __future__ import annotations

import ast
import io
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Final, TypeGuard

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir, extract_python
from babel.messages.pofile import read_po

from natm_bot.core.i18n import DOMAIN, LOCALE_DIR, catalogue_path

KEYWORDS: Final[dict[str, Any]] = {"_": None, "N_": None, "ngettext": (1, 2)}
SOURCE_FOLDERS: Final = ("natm_bot", "commands")
TEMPLATE: Final = LOCALE_DIR / f"{DOMAIN}.pot"
EXTRACTOR: Final = "natm_bot.core.catalogues:extract_with_help"

_PLACEHOLDER = re.compile(r"\{[^{}]*\}|%(?:\([^)]*\))?[sdif]")

# How each language addresses the reader, and the words of the other register that give a
# translation away (the README's "Languages and translations" says why): French says "tu"
# (never "vous", "votre", "vos" or a "-ez" imperative), Spanish "tú" (never "usted" or the
# "vosotros" forms), Portuguese "você" (never "tu", "teu", "tua", "vós").
REGISTER: Final[dict[str, re.Pattern[str]]] = {
    "fr": re.compile(r"\b(?:vous|votre|vos|vôtres?|(?!chez\b|assez\b)\w+ez)\b", re.IGNORECASE),
    "es": re.compile(r"\b(?:usted|ustedes|vosotr[oa]s|vuestr[oa]s?)\b", re.IGNORECASE),
    "pt": re.compile(r"\b(?:tu|teu|tua|teus|tuas|contigo|vós|vosso|vossa)\b", re.IGNORECASE),
}

Extracted = tuple[Any, ...]  # (line, function, message(s), comments[, context])


def extract_with_help(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[Extracted]:
    """Babel's Python extraction, plus the help texts in the commands' docstrings."""
    source = fileobj.read()
    yield from extract_python(io.BytesIO(source), keywords, comment_tags, options)
    yield from _command_docstrings(source)


def _command_docstrings(source: bytes) -> Iterator[Extracted]:
    """The help (summary and details) and the argument names of every function declared
    with `@command(...)`."""
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if not any(_is_command(d) for d in node.decorator_list):
            continue
        summary, _, details = (ast.get_docstring(node) or "").partition("\n")
        arguments = [a.arg.replace("_", "-") for a in node.args.args[1:]]
        for text in (summary.strip(), details.strip(), *arguments):
            if text:
                yield node.lineno, "_", text, []


def _is_command(decorator: ast.expr) -> bool:
    return isinstance(decorator, ast.Call) and getattr(decorator.func, "id", "") == "command"


def code_catalogue(root: Path) -> Catalog:
    """Every text the code under `root` marks for translation."""
    catalog = Catalog(domain=DOMAIN)
    for folder in SOURCE_FOLDERS:
        found = extract_from_dir(root / folder, [("**.py", EXTRACTOR)], KEYWORDS)
        for filename, lineno, message, _comments, context in found:
            catalog.add(message, None, [(f"{folder}/{filename}", lineno)], context=context)
    return catalog


def read_catalogue(path: Path, lang: str | None = None) -> Catalog:
    """A .po or .pot file."""
    with path.open("rb") as po:
        return read_po(po, locale=lang, domain=DOMAIN)


def placeholders(text: str) -> list[str]:
    """`{name}` and `%s` placeholders in a text, sorted."""
    return sorted(_PLACEHOLDER.findall(text))


def _ids(catalog: Catalog) -> set[Any]:
    return {message.id for message in catalog if message.id}


def _short(msgid: Any) -> str:
    text = msgid[0] if isinstance(msgid, tuple) else msgid
    return repr(text[:60])


def coverage(code: Catalog, catalog: Catalog, name: str) -> list[str]:
    """Texts of the code missing from a catalogue, and texts of it the code no longer has."""
    wanted, have = _ids(code), _ids(catalog)
    found = [f"{name}: missing {_short(m)}" for m in wanted - have]
    found += [f"{name}: unused {_short(m)}" for m in have - wanted]
    found += [f"{name}: obsolete {_short(m)}" for m in catalog.obsolete]
    return found


def translation_problems(catalog: Catalog, name: str) -> list[str]:
    """Stale or untranslated entries, and placeholders that differ from the English."""
    found: list[str] = []
    for message in catalog:
        if not message.id:
            continue
        if message.fuzzy:
            found.append(f"{name}: stale (fuzzy) {_short(message.id)}")
        found += [f"{name}: {p} {_short(message.id)}" for p in _form_problems(message)]
        found += [f"{name}: “{w}” {_short(message.id)}" for w in register_slips(message, name)]
    return found


def register_slips(message: Message, lang: str) -> list[str]:
    """Words of a translation that leave the register chosen for `lang` (REGISTER)."""
    pattern = REGISTER.get(lang)
    string = message.string
    forms = tuple(string) if isinstance(string, tuple | list) else (str(string or ""),)
    if pattern is None:
        return []
    return [word for form in forms for word in pattern.findall(_PLACEHOLDER.sub("", form))]


def _form_problems(message: Message) -> Iterator[str]:
    """What is wrong with the translated forms of one message."""
    ids = tuple(message.id) if isinstance(message.id, tuple | list) else (str(message.id),)
    string = message.string
    forms = tuple(string) if isinstance(string, tuple | list) else (str(string or ""),)
    if not all(forms):
        yield "not translated"
        return
    english = placeholders(ids[-1])
    for index, form in enumerate(forms):
        mine = placeholders(form)
        last = index == len(forms) - 1
        plural_ok = len(ids) > 1 and not last and set(mine) <= set(english)
        if mine != english and not plural_ok:
            yield f"placeholders {mine} instead of {english}"


def _marks(node: ast.AST) -> TypeGuard[ast.Call]:
    """Whether `node` is a call of `_`, `N_` or `ngettext`."""
    return isinstance(node, ast.Call) and getattr(node.func, "id", "") in KEYWORDS


def _hidden_in(source: bytes) -> Iterator[tuple[int, str]]:
    """Lines where a marked text cannot be extracted, and why."""
    for node in ast.walk(ast.parse(source)):
        if _marks(node) and node.args and isinstance(node.args[0], ast.JoinedStr):
            yield node.lineno, "f-string marked"
        if isinstance(node, ast.JoinedStr):
            for inner in ast.walk(node):
                if _marks(inner):
                    yield inner.lineno, "text marked in an f-string"


def hidden_texts(root: Path) -> list[str]:
    """Texts marked inside an f-string, or an f-string marked: extraction cannot see them."""
    return [
        f"{path.relative_to(root)}:{line}: {why}"
        for folder in SOURCE_FOLDERS
        for path in sorted((root / folder).rglob("*.py"))
        for line, why in _hidden_in(path.read_bytes())
    ]


def problems(
    root: Path,
    languages: Iterable[str],
    locale_dir: Path = LOCALE_DIR,
    code: Catalog | None = None,
) -> list[str]:
    """Everything out of step between the code under `root` and the catalogues (`code`:
    the texts of `code_catalogue(root)`, when the caller already has them)."""
    code = code if code is not None else code_catalogue(root)
    found = hidden_texts(root)
    found += coverage(code, read_catalogue(locale_dir / TEMPLATE.name), TEMPLATE.name)
    for lang in languages:
        path = locale_dir / catalogue_path(lang).relative_to(LOCALE_DIR)
        catalog = read_catalogue(path, lang)
        found += coverage(code, catalog, lang) + translation_problems(catalog, lang)
    return found
