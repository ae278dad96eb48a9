"""Support, by anyone: of the movement (`support`), or of one statement (`support <id>`).
Only a keyed digest is kept, never the person's id: for a statement, a digest of the
statement and the person, so one person's support of two statements cannot be linked."""

from __future__ import annotations

from typing import Annotated

from natm_bot.api import Context, Reply, command, md_escape
from natm_bot.core.i18n import _, ngettext
from natm_bot.features.members.views import supporter_count
from natm_bot.features.statements import reading


class StatementIdArg:
    """A statement's id as typed, checked (whether it exists is the service's to say)."""

    async def convert(self, ctx: Context, text: str) -> str:
        """The id, or UsageError."""
        return reading.statement_id(text)


async def _movement(ctx: Context) -> Reply:
    """Support of the movement as a whole."""
    service = ctx.app.members
    added = await service.support(ctx.message.sender)
    count = supporter_count(await service.supporter_count())
    if not added:
        return Reply(
            _("You already support the movement: thank you! It now has {count}.").format(
                count=count
            )
        )
    text = _(
        "Thank you for supporting the {movement}! It now has {count}. Supporters are never "
        "listed: I keep only a keyed fingerprint of your Matrix id, from which no one can read "
        "it back. `{withdraw}` undoes it."
    )
    return Reply(
        text.format(
            movement=md_escape(ctx.content.about.name),
            count=count,
            withdraw=f"{ctx.prefix}support withdraw",
        )
    )


@command("support", aliases=("apoyar", "soutenir", "apoiar"))
async def support(
    ctx: Context, statement: Annotated[str | None, StatementIdArg()] = None
) -> Reply:
    """Declare yourself a supporter of the movement, or of a statement: {prefix}support data-refusal

    Only the count is ever shown. For a statement I keep a keyed fingerprint of the
    statement and your Matrix id together, from which no one can read your id back.
    """  # noqa: E501
    if statement is None:
        return await _movement(ctx)
    added, count = await ctx.app.statements.support(ctx.message.sender, statement)
    people = ngettext("{count} supporter", "{count} supporters", count).format(count=count)
    if not added:
        return Reply(
            _("You already support `{id}`: thank you! It has {count}.").format(
                id=statement, count=people
            )
        )
    return Reply(
        _(
            "Thank you for supporting `{id}`! It now has {count}. Only a keyed fingerprint "
            "is kept, never your Matrix id. `{withdraw}` undoes it."
        ).format(id=statement, count=people, withdraw=f"{ctx.prefix}support withdraw {statement}")
    )


@command("support withdraw")
async def support_withdraw(
    ctx: Context, statement: Annotated[str | None, StatementIdArg()] = None
) -> Reply:
    """Stop being counted as a supporter (of the movement, or of one statement)"""
    sender = ctx.message.sender
    if statement is not None:
        if await ctx.app.statements.unsupport(sender, statement):
            return Reply(_("Done: you no longer support `{id}`.").format(id=statement))
        return Reply(
            _("You did not support `{id}`, so there was nothing to withdraw.").format(id=statement)
        )
    if await ctx.app.members.withdraw_support(sender):
        return Reply(_("Done: you are no longer counted as a supporter."))
    return Reply(_("You were not counted as a supporter, so there was nothing to withdraw."))
