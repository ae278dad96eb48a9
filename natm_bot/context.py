"""What a command handler gets: the app's services and the message it answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from natm_bot.config.content import localized
from natm_bot.core.messages import Message
from natm_bot.engine.rendering import md_escape

if TYPE_CHECKING:
    from natm_bot.app import App
    from natm_bot.config.content import Content
    from natm_bot.config.settings import Config
    from natm_bot.engine.registry import Registry


@dataclass(frozen=True)
class Context:
    """The app and the triggering message, passed to every handler."""

    app: App
    message: Message

    @property
    def config(self) -> Config:
        """The validated bot.yaml."""
        return self.app.config

    @property
    def content(self) -> Content:
        """The movement's content from data/."""
        return self.app.content

    @property
    def registry(self) -> Registry:
        """Every known command."""
        return self.app.registry

    @property
    def prefix(self) -> str:
        """The command prefix, e.g. `!`."""
        return self.app.config.bot.prefix

    @property
    def lang(self) -> str:
        """The language replies are written in."""
        return self.app.config.bot.language

    def t(self, text: dict[str, str]) -> str:
        """A language-keyed text in the reply language, escaped to show verbatim in Markdown."""
        return md_escape(localized(text, self.lang))
