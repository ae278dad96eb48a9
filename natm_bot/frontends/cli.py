"""The `natm-bot` command line."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

from natm_bot.app import load_checked_content
from natm_bot.config.settings import Config, folders_of, load_config
from natm_bot.config.validation import FileProblems
from natm_bot.core.clock import SystemClock
from natm_bot.engine.registry import Registry
from natm_bot.storage import DatabaseUnusable, StorageError

EXIT_CONFIG = 2
EXIT_DATABASE = 4  # damaged or newer than this code: a restart cannot mend it
EXIT_BROKEN_PIPE = 128 + 13  # as if ended by SIGPIPE


class _AnyOrder(argparse.ArgumentParser):
    """A subcommand's parser that takes its words and options in any order.

    Plain argparse fills an optional word (`import members [FILE]`) with nothing as soon as
    an option follows the word before it, so `import members -c bot.yaml FILE` was refused;
    intermixed parsing reads every option first, then the words."""

    _intermixing = False

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        """Parse intermixed, once (the intermixed parse calls this method itself)."""
        if self._intermixing:
            return super().parse_known_args(args, namespace)
        self._intermixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False


# Adds a subcommand that reads bot.yaml (`-c`): its name and help.
_Add = Callable[[str, str], argparse.ArgumentParser]
DEMO_HELP = "start a throwaway local Synapse with the bot and a person account"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="natm-bot",
        description="A Matrix bot for the rooms of the Non-Aligned Technologies Movement.",
    )
    sub = parser.add_subparsers(dest="action", metavar="COMMAND", parser_class=_AnyOrder)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        cmd.add_argument("-c", "--config", type=Path, required=True, help="path to bot.yaml")
        return cmd

    add("console", "try the bot in this terminal, with no homeserver")
    add("check-config", "validate the config and data files, report every problem")
    add("run", "run the bot on its Matrix account (after `login`)")
    login = add("login", "log the bot's Matrix account in once, as a new device")
    login.add_argument(
        "--password-env",
        default="NATM_BOT_PASSWORD",
        help="environment variable holding the password (asked for when unset)",
    )
    _add_export(add)
    _add_import(add)
    _add_operations(add)
    _demo_options(sub.add_parser("demo", help=DEMO_HELP, description=DEMO_HELP))
    return parser


def _add_export(add: _Add) -> None:
    export = add(
        "export",
        "write data out: sign-ups of working groups, the member directory, or the meetings"
        " as an iCalendar file",
    )
    export.add_argument("what", choices=["signups", "members", "ics"])
    export.add_argument("--group", help="signups: only this group (name, id or alias)")
    export.add_argument(
        "--format", choices=["csv", "json", "yaml"], default="csv", help="yaml: members only"
    )


def _add_import(add: _Add) -> None:
    imports = add(
        "import",
        "groups: re-read data/groups.yaml (sign-ups are kept); members: add or update the"
        " organisations of FILE (YAML or CSV), all or none",
    )
    imports.add_argument("what", choices=["groups", "members"])
    imports.add_argument("file", nargs="?", type=Path, metavar="FILE", help="members only")


def _add_operations(add: _Add) -> None:
    add("doctor", "check the config, homeserver, login, encryption, database, rooms and files")
    backup = add(
        "backup", "copy the database, Matrix store and config into one archive, while running"
    )
    backup.add_argument("-o", "--output", type=Path, help="the archive (default: dated name)")
    restore = add("restore", "put a backup's database and Matrix store at the config's paths")
    restore.add_argument("file", type=Path, metavar="FILE", help="an archive of `backup`")
    restore.add_argument("--force", action="store_true", help="replace the state found there")
    space = add("space", "make the coalition Space on the bot's account (admins at power 100)")
    space.add_argument("what", choices=["create"])
    space.add_argument("--name", required=True, help="the Space's name, as people see it")


def _demo_options(demo: argparse.ArgumentParser) -> None:
    demo.add_argument("--dir", type=Path, help="folder for the demo's files (default: a temp dir)")
    demo.add_argument("--port", type=int, help="port of the homeserver (default: a free one)")


def _load(path: Path) -> Config:
    """bot.yaml and the data files, as every action reads them before it starts; FileProblems
    lists every problem of all of them (the data files too when bot.yaml has problems)."""
    problems: list[str] = []
    config: Config | None = None
    try:
        config = load_config(path)
    except FileProblems as exc:
        problems += exc.problems
    folders = config or folders_of(path)
    if folders is not None:
        try:
            load_checked_content(folders.folder("data"), SystemClock().now().date())
        except FileProblems as exc:
            problems += exc.problems
    if problems or config is None:
        raise FileProblems(problems)
    return config


def _check(config: Config) -> None:
    Registry().load_folder(config.folder("commands"))


def _checked(path: Path) -> Config:
    """The config and content as `check-config` checks them."""
    config = _load(path)
    _check(config)
    return config


def _keep(config: Config, args: argparse.Namespace) -> int:
    """`backup` or `restore`."""
    from natm_bot.frontends import backup, restore

    os.umask(PRIVATE_UMASK)
    now = SystemClock().now()
    try:
        if args.action == "restore":
            restore.restore(config, args.file, args.force, sys.stdout)
            return 0
        target = args.output or backup.default_name(now)
        credentials = backup.backup(config, args.config, target, now)
    except backup.BackupError as exc:
        print(f"natm-bot: {exc}", file=sys.stderr)
        return 1
    print(f"Backed up device {credentials.device_id} of {credentials.user_id} to {target}.")
    return 0


def _without_config(args: argparse.Namespace) -> int:
    """`demo` (which needs no config) and `doctor` (which reports the config's problems)."""
    if args.action == "doctor":
        from natm_bot.frontends.doctor import run_doctor

        _logging("WARNING")
        return _guarded(lambda: run_doctor(args.config, _checked, sys.stdout), args.config)
    _logging("INFO")
    from natm_bot.frontends.demo import run_demo

    return _guarded(lambda: asyncio.run(run_demo(args.dir, args.port)), Path("bot.yaml"))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    _check_combination(parser, args)
    if args.action is None:
        parser.print_help(sys.stderr)
        return EXIT_CONFIG
    if args.action in ("demo", "doctor"):
        return _without_config(args)
    try:
        config = _load(args.config)
        if args.action == "check-config":
            _check(config)
            print(f"{args.config}: OK")
            return 0
    except FileProblems as exc:
        for line in exc.problems:
            print(line, file=sys.stderr)
        count = len(exc.problems)
        print(
            f"{count} problem{'s' if count != 1 else ''} found; nothing was started.",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    quiet = args.action in ("console", "backup", "restore")
    _logging("WARNING" if quiet else config.bot.log_level, config.bot.log_format)
    if args.action in ("backup", "restore"):
        return _guarded(lambda: _keep(config, args), args.config)
    if args.action == "console":
        from natm_bot.frontends.console import run_console

        return _guarded(lambda: asyncio.run(run_console(config)) or 0, args.config)
    if args.action in ("export", "import"):
        return _guarded(lambda: asyncio.run(_offline(config, args)), args.config)
    if args.action == "login":
        return _guarded(lambda: _login(config, args.password_env), args.config)
    if args.action == "space":
        return _guarded(lambda: asyncio.run(_space(config, args.name)), args.config)
    return _guarded(lambda: asyncio.run(_run(config)), args.config)


def _check_combination(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse options that do not go with what is exported or imported."""
    what = getattr(args, "what", None)
    if args.action == "export" and what == "members" and args.group:
        parser.error("--group goes with `export signups` only")
    if args.action == "export" and what == "signups" and args.format == "yaml":
        parser.error("signups are exported as csv or json")
    if args.action == "export" and what == "ics" and (args.group or args.format != "csv"):
        parser.error("the calendar is always an .ics file; it takes no --group or --format")
    if args.action == "import" and what == "groups" and args.file:
        parser.error("groups are read from data/groups.yaml: FILE goes with `import members`")
    if args.action == "import" and what == "members" and not args.file:
        parser.error("import members needs a FILE (.yaml or .csv)")


async def _offline(config: Config, args: argparse.Namespace) -> int:
    from natm_bot.frontends import offline

    if args.action == "export" and args.what == "members":
        return await offline.export_members(config, args.format, sys.stdout)
    if args.action == "export" and args.what == "ics":
        return await offline.export_ics(config, sys.stdout)
    if args.action == "export":
        return await offline.export_signups(config, args.group, args.format, sys.stdout)
    if args.what == "members":
        return await offline.import_members(config, args.file, sys.stdout, sys.stderr)
    return await offline.import_groups(config, sys.stdout)


# Files the bot creates (database, encryption keys, credentials) hold Matrix ids, keys and
# tokens: readable by the bot's own user only, whatever umask it was started with.
PRIVATE_UMASK = 0o077


async def _space(config: Config, name: str) -> int:
    from natm_bot.frontends.space import create_space

    return await create_space(config, name, sys.stdout, sys.stderr)


async def _run(config: Config) -> int:
    from natm_bot.frontends.serving import matrix_runner

    os.umask(PRIVATE_UMASK)
    return await matrix_runner(config).run()


def _login(config: Config, password_env: str) -> int:
    from natm_bot.matrix.session import login

    os.umask(PRIVATE_UMASK)
    password = os.environ.get(password_env) or getpass.getpass("Password of the bot account: ")
    credentials = asyncio.run(login(config, password))
    print(f"Logged in as {credentials.user_id}, device {credentials.device_id}.")
    return 0


def _logging(level: str, form: Literal["text", "json"] = "text") -> None:
    """Log lines as text or JSON, to stderr (see natm_bot.frontends.logs)."""
    from natm_bot.frontends.logs import configure

    configure(level, form)


def _guarded(action: Callable[[], int], config: Path) -> int:
    """Run an action, turning known failures into a message and an exit code."""
    from natm_bot.matrix.session import SessionError
    from natm_bot.web.listener import ListenerError

    try:
        code = action()
        sys.stdout.flush()  # a reader that went away shows here rather than at exit
        return code
    except DatabaseUnusable as exc:
        print(f"natm-bot: {exc}{'' if exc.newer else _restore_hint(config)}", file=sys.stderr)
        return EXIT_DATABASE
    except (StorageError, SessionError, ListenerError) as exc:
        print(f"natm-bot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader of an export (`| head`) has all it wanted: stop quietly, with the exit
        # code of a process ended by SIGPIPE, as other shell tools do. Output still buffered
        # goes nowhere, so that Python's own flush at exit cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def _restore_hint(config: Path) -> str:
    return (
        ": stop the bot and restore the latest backup "
        f"(`natm-bot restore --force -c {config} BACKUP.tar.gz`)"
    )


if __name__ == "__main__":
    sys.exit(main())
