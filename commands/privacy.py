"""Your data: see what the bot keeps about you, and have it erased. And the audit log."""

from __future__ import annotations

from typing import Literal

from natm_bot.api import Context, Perm, Reply, command, md_escape
from natm_bot.core.i18n import _, ngettext
from natm_bot.features.groups.notices import announce_promotions
from natm_bot.features.privacy.views import render_report


async def _report(ctx: Context, user: str) -> str:
    """What the bot keeps about the person, as the !mydata answer reads."""
    return render_report(await ctx.app.privacy.report(user), ctx.prefix)


async def _promotions(ctx: Context, promotions: tuple[tuple[str, str], ...]) -> list[Reply]:
    """Notices for people who moved up a waitlist (group id, person), and coordinators."""
    groups = {g.id: g for g in await ctx.app.groups.all()}
    mode = ctx.config.groups.notify_coordinators
    replies: list[Reply] = []
    for group_id, person in promotions:
        replies += await announce_promotions(
            ctx.app.groups, ctx.app.languages, mode, groups[group_id], (person,)
        )
    return replies


@command("mydata", aliases=("misdatos", "mesdonnées", "meusdados", "privacy"))
async def mydata(ctx: Context) -> Reply:
    """Everything I keep about you, sent by direct message"""
    return Reply(await _report(ctx, ctx.message.sender), private=True)


@command("forgetme", aliases=("olvídame", "oubliemoi", "oublie-moi", "esquecame", "esqueça-me"))
async def forgetme(ctx: Context, confirm: Literal["confirm"] | None = None) -> list[Reply]:
    """Erase everything I keep about you (asks for confirmation first)

    `{prefix}forgetme` explains what will go; `{prefix}forgetme confirm` within 10 minutes erases
    it: your sign-ups and waitlist places, meeting answers, time zone, language, applications,
    coordinator roles, the organisation you are a delegate of, your votes in polls, and
    support. Only anonymous counts remain.
    """
    privacy, user, now = ctx.app.privacy, ctx.message.sender, ctx.app.clock.now()
    if confirm is None or not privacy.confirmed(user, now):
        privacy.ask_to_confirm(user, now)
        report = await _report(ctx, user)
        ask = _(
            "To erase all of this for good, send `{command}` within 10 minutes. Nothing can be "
            "recovered afterwards."
        ).format(command=f"{ctx.prefix}forgetme confirm")
        ask = f"{report}\n\n{ask}"
        return [Reply(ask, private=True)]
    forgotten = await privacy.forget(user)
    replies = [
        Reply(
            _(
                "Done: I have erased everything I kept about you. Group and supporter counts no "
                "longer include you (supporters stay counted anonymously)."
            ),
            private=True,
        )
    ]
    return replies + await _promotions(ctx, forgotten.promotions)


@command("audit", perm=Perm.ADMIN, audited=False)
async def audit(ctx: Context, count: int | None = None) -> Reply:
    """The latest admin, coordinator and moderator actions (by direct message): {prefix}audit [n]"""  # noqa: E501
    wanted = max(1, min(count or 20, 100))
    entries = await ctx.app.privacy.recent_actions(wanted)
    if not entries:
        return Reply(_("The audit log is empty."), private=True)
    lines = [
        f"- {e.at:%Y-%m-%d %H:%M} UTC · {md_escape(e.actor)} · `{ctx.prefix}{e.command}` "
        f"{md_escape(e.detail[:120])}"
        for e in entries
    ]
    title = ngettext(
        "The last privileged action", "The last {count} privileged actions", len(entries)
    ).format(count=len(entries))
    return Reply(f"**{title}**\n\n" + "\n".join(lines), private=True)
