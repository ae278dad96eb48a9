"""The `natm-bot` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from natm_bot.config import Config, load_config
from natm_bot.content import load_content
from natm_bot.paths import bundled
from natm_bot.registry import Registry
from natm_bot.storage import StorageError
from natm_bot.validation import FileProblems

EXIT_CONFIG = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="natm-bot",
        description="A Matrix bot for the rooms of the Non-Aligned Technologies Movement.",
    )
    sub = parser.add_subparsers(dest="action", metavar="COMMAND")

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        cmd.add_argument("-c", "--config", type=Path, required=True, help="path to bot.yaml")
        return cmd

    add("console", "try the bot in this terminal, with no homeserver")
    add("check-config", "validate the config and data files, report every problem")
    return parser


def _load(path: Path) -> Config:
    config = load_config(path)
    data_dir = config.resolve(config.paths.data_dir) if config.paths.data_dir else bundled("data")
    load_content(data_dir)
    return config


def _check(config: Config) -> None:
    commands_dir = config.paths.commands_dir
    registry = Registry()
    registry.load_folder(config.resolve(commands_dir) if commands_dir else bundled("commands"))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.action is None:
        parser.print_help(sys.stderr)
        return EXIT_CONFIG
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
    logging.basicConfig(
        level=logging.WARNING if args.action == "console" else config.bot.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        if args.action == "console":
            from natm_bot.console import run_console

            asyncio.run(run_console(config))
    except StorageError as exc:
        print(f"natm-bot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
