"""What a newcomer reads: the welcome, the one follow-up, the answers to their reply, and
the public greeting naming the newcomers of a room."""

from __future__ import annotations

from collections.abc import Sequence

from natm_bot.config.content import Content, localized
from natm_bot.core.i18n import _, language, ngettext, speaking
from natm_bot.core.markdown import md_escape
from natm_bot.storage.groups import Group

LANGUAGES = ("es", "fr", "pt", "en")
NAMED = 10  # newcomers named in one greeting; the rest are counted


def language_line(prefix: str) -> str:
    """One line offering each language, each offer in its own language."""
    offers = []
    for lang in LANGUAGES:
        with speaking(lang):
            offers.append(_("In English? `{command}`").format(command=f"{prefix}lang {lang}"))
    return " · ".join(offers)


def group_lines(groups: Sequence[Group]) -> list[str]:
    """The open working groups, numbered as a reply names them."""
    return [f"{number}. **{md_escape(g.name)}**" for number, g in enumerate(groups, 1)]


def welcome(content: Content, groups: Sequence[Group], prefix: str) -> str:
    """The welcome: the movement, its principles, the groups to join, how to take part,
    what the bot keeps, and the languages it speaks (in the language in force)."""
    lang = language()
    lines = [
        _("**Welcome to {name}!**").format(name=md_escape(content.about.name)),
        md_escape(localized(content.about.summary, lang)),
        "",
        _("**Our principles:**"),
        *[f"{p.number}. {md_escape(localized(p.title, lang))}" for p in content.principles],
        "",
    ]
    if groups:
        lines += [
            _("**Open working groups**: reply with their numbers (`2`, or `1 3`) to join:"),
            *group_lines(groups),
            "",
        ]
    lines += [
        _(
            "An organisation applies to join with `{apply}`; a person supports with `{support}`."
        ).format(apply=f"{prefix}members apply", support=f"{prefix}support"),
        _(
            "I keep nothing from this message: only a keyed hash of your Matrix id, so that I "
            "welcome you once. Reply `stop` and I won't write again."
        ),
        language_line(prefix),
    ]
    return "\n".join(lines)


def follow_up(groups: Sequence[Group], prefix: str) -> str:
    """The one reminder to someone who chose nothing."""
    lines = [
        _(
            "Hello again! Would you like to join a working group? Reply with their numbers "
            "(`2`, or `1 3`), or `stop`. This is the last time I write about it."
        ),
        *group_lines(groups),
        _("`{help}` shows everything I can do.").format(help=f"{prefix}help"),
    ]
    return "\n".join(lines)


def stopped(prefix: str) -> str:
    """The answer to `stop`."""
    return _("Understood: I won't write about this again. `{help}` shows what I can do.").format(
        help=f"{prefix}help"
    )


def unknown_numbers(count: int) -> str:
    """The answer to numbers that name no open group."""
    if count == 0:
        return _("There are no open working groups to join right now. Reply `stop` to end this.")
    return ngettext(
        "Only group {count} is open: reply `1` to join it, or `stop`.",
        "Reply with numbers from 1 to {count} to join those groups, or `stop`.",
        count,
    ).format(count=count)


def greeting(users: Sequence[str]) -> str:
    """The public greeting naming the newcomers by display name (the first few, the rest
    counted)."""
    names = [md_escape(" ".join(u.split())[:40]) for u in users[:NAMED]]
    others = len(users) - len(names)
    if others:
        listed = ngettext(
            "{names} and {count} other", "{names} and {count} others", others
        ).format(names=", ".join(names), count=others)
    elif len(names) > 1:
        listed = _("{names} and {last}").format(names=", ".join(names[:-1]), last=names[-1])
    else:
        listed = names[0]
    return ngettext(
        "Welcome, {names}: I've sent you a direct message.",
        "Welcome, {names}: I've sent each of you a direct message.",
        len(users),
    ).format(names=listed)
