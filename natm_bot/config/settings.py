"""bot.yaml: the operator's settings, validated into typed models before any network I/O."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from natm_bot.config.http import HttpSection
from natm_bot.config.onboarding import OnboardingSection
from natm_bot.config.paths import bundled
from natm_bot.config.statements import StatementsSection
from natm_bot.config.validation import (
    ROOM_RE,
    FileProblems,
    Problem,
    RoomRef,
    ServerName,
    Strict,
    UserIdStr,
    ZoneName,
    check_url,
    line,
    listed_twice,
    parse_yaml,
    repeated_ids,
    repeats,
    validate_file,
)
from natm_bot.core.durations import DurationError, parse_seconds


def parse_duration(value: object) -> int:
    """Seconds from `90`, `90s`, `15m`, `1h30m`, `2d` or `1w` (the same reading as in chat)."""
    if isinstance(value, bool):
        raise ValueError("must be a duration like 90s, 15m, 1h or 2d")
    if isinstance(value, int):
        seconds = value
    else:
        try:
            seconds = parse_seconds(str(value))
        except DurationError as exc:
            example = "must be a duration like 90s, 15m, 1h30m or 2d"
            raise ValueError(f"{example}, not {value!r}") from exc
    if seconds < 0:
        raise ValueError("must not be negative")
    return seconds


Duration = Annotated[int, BeforeValidator(parse_duration)]


def _whole_minutes(seconds: int) -> int:
    if seconds % 60:
        raise ValueError("must be whole minutes, like 1d, 1h, 10m or 0")
    return seconds


def _duration_or_none(value: object) -> int | None:
    """A duration to compare, or None for a value that is not one (its own check says so)."""
    try:
        return parse_duration(value)
    except ValueError:
        return None


def _reminders_once(raw: Mapping[str, Any]) -> Iterator[Problem]:
    """Each reminder of a section once: `1h` and `60m` are the same one."""
    for index, item in repeats(raw.get("reminders"), _duration_or_none):
        yield ("reminders", index), f"{item!r} is the same as another reminder: keep one"


class BotSection(Strict):
    """How the bot talks and who runs it."""

    prefix: str = "!"
    language: Literal["en", "es", "fr", "pt"] = "en"
    admins: list[UserIdStr] = Field(default_factory=list)
    moderator_power_level: int = Field(default=50, ge=0, le=100)
    display_timezones: list[ZoneName] = Field(default_factory=lambda: ["UTC"])
    max_input_length: int = Field(default=2000, ge=100, le=60000)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # "text" for a person at a terminal; "json": one JSON object per line, for journald and
    # log shippers.
    log_format: Literal["text", "json"] = "text"

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not 1 <= len(value) <= 3 or any(ch.isspace() or ch.isalnum() for ch in value):
            raise ValueError("must be 1 to 3 punctuation characters, like ! or ?")
        return value

    @classmethod
    def checks(cls, raw: Mapping[str, Any]) -> Iterator[Problem]:
        """Each admin and each zone once (Matrix ids compared regardless of case)."""
        yield from listed_twice(raw, "admins", str.casefold)
        yield from listed_twice(raw, "display_timezones")


class PathsSection(Strict):
    """Where things live; relative paths are relative to the config file's folder."""

    database: Path = Path("natm-bot.sqlite3")
    data_dir: Path | None = None
    commands_dir: Path | None = None


class MovementSection(Strict):
    """Facts about the movement that are settings rather than content."""

    email_list: str | None = None
    supporter_key: str | None = Field(default=None, min_length=16)

    @field_validator("email_list")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
            raise ValueError(f"must be an email address like list@example.org, not {value!r}")
        return value


class GroupsSection(Strict):
    """How working-group sign-ups are announced."""

    # "room": in the group's own room when it has one (else by direct message); "dm": always
    # by direct message to each coordinator.
    notify_coordinators: Literal["room", "dm"] = "room"
    # Someone who leaves (or is removed from) a group's room leaves the group too.
    leave_with_room: bool = True


def _space_room(value: str | None) -> str | None:
    """A Space given by room id (`!abc:server`) or address (`#natm:server`)."""
    if value is not None and not ROOM_RE.match(value):
        raise ValueError(f"must be a room id or address like #natm:example.org, not {value!r}")
    return value


class SpacesSection(Strict):
    """The coalition's Matrix Space, whose children (group rooms, public rooms) the bot keeps."""

    # The Space by id or address; null: no Space (`natm-bot space create` makes one).
    coalition: Annotated[str | None, AfterValidator(_space_room)] = None


class MeetingsSection(Strict):
    """Defaults for meetings and when announcements count as missed."""

    # How long before each meeting the bot announces it in the meeting's rooms; 0 = "starting
    # now", with the call link.
    reminders: list[Annotated[Duration, AfterValidator(_whole_minutes)]] = Field(
        default_factory=lambda: [86400, 3600, 0]
    )
    # People who answered `!rsvp <id> yes remind` get a direct message this long before.
    dm_reminder: Duration = 3600
    default_duration: Duration = 3600
    # An announcement that could not be sent on time (the bot was down) is still sent, marked
    # late, within this window; later ones are recorded as missed and logged. At most 12h.
    grace: Duration = Field(default=1800, le=43200)
    # How many upcoming meetings !meetings lists.
    list_size: int = Field(default=5, ge=1, le=20)

    @field_validator("reminders")
    @classmethod
    def _reminders(cls, value: list[int]) -> list[int]:
        return sorted(value, reverse=True)

    @classmethod
    def checks(cls, raw: Mapping[str, Any]) -> Iterator[Problem]:
        """Each reminder once: `1h` and `60m` are the same one."""
        return _reminders_once(raw)


class PollsSection(Strict):
    """How polls remind people before they close, and what `!polls` lists."""

    # Before each poll closes, the bot says in its room how many have voted (never who has
    # not); [] for no reminders.
    reminders: list[Annotated[Duration, AfterValidator(_whole_minutes)]] = Field(
        default_factory=lambda: [86400]
    )
    # `!polls` lists polls closed this recently besides the open ones.
    recent: Duration = Field(default=7 * 86400, ge=0, le=366 * 86400)

    @classmethod
    def checks(cls, raw: Mapping[str, Any]) -> Iterator[Problem]:
        """Each reminder once."""
        return _reminders_once(raw)


class FixedAnnouncement(Strict):
    """A recurring announcement declared here rather than in chat."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    text: str = Field(min_length=1, max_length=4000)
    rooms: list[RoomRef] = Field(min_length=1)
    start: str
    timezone: ZoneName = "UTC"
    repeat: str | None = None

    # The start and the repeat are each checked on their own too, so that a mistake in one
    # (or in another field) does not hide a mistake in the other.
    @field_validator("start")
    @classmethod
    def _start(cls, value: str) -> str:
        from natm_bot.calendar.timeutil import parse_local
        from natm_bot.core.errors import UsageError

        try:
            parse_local(value)
        except UsageError as exc:
            raise ValueError(str(exc).replace("`", "")) from None
        return value

    @field_validator("repeat")
    @classmethod
    def _repeat(cls, value: str | None) -> str | None:
        from natm_bot.calendar.recurrence import parse_repeat
        from natm_bot.core.errors import UsageError

        try:
            parse_repeat(value or "")
        except UsageError as exc:
            raise ValueError(str(exc).replace("`", "")) from None
        return value

    @classmethod
    def checks(cls, raw: Mapping[str, Any]) -> Iterator[Problem]:
        """Each room once: a room listed twice would get every announcement twice."""
        yield from listed_twice(raw, "rooms")

    @model_validator(mode="after")
    def _schedule(self) -> FixedAnnouncement:
        from natm_bot.calendar.recurrence import check_schedule, parse_repeat
        from natm_bot.calendar.timeutil import exists, parse_local, zone
        from natm_bot.core.errors import UsageError

        try:
            local = parse_local(self.start)
            # the rules of `!meeting add`: a rule the bot can keep, starting on one of its dates
            check_schedule(local, self.timezone, parse_repeat(self.repeat or ""))
            if not exists(local, zone(self.timezone)):
                raise ValueError(f"{self.start} does not exist in {self.timezone} (DST gap)")
        except UsageError as exc:
            raise ValueError(str(exc).replace("`", "")) from None
        return self


class SafetySection(Strict):
    """Limits that keep one person (or a script) from drowning everyone else out."""

    # Each person may send `rate_burst` commands at once, then `rate_per_minute`; beyond that
    # they get one "slow down" notice and the rest is ignored until they slow down.
    rate_burst: int = Field(default=10, ge=1, le=1000)
    rate_per_minute: int = Field(default=30, ge=1, le=6000)
    # People and whole servers whose messages and invitations the bot ignores.
    blocked_users: list[UserIdStr] = Field(default_factory=list)
    blocked_servers: list[ServerName] = Field(default_factory=list)
    # Admin commands only in a direct message with the bot, never in a shared room.
    admin_commands_only_in_dm: bool = False

    @classmethod
    def checks(cls, raw: Mapping[str, Any]) -> Iterator[Problem]:
        """Each person and server once, regardless of case."""
        yield from listed_twice(raw, "blocked_users", str.casefold)
        yield from listed_twice(raw, "blocked_servers", str.casefold)


class PrivacySection(Strict):
    """How long the bot keeps its own records."""

    # Ids of handled messages and the record of sent announcements are deleted after this
    # long (at least a day, so nothing can be answered or announced twice).
    retention: Duration = Field(default=30 * 86400, ge=86400)


class HousekeepingSection(Strict):
    """How often the periodic jobs run. The defaults suit every real deployment; the short
    values exist so that tests and soak runs can go through many cycles in a few minutes."""

    # Retention pruning and the WAL checkpoint.
    interval: Duration = Field(default=600, ge=1, le=86400)
    # The announcer's catch-up sweep (announcements are also woken at their exact time).
    safety_sweep: Duration = Field(default=300, ge=1, le=3600)


class InvitesSection(Strict):
    """Whose room invitations the bot accepts; all others are rejected."""

    allowed_users: list[UserIdStr] = Field(default_factory=list)
    allowed_servers: list[ServerName] = Field(default_factory=list)

    @classmethod
    def checks(cls, raw: Mapping[str, Any]) -> Iterator[Problem]:
        """Each person and server once, regardless of case."""
        yield from listed_twice(raw, "allowed_users", str.casefold)
        yield from listed_twice(raw, "allowed_servers", str.casefold)


class MatrixSection(Strict):
    """The homeserver account the bot runs as."""

    homeserver: str
    user_id: UserIdStr
    device_name: str = "natm-bot"
    store_dir: Path = Path("state/matrix")
    encryption: bool = True
    max_command_age: Duration = 3600
    invites: InvitesSection = Field(default_factory=InvitesSection)

    @field_validator("homeserver")
    @classmethod
    def _homeserver(cls, value: str) -> str:
        return check_url(value)


class Config(Strict):
    """The whole validated bot.yaml."""

    bot: BotSection = Field(default_factory=BotSection)
    paths: PathsSection = Field(default_factory=PathsSection)
    movement: MovementSection = Field(default_factory=MovementSection)
    groups: GroupsSection = Field(default_factory=GroupsSection)
    spaces: SpacesSection = Field(default_factory=SpacesSection)
    meetings: MeetingsSection = Field(default_factory=MeetingsSection)
    polls: PollsSection = Field(default_factory=PollsSection)
    safety: SafetySection = Field(default_factory=SafetySection)
    privacy: PrivacySection = Field(default_factory=PrivacySection)
    housekeeping: HousekeepingSection = Field(default_factory=HousekeepingSection)
    onboarding: OnboardingSection = Field(default_factory=OnboardingSection)
    statements: StatementsSection = Field(default_factory=StatementsSection)
    announcements: list[FixedAnnouncement] = Field(default_factory=list)
    matrix: MatrixSection | None = None
    http: HttpSection | None = None
    base_dir: Path = Field(default=Path("."), exclude=True)

    @classmethod
    def checks(cls, raw: Mapping[str, Any]) -> Iterator[Problem]:
        """Each announcement's id once: the record of what was sent is kept by id."""
        yield from repeated_ids(raw, "announcements", "announcement")

    def folder(self, name: Literal["data", "commands"]) -> Path:
        """The content or commands folder: the configured one, else the one shipped."""
        configured = self.paths.data_dir if name == "data" else self.paths.commands_dir
        return self.resolve(configured) if configured is not None else bundled(name)

    def resolve(self, path: Path) -> Path:
        """An absolute path: relative ones are taken from the config file's folder."""
        expanded = Path(os.path.expanduser(path))
        return expanded if expanded.is_absolute() else (self.base_dir / expanded).resolve()


def load_config(path: Path) -> Config:
    """Read and validate bot.yaml; raise FileProblems listing every problem found."""
    raw, repeated = parse_yaml(path)
    problems = [line(str(path), loc, message) for loc, message in repeated]
    if isinstance(raw, dict) and "base_dir" in raw:
        problems.append(line(str(path), ("base_dir",), "unknown key"))
    if isinstance(raw, dict):
        raw = {**raw, "base_dir": path.resolve().parent}
    return validate_file(Config, path, raw, problems)


def folders_of(path: Path) -> Config | None:
    """The default config with only the `paths:` of bot.yaml, to find the data and commands
    folders when other settings have problems; None when even those cannot be read."""
    try:
        raw, _ = parse_yaml(path)
    except FileProblems:
        return None
    paths = raw.get("paths") if isinstance(raw, dict) else None
    try:
        return Config(
            paths=PathsSection.model_validate(paths or {}), base_dir=path.resolve().parent
        )
    except ValidationError:
        return None
