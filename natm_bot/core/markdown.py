"""Text from people or files made safe to put inside Markdown: shown as itself, never as markup."""

from __future__ import annotations

import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~&])")
# What CommonMark takes as an autolink; inside one, `_` and `*` are not emphasis.
_AUTOLINK_RE = re.compile(r"https?://[^<>\x00-\x20\x7f-\x9f]+", re.IGNORECASE)


def md_escape(text: str) -> str:
    """Escape user-supplied text so Markdown shows it literally (no links, no markup).

    Matrix permalinks are broken with a zero-width space, so clients cannot turn echoed
    text into mention pills."""
    flat = " ".join(text.split()).replace("matrix.to", "matrix.\u200bto")
    return _MD_SPECIAL.sub(r"\\\1", flat)


def md_link(url: str) -> str:
    """A web address shown as itself and clickable, whatever `_` or `*` it holds; text that
    cannot be an autolink (an address stored before links were checked) is shown escaped."""
    if _AUTOLINK_RE.fullmatch(url) and url.isprintable():  # no control or bidi character
        return f"<{url}>"
    return md_escape(url)
