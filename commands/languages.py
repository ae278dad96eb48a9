"""!lang: the language I answer you in, and a room's language."""

from __future__ import annotations

import unicodedata

from natm_bot.api import Context, Perm, Reply, UsageError, command, md_escape
from natm_bot.core.i18n import LANGUAGES, _, language_name, speaking, spoken_name


def _plain(text: str) -> str:
    """Lower case without accents: `Français` → `francais`."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _language(typed: str) -> str:
    """The language code for a code or a language's name in any of the bot's languages."""
    wanted = _plain(typed)
    for lang in LANGUAGES:
        names = {lang, *(_plain(language_name(lang, other)) for other in LANGUAGES)}
        if wanted in names:
            return lang
    raise UsageError(
        _("I don't speak “{typed}”. Choose one of: {choices}.").format(
            typed=md_escape(typed[:40]), choices=", ".join(LANGUAGES)
        )
    )


def _choices() -> str:
    """`en` (English), `es` (Español)…, each named in itself."""
    return ", ".join(f"`{lang}` ({language_name(lang)})" for lang in LANGUAGES)


@command("lang", aliases=("language", "idioma", "langue", "lingua"))
async def lang(ctx: Context, choice: str | None = None) -> Reply:
    """The language I answer you in, or choose it: {prefix}lang es

    Your choice is kept with your data (`{prefix}mydata` shows it, `{prefix}forgetme` erases
    it). Without one, I answer in the room's language, else in the bot's default language.
    """
    if choice is None:
        code = _("code")
        return Reply(
            _("I answer you in {language}. Choose another with `{command}`: {choices}.").format(
                language=spoken_name(ctx.lang),
                command=f"{ctx.prefix}lang <{code}>",
                choices=_choices(),
            )
        )
    chosen = _language(choice)
    await ctx.app.languages.choose(ctx.message.sender, chosen)
    with speaking(chosen):
        return Reply(
            _("From now on I answer you in {language}.").format(language=spoken_name(chosen))
        )


@command("lang room", aliases=("idioma sala", "langue salon", "lingua sala"), perm=Perm.MODERATOR)
async def lang_room(ctx: Context, choice: str | None = None) -> Reply:
    """This room's language (for everyone who chose none, and for announcements): {prefix}lang room fr"""  # noqa: E501
    room = ctx.message.room_id
    if choice is None:
        set_here = await ctx.app.languages.room_choice(room)
        current = set_here or ctx.config.bot.language
        return Reply(
            _("This room's language is {language}.").format(language=spoken_name(current))
        )
    chosen = _language(choice)
    await ctx.app.languages.set_room(room, chosen)
    personal = await ctx.app.languages.person_choice(ctx.message.sender)
    with speaking(personal or chosen):  # the room's new language, unless they chose their own
        now = _("This room's language is now {language}.")
        return Reply(now.format(language=spoken_name(chosen)))
