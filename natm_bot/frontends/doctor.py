"""`natm-bot doctor`: every check an operator would make by hand, one line each, with what
to do about each problem. Exit code 0 only when all is well."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from natm_bot.config.settings import Config
from natm_bot.config.validation import FileProblems
from natm_bot.core.clock import Clock, SystemClock
from natm_bot.features.groups.rules import SINCE, supports
from natm_bot.frontends.doctor_local import Finding, database, private_files
from natm_bot.matrix import diagnose
from natm_bot.matrix.diagnose import Unreachable
from natm_bot.matrix.session import SessionError, matrix_section, restore, store_dir
from natm_bot.matrix.space_check import space_check
from natm_bot.storage.inspection import RoomsInUse

EXIT_PROBLEMS = 1
EXIT_CONFIG = 2
# More than this between the homeserver's clock and ours, and times in chat and the
# age of commands go wrong (the homeserver's Date header has a 1 s resolution).
MAX_SKEW_S = 30.0


def run_doctor(path: Path, load: Callable[[Path], Config], out: TextIO) -> int:
    """Check everything, print one line per check; the exit code."""
    try:
        config = load(path)
    except FileProblems as exc:
        for problem in exc.problems:
            print(Finding(False, "config", problem), file=out)
        print(
            Finding(False, "config", f"fix the above, then `natm-bot doctor -c {path}`"), file=out
        )
        return EXIT_CONFIG
    findings = [Finding(True, "config", f"{path} and the content files are valid")]
    print(findings[0], file=out, flush=True)
    findings += asyncio.run(_checks(config, path, SystemClock(), out))
    return 0 if all(f.ok for f in findings) else EXIT_PROBLEMS


async def _checks(config: Config, path: Path, clock: Clock, out: TextIO) -> list[Finding]:
    findings: list[Finding] = []

    def report(found: list[Finding]) -> None:
        for finding in found:
            print(finding, file=out, flush=True)
        findings.extend(found)

    try:
        store: Path | None = store_dir(config)
    except SessionError:
        store = None
    report(private_files(config, store))
    checked, rooms = database(config)
    report(checked)
    if config.matrix is None:
        report([Finding(True, "matrix", "no `matrix:` section: the console only, nothing to ask")])
        return findings
    try:
        await _matrix(config, path, clock, rooms, report)
    except Unreachable as exc:
        report([_unreachable(config, str(exc))])
    return findings


def _unreachable(config: Config, reason: str) -> Finding:
    homeserver = matrix_section(config).homeserver
    return Finding(
        False,
        "homeserver",
        f"cannot reach {homeserver} ({reason}): check `matrix.homeserver` in the config, "
        "that the homeserver runs, and the network between them",
    )


Report = Callable[[list[Finding]], None]


async def _matrix(
    config: Config, path: Path, clock: Clock, rooms: RoomsInUse | None, report: Report
) -> None:
    homeserver = matrix_section(config).homeserver
    info = await diagnose.server_info(homeserver, clock.now)
    versions = f"Matrix {info.versions[-1]} (newest of {len(info.versions)} versions)"
    software = f"{info.software}, " if info.software else ""
    report([Finding(True, "homeserver", f"{homeserver} answers: {software}{versions}")])
    report([_clock(info.skew_s)])
    try:
        client, credentials = restore(config)
    except SessionError as exc:
        report([Finding(False, "login", str(exc))])
        return
    try:
        if await _login(client, credentials.user_id, credentials.device_id, path, report):
            await _crypto(client, config, credentials.device_id, report)
            await _rooms(client, config, rooms, report)
            await _space(client, config, rooms, report)
    finally:
        await client.close()


def _clock(skew: float | None) -> Finding:
    if skew is None:
        return Finding(True, "clock", "the homeserver sent no Date header; not compared")
    if abs(skew) > MAX_SKEW_S:
        way = "behind" if skew > 0 else "ahead of"
        return Finding(
            False,
            "clock",
            f"this machine's clock is {abs(skew):.0f} s {way} the homeserver's: keep both "
            "in time with NTP (`timedatectl set-ntp true`, chrony or systemd-timesyncd)",
        )
    return Finding(True, "clock", f"within {abs(skew):.0f} s of the homeserver's (±1 s)")


async def _login(
    client: diagnose.Client, user: str, device: str, path: Path, report: Report
) -> bool:
    """Whether the stored access token is valid and still the bot's device."""
    identity = await diagnose.whoami(client)
    again = (
        f"move the store folder aside (keep it until the new login works) and run "
        f"`natm-bot login -c {path}`, then remove the old device in a client"
    )
    if identity.error is not None:
        text = (
            f"the homeserver rejected the access token of device {device} ({identity.error}): "
            f"the login was revoked or the device removed; {again}"
        )
        report([Finding(False, "login", text)])
        return False
    if (identity.user_id, identity.device_id) != (user, device):
        text = (
            f"the access token is for {identity.user_id}, device {identity.device_id}, but "
            f"credentials.json says {user}, device {device}: {again}"
        )
        report([Finding(False, "login", text)])
        return False
    report([Finding(True, "login", f"the access token is valid for {user}, device {device}")])
    return True


async def _crypto(client: diagnose.Client, config: Config, device: str, report: Report) -> None:
    if not matrix_section(config).encryption:
        report([Finding(True, "encryption", "off in the config: nothing to compare")])
        return
    problem = await diagnose.crypto_store_problem(client)
    if problem is not None:
        report([Finding(False, "encryption", problem)])
        return
    text = f"the store's identity keys match device {device} on the homeserver"
    report([Finding(True, "encryption", text)])


async def _rooms(
    client: diagnose.Client, config: Config, rooms: RoomsInUse | None, report: Report
) -> None:
    uses: dict[str, list[str]] = {}
    for announcement in config.announcements:
        for room in announcement.rooms:
            uses.setdefault(room, []).append(f"announcement {announcement.id}")
    for room in rooms.meeting_rooms if rooms else ():
        uses.setdefault(room, []).append("meetings")
    for room in rooms.group_rooms if rooms else ():
        uses.setdefault(room, []).append("group room")
    if not uses:
        report([Finding(True, "rooms", "none configured or in use yet")])
        return
    joined = await diagnose.joined_rooms(client)
    for room, why in uses.items():
        access = await diagnose.room_access(client, room, joined)
        bot = (str(client.user_id), config.bot.prefix)
        report([_room(access, ", ".join(dict.fromkeys(why)), bot)])
        if "group room" in why and access.version is not None:
            report([joining(access.room, access.version)])


def joining(room: str, version: str) -> Finding:
    """How people get into a group room of this version: by knocking, or by invitation
    only (the bot then keeps the room's join rule as it is)."""
    topic = f"room {room} (group room)"
    if supports(version, "knock_restricted"):
        return Finding(True, topic, f"room version {version}: people may knock or join")
    if supports(version, "knock"):
        text = (
            f"room version {version}: people may knock into a group with a capacity; an open"
            f" group's room keeps its join rule (Space members joining needs version"
            f" {SINCE['knock_restricted']})"
        )
        return Finding(True, topic, text)
    text = (
        f"room version {version} cannot knock: people join by invitation only;"
        f" upgrade the room to version {SINCE['knock_restricted']} or newer to let them knock"
    )
    return Finding(True, topic, text)


async def _space(
    client: diagnose.Client, config: Config, rooms: RoomsInUse | None, report: Report
) -> None:
    """The coalition Space, when configured: the bot may add children, every open group's
    room is a child and has the Space as its parent."""
    space = config.spaces.coalition
    if space is None:
        return
    check = await space_check(client, space, rooms.open_group_rooms if rooms else ())
    topic = f"space {space}"
    if check.problem is not None:
        report([Finding(False, topic, f"{check.problem}: correct `spaces.coalition`")])
        return
    if not check.can_add:
        text = (
            f"the bot's power level {check.level} is below the {check.child_needed} needed to "
            "add rooms to the Space: raise it in the Space's settings"
        )
        report([Finding(False, topic, text)])
    found = [
        Finding(False, topic, f"{room} is not listed in the Space: restart the bot to add it")
        for room in check.not_children
    ] + [
        Finding(False, topic, f"{room} does not name the Space as its parent: give the bot "
                "the power to set it there, then restart it")
        for room in check.no_parent
    ]  # fmt: skip
    if not found and check.can_add:
        found = [Finding(True, topic, "the bot may add rooms; every group room is a child")]
    report(found)


def _room(access: diagnose.RoomAccess, why: str, bot_and_prefix: tuple[str, str]) -> Finding:
    topic = f"room {access.room} ({why})"
    bot, prefix = bot_and_prefix
    if access.problem is not None:
        return Finding(False, topic, f"{access.problem}: correct it in the config or the meeting")
    if not access.joined:
        return Finding(
            False, topic, f"the bot is not in it: invite {bot} (from an allowed user or server)"
        )
    raise_it = "raise the bot's power level in the room's settings, or lower what is needed"
    if not access.can_send:
        text = (
            f"the bot's power level {access.level} is below the {access.send_needed} needed to "
            f"send messages: {raise_it}"
        )
        return Finding(False, topic, text)
    if "group room" in why and not access.can_invite:
        text = (
            f"the bot's power level {access.level} is below the {access.invite_needed} needed "
            f"to invite, so `{prefix}join` cannot invite people in: {raise_it}"
        )
        return Finding(False, topic, text)
    may = "send and invite" if "group room" in why else "send"
    return Finding(True, topic, f"the bot is in it and may {may}")
