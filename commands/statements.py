"""Statements and campaigns that member organisations endorse: published and versioned by
admins, endorsed by organisations' delegates, supported by anyone (`support`)."""

from __future__ import annotations

from typing import Annotated

from natm_bot.api import Card, Context, Perm, Reply, Rest, command, parse_fields
from natm_bot.core.i18n import N_, _, speaking
from natm_bot.core.markdown import md_escape
from natm_bot.features.members.service import Organisation
from natm_bot.features.members.views import where
from natm_bot.features.statements import reading
from natm_bot.features.statements.service import Statement
from natm_bot.features.statements.views import card, confirm_request, listing, named


class StatementArg:
    """An existing statement by id; a friendly error when the id cannot be one or is none."""

    async def convert(self, ctx: Context, text: str) -> Statement:
        """The statement, or UsageError / NotFound."""
        return await ctx.app.statements.get(reading.statement_id(text))


class ShownArg:
    """`public` or `private`, in any of the bot's languages."""

    async def convert(self, ctx: Context, text: str) -> bool:
        """True for public."""
        return reading.shown(text)


async def _card(ctx: Context, statement: str) -> Reply:
    """A statement's card, in the reader's language; a ✍️ on it endorses."""
    standing = await ctx.app.statements.standing(statement, ctx.lang)

    def describe(org: Organisation) -> str:
        return where(ctx.app.members, org)

    return Reply(card(standing, describe, ctx.prefix), card=Card(statement=statement))


@command(
    "statement add",
    aliases=("declaracion anadir", "declaration ajouter", "declaracao adicionar"),
    perm=Perm.ADMIN,
    usage=N_('id=<id> title="…" text="…" [lang=en]'),
)
async def statement_add(ctx: Context, fields: Rest) -> Reply:
    """Publish a statement for member organisations to endorse: {prefix}statement add id=data-refusal title="We refuse" text="https://example.org/refusal"

    The text (or a link to it) is the original, in the bot's language unless `lang=` says
    otherwise; translations are added with `{prefix}statement edit <id> lang=es text=…`.
    """  # noqa: E501
    typed = parse_fields(fields, ("id", "title", "text", "lang"), ("id", "title", "text"))
    statement = reading.statement_id(typed["id"])
    language = reading.language(typed.get("lang") or ctx.config.bot.language)
    await ctx.app.statements.add(
        statement, reading.title(typed["title"]), reading.body(typed["text"]), language
    )
    return await _card(ctx, statement)


@command(
    "statement edit",
    aliases=("declaracion editar", "declaration modifier", "declaracao editar"),
    perm=Perm.ADMIN,
    usage=N_('<id> [text="…"] [lang=es] [title="…"]'),
)
async def statement_edit(
    ctx: Context, statement: Annotated[Statement, StatementArg()], fields: Rest
) -> list[Reply]:
    """Make a new version of a statement, add a translation or change its title: {prefix}statement edit data-refusal text="…"

    A new text (without `lang=`, or in the original's language) is a new version: the
    organisations that endorsed the earlier one are asked to confirm it, and are listed as
    pending until they do (`{prefix}endorse <id>` again). With `lang=es` the text is the
    current version's Spanish translation, not a new version.
    """  # noqa: E501
    typed = parse_fields(fields, ("text", "lang", "title"))
    service, note, asked = ctx.app.statements, "", []
    if typed.get("title"):
        await service.retitle(statement.id, reading.title(typed["title"]))
        note = _("Title changed.")
    if "text" in typed:
        text = reading.body(typed["text"])
        language = reading.language(typed.get("lang") or statement.language)
        if language == statement.language:
            version = await service.edit(statement.id, text)
            asked = await _ask_to_confirm(ctx, statement.id)
            note = _(
                "Version {version} published; the organisations that endorsed an earlier "
                "version are pending until they confirm it with `{command}`. I've asked "
                "their delegates by direct message."
            ).format(version=version, command=f"{ctx.prefix}endorse {statement.id}")
        else:
            await service.translate(statement.id, language, text)
            note = _("Translation kept.")
    if not note:
        return [Reply(_("Give `text=` or `title=`; nothing was changed."))]
    shown = Reply(f"{note}\n\n{(await _card(ctx, statement.id)).markdown}",
                  card=Card(statement=statement.id))  # fmt: skip
    return [shown, *asked]


async def _ask_to_confirm(ctx: Context, statement: str) -> list[Reply]:
    """A direct message to each delegate of every organisation now pending, in their
    language: the new version is out, confirm it or withdraw."""
    standing = await ctx.app.statements.standing(statement, ctx.lang)
    asked = []
    for endorser in standing.of("pending"):
        for delegate in await ctx.app.members.delegates_of(endorser.organisation):
            with speaking(await ctx.app.languages.for_person(delegate)):
                text = confirm_request(standing.statement, endorser, ctx.prefix)
            asked.append(Reply(text, to_user=delegate))
    return asked


@command("statement", aliases=("declaracion", "declaration", "declaracao"))
async def statement_show(ctx: Context, statement: Annotated[Statement, StatementArg()]) -> Reply:
    """Read a statement, who endorses it and how many support it: {prefix}statement data-refusal"""
    return await _card(ctx, statement.id)


@command("statements", aliases=("declaraciones", "declarations", "declaracoes"))
async def statements(ctx: Context) -> Reply:
    """The statements member organisations endorse"""
    service = ctx.app.statements
    counted = [(s, (await service.standing(s.id, ctx.lang)).counted) for s in await service.all()]
    return Reply(listing(counted, ctx.prefix))


@command(
    "endorse",
    aliases=("respaldar", "approuver", "endossar"),
    perm=Perm.DELEGATE,
    usage=N_("<id> [public|private]"),
)
async def endorse(
    ctx: Context,
    statement: Annotated[Statement, StatementArg()],
    shown: Annotated[bool | None, ShownArg()] = None,
) -> Reply:
    """Endorse a statement for your organisation (delegates): {prefix}endorse data-refusal

    Your organisation counts once, whichever of its delegates acts; `private` keeps its
    name off every list (it is counted, not named). Typed again after a new version, it
    confirms that version. Reacting ✍️ to the statement's card does the same.
    """
    done = await ctx.app.statements.endorse(ctx.message.sender, statement.id, shown)
    org, before = done.organisation, done.before
    if before is not None and before.version >= statement.version and shown is None:
        text = _("{org} already endorses version {version}; nothing changed.")
    elif before is not None and before.version < statement.version:
        text = _("{org} confirmed version {version}. Thank you!")
    else:
        text = _("{org} now endorses version {version}. Thank you!")
    reply = text.format(org=named(org), version=statement.version)
    public = before.public if shown is None and before is not None else shown is not False
    if not public:
        reply += " " + _("Its name is not shown; it is counted among the private ones.")
    return Reply(reply)


@command("withdraw", aliases=("retirar", "retirer"), perm=Perm.DELEGATE, usage=N_("<id>"))
async def withdraw(ctx: Context, statement: Annotated[Statement, StatementArg()]) -> Reply:
    """Take back your organisation's endorsement of a statement (delegates): {prefix}withdraw data-refusal"""  # noqa: E501
    org, had = await ctx.app.statements.withdraw(ctx.message.sender, statement.id)
    if not had:
        return Reply(
            _("{org} does not endorse `{id}`; nothing changed.").format(
                org=named(org), id=md_escape(statement.id)
            )
        )
    return Reply(
        _("{org} no longer endorses `{id}`.").format(org=named(org), id=md_escape(statement.id))
    )
