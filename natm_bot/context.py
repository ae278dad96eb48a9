"""What a command handler gets: the bot's services and the message it answers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from natm_bot.config.content import Content, localized
from natm_bot.config.settings import Config
from natm_bot.core.clock import Clock
from natm_bot.core.i18n import language
from natm_bot.core.markdown import md_escape
from natm_bot.core.messages import Message
from natm_bot.engine.registry import Registry
from natm_bot.features.groups.rooms import GroupRooms
from natm_bot.features.groups.service import GroupService
from natm_bot.features.languages.service import LanguageService
from natm_bot.features.meetings.actions import ActionService
from natm_bot.features.meetings.agenda import AgendaService
from natm_bot.features.meetings.minutes_posting import MinutesPoster
from natm_bot.features.meetings.service import MeetingService
from natm_bot.features.members.service import MemberService
from natm_bot.features.onboarding.service import Onboarding
from natm_bot.features.permissions import Permissions
from natm_bot.features.polls.posting import PollDesk
from natm_bot.features.polls.service import PollService
from natm_bot.features.privacy.service import PrivacyService
from natm_bot.features.statements.service import Statements


class Services(Protocol):
    """What commands may use of the running bot (the App provides it)."""

    @property
    def config(self) -> Config:
        """The validated bot.yaml."""

    @property
    def content(self) -> Content:
        """The movement's content from data/."""

    @property
    def data_dir(self) -> Path:
        """The folder of the content files."""

    @property
    def clock(self) -> Clock:
        """The time."""

    @property
    def registry(self) -> Registry:
        """Every known command."""

    @property
    def permissions(self) -> Permissions:
        """Who may do what."""

    @property
    def groups(self) -> GroupService:
        """Working groups."""

    @property
    def group_rooms(self) -> GroupRooms:
        """The rooms the bot makes for groups."""

    @property
    def meetings(self) -> MeetingService:
        """Meetings."""

    @property
    def onboarding(self) -> Onboarding:
        """The welcome of newcomers."""

    @property
    def members(self) -> MemberService:
        """Member organisations and supporters."""

    @property
    def privacy(self) -> PrivacyService:
        """A person's data and the audit log."""

    @property
    def actions(self) -> ActionService:
        """Action items of meetings."""

    @property
    def polls(self) -> PollService:
        """Polls and decisions."""

    @property
    def poll_desk(self) -> PollDesk:
        """Native polls started, and the notes on votes."""

    @property
    def agenda(self) -> AgendaService:
        """The agendas of meetings."""

    @property
    def minutes(self) -> MinutesPoster:
        """Minutes: ending a meeting, posting and showing them."""

    @property
    def languages(self) -> LanguageService:
        """The languages people and rooms chose."""

    @property
    def statements(self) -> Statements:
        """Statements that member organisations endorse."""


@dataclass(frozen=True)
class Context:
    """The bot's services and the triggering message, passed to every handler."""

    app: Services
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
        """The language replies are written in (set for each message by the dispatcher)."""
        return language()

    def t(self, text: dict[str, str]) -> str:
        """A language-keyed text in the reply language, escaped to show verbatim in Markdown."""
        return md_escape(localized(text, self.lang))
