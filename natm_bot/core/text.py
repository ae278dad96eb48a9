"""One rule for text that people type or files hold, before the bot stores or repeats it.

Control characters (NUL, the C0 and C1 sets, DEL) and the bidi embeddings, overrides and
isolates are refused wherever text is stored: they are invisible, and can make a group named
"RTL ⟨U+202E⟩gnp.exe" read as "RTL exe.png" or turn a terminal's colours when an export is
printed. Text is refused rather than silently changed, so what is stored is exactly what the
person typed, and the message says which character to remove. Tabs and line breaks are
whitespace: each field folds them (one-line fields) or keeps line breaks (multi-line ones).
The left-to-right and right-to-left marks (U+200E, U+200F, U+061C) are allowed in text, where
people writing Arabic or Hebrew need them and they cannot reverse letters; web addresses
refuse them with every other invisible character.

Whatever the bot repeats or writes out goes through `neutralise` (older databases may hold
such text), and CSV cells through `csv_cell`, so no spreadsheet runs them as formulas."""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TextIO
from urllib.parse import urlsplit

from natm_bot.core.errors import UsageError
from natm_bot.core.i18n import N_, _

_BIDI = {
    "\u202a": N_("left-to-right embedding"),
    "\u202b": N_("right-to-left embedding"),
    "\u202c": N_("pop directional formatting"),
    "\u202d": N_("left-to-right override"),
    "\u202e": N_("right-to-left override"),
    "\u2066": N_("left-to-right isolate"),
    "\u2067": N_("right-to-left isolate"),
    "\u2068": N_("first strong isolate"),
    "\u2069": N_("pop directional isolate"),
}
_UNSAFE_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
REPLACEMENT = "\ufffd"


class UnsafeText(UsageError, ValueError):
    """Text holding a character that must not be stored; the message names it. A UsageError
    for chat, a ValueError for the checks of fields and files."""


def find_unsafe(text: str) -> tuple[int, str] | None:
    """Where the first control or bidi-override character of `text` is, and what it is in
    words; None when there is none."""
    match = _UNSAFE_RE.search(text)
    if match is None:
        return None
    char = match.group()
    code = f"U+{ord(char):04X}"
    if char in _BIDI:
        what = _("an invisible {kind} ({code}), which can make text look other than it is")
        what = what.format(kind=_(_BIDI[char]), code=code)
    else:
        what = _("a control character ({code}), which cannot be shown").format(code=code)
    return match.start(), what


def checked(text: str, what: str = "") -> str:
    """`text` unchanged, or UnsafeText naming `what` and the character to remove."""
    found = find_unsafe(text)
    if found is not None:
        if what:
            text = _("{what} contains {character}; please remove it.")
        else:
            text = _("contains {character}; please remove it.")
        raise UnsafeText(text.format(what=what, character=found[1]))
    return text


def one_line(text: str, what: str = "") -> str:
    """Checked text on one line: tabs and line breaks become single spaces."""
    return " ".join(checked(text, what).split())


def multi_line(text: str, what: str = "") -> str:
    """Checked text that may span lines: every kind of line break becomes `\\n`."""
    return "\n".join(line.rstrip() for line in checked(text, what).splitlines()).strip()


def neutralise(text: str) -> str:
    """`text` with each control or bidi-override character shown as U+FFFD, for output."""
    return _UNSAFE_RE.sub(REPLACEMENT, text)


# --- web addresses ---------------------------------------------------------------------------

# RFC 3986 characters, less "[" and "]" (IPv6 hosts only, and Markdown's link brackets);
# letters of other scripts are allowed too (internationalised addresses).


# A Matrix user id (@name:server) or room id (!opaque:server) inside free text.
MATRIX_ID = re.compile(r"[@!][^\s:@!]+:[A-Za-z0-9.\-]+(?::[0-9]+)?")


def without_matrix_ids(text: str) -> str:
    """Free text with every Matrix user or room id reduced to its name, for public pages."""
    return MATRIX_ID.sub(lambda found: found.group(0)[1:].split(":", 1)[0], text)


def fold(text: str) -> str:
    """How the bot compares what people type: lower case, no accents, straight apostrophes,
    single spaces (`Educación` and `educacion`, `Côte d’Ivoire` and `cote d'ivoire`)."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def name_key(text: str) -> str:
    """A name as it is looked up (groups, terms, categories): folded, hyphens and
    underscores read as spaces (`ed-tech`, `Ed Tech`, `ED_TECH`)."""
    return fold(text.replace("-", " ").replace("_", " "))


_WORD_RE = re.compile(r"\w+")


def search_words(text: str) -> list[str]:
    """The folded words of a text, for searching (`Non-Aligned Tech` → non, aligned, tech)."""
    return _WORD_RE.findall(fold(text))


def word_match(wanted: Sequence[str], words: Sequence[str]) -> int:
    """How well the searched words fit a text's words: 2 when each is a whole word of it,
    1 when each at least starts one (`colon` starts `colonialism`), 0 when one fits no word.
    Never inside a word: `ali` fits `Ali` and `aligned`, not `colonialism`."""
    if not wanted:
        return 0
    whole = set(words)
    if all(word in whole for word in wanted):
        return 2
    if all(any(other.startswith(word) for other in words) for word in wanted):
        return 1
    return 0


_URL_ASCII = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#@!$&'()*+,;=%"
)
_LABEL_RE = re.compile(r"^(?!-)[\w-]{1,63}(?<!-)$")
_IPV4_RE = re.compile(
    r"^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$"
)


def _url_char(char: str) -> bool:
    return char in _URL_ASCII or (ord(char) > 127 and char.isprintable() and not char.isspace())


def _shown(char: str) -> str:
    if char.isspace():
        return _("a space or line break")
    if not char.isprintable():
        return _("an invisible character ({code})").format(code=f"U+{ord(char):04X}")
    return f"“{char}”"


def _real_host(host: str) -> bool:
    labels = host.split(".")
    if labels[-1].isdecimal():  # no top-level domain is a number: an IPv4 address, then
        return bool(_IPV4_RE.match(host))
    return (
        len(host) <= 253
        and len(labels) >= 2
        and all(_LABEL_RE.match(label) and "_" not in label for label in labels)
    )


def plain_url(text: str, *, max_length: int = 500) -> str:
    """One plain http(s) web address, or ValueError saying what is wrong with it."""
    url = text.strip()
    if not url.lower().startswith(("http://", "https://")):
        raise ValueError(_("it must start with https:// or http://"))
    bad = next((char for char in url if not _url_char(char)), None)
    if bad is not None:
        raise ValueError(
            _("{character} cannot be part of a web address").format(character=_shown(bad))
        )
    if len(url) > max_length:
        raise ValueError(_("it is longer than {count} characters").format(count=max_length))
    try:
        parts = urlsplit(url)
    except ValueError:  # a host that NFKC-normalises into "/", "?", "#" or "@"
        raise ValueError(_("its host name is not valid")) from None
    if "@" in parts.netloc:  # https://official.example.org@evil.example/ goes to evil.example
        raise ValueError(_("a name and “@” before the host hide where it really goes"))
    try:
        parts.port  # noqa: B018 (reading it checks it)
    except ValueError:
        raise ValueError(_("its port is not a number from 0 to 65535")) from None
    if not _real_host(parts.hostname or ""):
        raise ValueError(_("it needs a real host name, like meet.example.org"))
    return url


# --- CSV -------------------------------------------------------------------------------------

# A spreadsheet runs a cell starting with one of these as a formula (tab and line breaks are
# skipped before it looks; the full-width forms are read as their ASCII twins by some).
_FORMULA_START = frozenset("=+-@\t\r\n＝＋－＠")


def _runs_as_formula(cell: str) -> bool:
    # Cells made of quotes and then a formula start are quoted once more, so that reading a
    # cell back (csv_value) can take the quote off again without guessing.
    return cell.lstrip("'")[:1] in _FORMULA_START


def csv_cell(value: object) -> str:
    """A value as a CSV cell no spreadsheet runs: neutralised, and quoted with a leading `'`
    when it would start a formula (the OWASP rule). Line breaks inside become `\n`: the csv
    module quotes a cell for those, not for a lone CR."""
    text = "" if value is None else neutralise(str(value))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "'" + text if _runs_as_formula(text) else text


def csv_value(cell: str) -> str:
    """What a cell written by `csv_cell` held: its protecting quote taken off again."""
    return cell[1:] if cell.startswith("'") and _runs_as_formula(cell[1:]) else cell


def write_csv(out: TextIO, header: Sequence[str], rows: Iterable[Iterable[object]]) -> None:
    """Write a CSV file in which every cell went through `csv_cell`."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([csv_cell(name) for name in header])
    writer.writerows([csv_cell(value) for value in row] for row in rows)
