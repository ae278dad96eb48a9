"""Markdown to the two forms of a Matrix message: plain `body` and HTML `formatted_body`."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from markdown_it import MarkdownIt

from natm_bot.core.markdown import md_escape, md_link
from natm_bot.core.text import neutralise

__all__ = ["Rendered", "html_to_text", "md_escape", "md_link", "render"]

# Raw HTML in the Markdown source is shown as text, never passed through: user text is safe
# even when a command forgets to escape it.
_MD = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


@dataclass(frozen=True)
class Rendered:
    """A reply ready to send: what notifications and bridges show, and what clients render."""

    body: str
    html: str


@functools.lru_cache(maxsize=256)
def render(markdown: str) -> Rendered:
    """Render Markdown to HTML and derive the plain-text body from that HTML.

    Cached: most replies (principles, readings, help) are the same text every time, and
    rendering a long one costs about half a millisecond. Control and bidi-override characters
    are shown as U+FFFD, whoever wrote them: no reply can reorder or hide text."""
    html = _MD.render(neutralise(markdown)).strip()
    return Rendered(body=html_to_text(html), html=html)


class _TextExtractor(HTMLParser):
    """Turns the small HTML subset our Markdown produces into readable plain text."""

    _BLOCKS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.lists: list[list[int]] = []  # one [counter] per open list; -1 for bullets
        self.links: list[str | None] = []
        self.link_text_start: list[int] = []

    def _newline(self, count: int = 1) -> None:
        text = "".join(self.parts)
        have = len(text) - len(text.rstrip("\n"))
        if text and have < count:
            self.parts.append("\n" * (count - have))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCKS:
            self._newline(1 if self.lists else 2)
            if tag == "hr":
                self.parts.append("———\n")
        elif tag == "br":
            self.parts.append("\n")
        elif tag in ("ol", "ul"):
            start = dict(attrs).get("start") or "1"
            self.lists.append([int(start) if tag == "ol" and start.isdigit() else -1])
            self._newline(1 if len(self.lists) > 1 else 2)
        elif tag == "li" and self.lists:
            self._newline(1)
            counter = self.lists[-1]
            indent = "   " * (len(self.lists) - 1)
            if counter[0] < 0:
                self.parts.append(f"{indent}• ")
            else:
                self.parts.append(f"{indent}{counter[0]}. ")
                counter[0] += 1
        elif tag == "a":
            self.links.append(dict(attrs).get("href"))
            self.link_text_start.append(len("".join(self.parts)))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ol", "ul") and self.lists:
            self.lists.pop()
            self._newline(1)
        elif tag == "a" and self.links:
            href = self.links.pop()
            start = self.link_text_start.pop()
            shown = "".join(self.parts)[start:]
            if href and href not in shown:
                self.parts.append(f" <{href}>")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain-text form of rendered HTML, keeping list numbers and link targets."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = [line.rstrip() for line in "".join(parser.parts).strip().split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
