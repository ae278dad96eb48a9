"""The members directory: browse and search it, apply to it, look after it; and the count of
supporters (`support` is in commands/support.py)."""

from __future__ import annotations

import re

from babel.lists import format_list

from natm_bot.api import (
    CommandError,
    Context,
    FieldsError,
    NotFound,
    Perm,
    Reply,
    Rest,
    UsageError,
    UserId,
    command,
    md_escape,
    parse_fields,
)
from natm_bot.config.validation import FileProblems
from natm_bot.core.i18n import N_, _, locale, ngettext, speaking
from natm_bot.features.members.directory import Search
from natm_bot.features.members.fields import EDITABLE, FIELDS, MAX_DESCRIPTION
from natm_bot.features.members.notices import (
    APPLY_HELP,
    application_note,
    approved_note,
    rejected_note,
)
from natm_bot.features.members.service import Application, MemberService, Organisation
from natm_bot.features.members.views import (
    bold,
    card,
    code,
    delegates_note,
    found_title,
    line,
    navigation,
    pending_line,
    supporter_count,
    where,
)

# `page 2`, `p2`, or in Spanish and Portuguese `página 2`.
_PAGE_RE = re.compile(
    r"^(?P<rest>.*?)(?:^|\s+)(?:page\s*|p[aá]gina\s*|p)(?P<page>[0-9]{1,6})\s*$", re.I | re.S
)


def _split_page(text: str) -> tuple[str, int]:
    """`kenya page 2` → (`kenya`, 2); no page given is page 1."""
    match = _PAGE_RE.match(text.strip())
    if match is None:
        return text.strip(), 1
    page = int(match.group("page"))
    if page < 1:
        raise UsageError(_("Pages are numbered from 1."))
    return match.group("rest").strip(), page


def _none_found(ctx: Context, service: MemberService, result: Search) -> Reply:
    if result.kind != "words":
        title = found_title(service, result)
        return Reply(_("No member organisations in {title} yet.").format(title=title))
    ids = ", ".join(f"`{c.id}`" for c in service.categories)
    text = _(
        "No member organisation matches “{typed}”. Search by category ({ids}), by country "
        "(`KE` or `Kenya`) or with other words; `{all}` shows them all by category."
    )
    return Reply(text.format(typed=md_escape(result.value), ids=ids, all=f"{ctx.prefix}members"))


async def _overview(ctx: Context) -> Reply:
    service = ctx.app.members
    overview = await service.overview()
    p = ctx.prefix
    short = md_escape(ctx.content.about.short_name)
    hints = _(
        "Search: `{search}` · one organisation: `{one}` · list yours: `{apply}` · "
        "individuals: `{support}`"
    ).format(
        search=p + _("members <category | country | words>"),
        one=p + _("member <name>"),
        apply=f"{p}members apply",
        support=f"{p}support",
    )
    if not overview.total:
        return Reply(_("No member organisations are listed yet.") + f"\n\n{hints}")
    counts = [
        f"- {ctx.t(category.name)}: {count} (`{p}members {category.id}`)"
        for category, count in overview.counts
    ]
    newest = [
        _("- {org}, {where}, joined {date}").format(
            org=bold(org), where=where(service, org), date=org.joined.isoformat()
        )
        for org in overview.newest
    ]
    return Reply(
        _("**{short}'s member organisations: {total}**").format(short=short, total=overview.total)
        + "\n\n"
        + "\n".join(counts)
        + "\n\n**"
        + _("Newest members")
        + "**\n\n"
        + "\n".join(newest)
        + f"\n\n{hints}"
    )


async def _card(ctx: Context, org: Organisation) -> list[Reply]:
    """The organisation's card; for an admin, its delegates too (by direct message when
    asked in a room, so no one else reads them)."""
    service = ctx.app.members
    shown = card(service, org)
    if not await ctx.app.permissions.allows(Perm.ADMIN, ctx.message):
        return [Reply(shown)]
    note = delegates_note(org, await service.delegates_of(org), ctx.prefix)
    if ctx.message.is_direct:
        return [Reply(f"{shown}\n\n{note}")]
    return [Reply(shown), Reply(f"{bold(org)}\n\n{note}", to_user=ctx.message.sender)]


@command("members", aliases=("miembros", "membres", "membros"), usage=N_("[query…] [page N]"))
async def members(ctx: Context, query: Rest | None = None) -> Reply | list[Reply]:
    """Member organisations: how many, the newest, or a search

    `{prefix}members` alone counts them per category and shows the newest. With a query it lists
    (10 at a time) a category (`{prefix}members learning`), a country (`{prefix}members KE`,
    `{prefix}members kenya`), or the organisations whose name or description has every word
    (`{prefix}members community radio`). Add `page 2` for the next page.
    `{prefix}member <name>` shows one.

    Admins name each organisation's delegates, who vote for it in polls of organisations:
    `{prefix}members delegate add <organisation> @user` (and `remove`).
    """
    text, page = _split_page(query or "")
    if not text:
        return await _overview(ctx)
    service = ctx.app.members
    result = await service.search(text, page)
    if result.kind == "words" and page == 1 and (org := await service.exactly(text)):
        return await _card(ctx, org)
    if not result.total:
        return _none_found(ctx, service, result)
    command_text = f"members {code(result.value)}"
    if not result.items:
        last = f"{ctx.prefix}{command_text} page {result.pages}"
        raise CommandError(
            _("There is no page {page}: the results fill {pages}. The last one: `{last}`").format(
                page=page, pages=result.pages, last=last
            )
        )
    count = ngettext(
        "{count} member organisation", "{count} member organisations", result.total
    ).format(count=result.total)
    lines = "\n".join(line(service, org) for org in result.items)
    more = navigation(ctx.prefix, command_text, page, result.pages)
    return Reply(f"{found_title(service, result)}: {count}\n\n{lines}{more}")


@command("member", aliases=("org", "organisation", "organization"))
async def member(ctx: Context, name: Rest) -> Reply | list[Reply]:
    """One member organisation's card, by name or number: {prefix}member 12"""
    service = ctx.app.members
    found = await service.find(name)
    if len(found) == 1:
        return await _card(ctx, found[0])
    shown = md_escape(name[:80])
    if not found:
        raise NotFound(
            _(
                "No member organisation is called “{typed}”. Search names and descriptions "
                "with `{search}`."
            ).format(typed=shown, search=f"{ctx.prefix}members {code(name)}")
        )
    lines = "\n".join(f"- {bold(org)}, {where(service, org)}" for org in found[:10])
    more = "\n- " + _("… and more: add words to narrow it down") if len(found) > 10 else ""
    intro = _("Several member organisations match “{typed}”:").format(typed=shown)
    choose = _("Choose one by number, e.g. `{example}`.").format(
        example=f"{ctx.prefix}member {found[0].id}"
    )
    return Reply(f"{intro}\n\n{lines}{more}\n\n{choose}")


def _fields(text: str, allowed: tuple[str, ...]) -> dict[str, str]:
    """`key=value` pairs, with a reminder about quotes when some text was not a field."""
    try:
        return parse_fields(text, allowed)
    except FieldsError as exc:
        if not exc.stray:
            raise
        hint = _('Values with spaces go in double quotes: `name="Radio Libre"`.')
        raise UsageError(f"{exc} {hint}") from None


async def _application_notes(ctx: Context, application: Application) -> list[Reply]:
    """A note for each other admin, in that admin's language."""
    notes = []
    for admin in (a for a in ctx.config.bot.admins if a != ctx.message.sender):
        with speaking(await ctx.app.languages.for_person(admin)):
            text = application_note(ctx.app.members, application, ctx.prefix)
        notes.append(Reply(text, to_user=UserId(admin)))
    return notes


@command(
    "members apply",
    usage='name="…" category=… country=… website=… description="…" [languages=…] [contact=…]',
)
async def members_apply(ctx: Context, fields: Rest | None = None) -> list[Reply]:
    """Ask for your organisation to be listed as a member of the movement

    Fields (values with spaces in double quotes): `name`, `category` (one of those
    `{prefix}members` lists), `country` (`KE` or `Kenya`), `website`, `description` (one
    paragraph, at most 600 characters); optional `languages` (`en,sw`) and `contact` (a Matrix
    room or user, shown publicly). `{prefix}members apply` alone explains each one with an example.
    """
    if not fields or not fields.strip():
        ids = [f"`{c.id}`" for c in ctx.app.members.categories]
        categories = format_list(ids, style="or", locale=locale())
        text = _(APPLY_HELP).format(categories=categories, max=MAX_DESCRIPTION, prefix=ctx.prefix)
        title = _("Applying for your organisation to be listed")
        return [Reply(f"**{title}**\n\n{text}")]
    values = _fields(fields, FIELDS)
    application = await ctx.app.members.apply(values, ctx.message.sender)
    thanks = Reply(
        _(
            "Thank you! The application for **{name}** is queued as number {number}. An admin "
            "will look at it and I'll tell you the outcome in a direct message. Your Matrix id "
            "is kept with the application until then, and afterwards only if it is approved "
            "(you become the organisation's delegate)."
        ).format(name=md_escape(application.info.name), number=application.id)
    )
    return [thanks, *await _application_notes(ctx, application)]


@command("members pending", perm=Perm.ADMIN, usage=N_("[page N]"))
async def members_pending(ctx: Context, page: Rest | None = None) -> Reply:
    """The applications waiting for a decision (sent by direct message)"""
    rest, number = _split_page(page or "")
    if rest:
        raise UsageError(_("I did not expect “{text}” here.").format(text=md_escape(rest[:40])))
    service = ctx.app.members
    pending = await service.pending(number)
    if not pending.total:
        return Reply(_("No applications are waiting."), private=True)
    if not pending.items:
        raise CommandError(
            _("There is no page {page}: the applications fill {pages}.").format(
                page=number, pages=pending.pages
            )
        )
    lines = "\n".join(pending_line(service, a) for a in pending.items)
    p = ctx.prefix
    decide = _("Decide: `{approve}` or `{reject}`").format(
        approve=p + _("members approve <number>"), reject=p + _("members reject <number> [reason]")
    )
    more = navigation(ctx.prefix, "members pending", number, pending.pages)
    title = _("Applications waiting: {count}").format(count=pending.total)
    return Reply(f"**{title}**\n\n{lines}\n\n{decide}{more}", private=True)


@command("members approve", perm=Perm.ADMIN)
async def members_approve(ctx: Context, number: int) -> list[Reply]:
    """List the organisation of an application and tell the applicant: {prefix}members approve 4"""
    application, org = await ctx.app.members.approve(number)
    elsewhere = await ctx.app.members.delegate_of(application.applicant)
    first = elsewhere is None or elsewhere.id == org.id
    with speaking(await ctx.app.languages.for_person(application.applicant)):
        text = approved_note(org, ctx.content.about.name, ctx.prefix, delegate=first)
    told = Reply(text, to_user=UserId(application.applicant))
    done = _("{org} is now listed; I've told the applicant.").format(org=bold(org))
    if elsewhere is not None and not first:
        add = f"{ctx.prefix}members delegate add {org.id} @…"
        done += " " + _(
            "They are already the delegate of {other}, so {org} has no delegate yet: `{add}`"
        ).format(other=bold(elsewhere), org=bold(org), add=add)
    return [Reply(done), told]


@command("members reject", perm=Perm.ADMIN)
async def members_reject(ctx: Context, number: int, reason: Rest | None = None) -> list[Reply]:
    """Turn down an application and tell the applicant why: {prefix}members reject 4 No website yet"""  # noqa: E501
    application = await ctx.app.members.reject(number)
    name = md_escape(application.info.name)
    with speaking(await ctx.app.languages.for_person(application.applicant)):
        text = rejected_note(application, reason)
    told = Reply(text, to_user=UserId(application.applicant))
    done = Reply(
        _("Rejected application {number} (**{name}**); I've told the applicant.").format(
            number=number, name=name
        )
    )
    return [done, told]


@command("members edit", perm=Perm.ADMIN, usage=N_("<number> field=value…"))
async def members_edit(ctx: Context, number: int, fields: Rest) -> Reply:
    """Change fields of a listed organisation: {prefix}members edit <number> field=value…

    Fields: `name`, `category`, `country`, `languages`, `website`, `description`, `contact`
    (`none` clears it) and `joined` (YYYY-MM-DD). Example:
    `{prefix}members edit 12 country=KE website=https://example.org`
    """
    values = _fields(fields, EDITABLE)
    if not values:
        raise UsageError(_("Which fields? Write them as field=value."))
    org = await ctx.app.members.edit(number, values)
    changed = ", ".join(f"`{field}`" for field in values)
    return Reply(_("Updated {fields} of {org}.").format(fields=changed, org=bold(org)))


@command("members remove", perm=Perm.ADMIN)
async def members_remove(ctx: Context, number: int) -> Reply:
    """Take an organisation off the directory: {prefix}members remove 12"""
    org = await ctx.app.members.remove(number)
    return Reply(_("Removed {org} from the directory.").format(org=bold(org)))


@command("members import", perm=Perm.ADMIN)
async def members_import(ctx: Context) -> Reply:
    """Re-read data/members.yaml: add its organisations and update those listed by name"""
    path = ctx.app.data_dir / "members.yaml"
    try:
        outcome = await ctx.app.members.import_file(path)
    except FileProblems as exc:
        problems = "\n".join(f"- {md_escape(p)}" for p in exc.problems[:10])
        extra = len(exc.problems) - 10
        more = "\n- " + _("… and {count} more").format(count=extra) if extra > 0 else ""
        intro = _("members.yaml has problems; nothing was changed:")
        raise CommandError(f"{intro}\n\n{problems}{more}") from None
    added = ngettext(
        "{count} organisation added", "{count} organisations added", outcome.added
    ).format(count=outcome.added)
    return Reply(
        _("Imported members.yaml: {added}, {updated} updated.").format(
            added=added, updated=outcome.updated
        )
    )


@command("supporters", aliases=("simpatizantes", "soutiens", "apoiadores"))
async def supporters(ctx: Context) -> Reply:
    """How many people have declared their support"""
    count = await ctx.app.members.supporter_count()
    short = md_escape(ctx.content.about.short_name)
    return Reply(
        _("{short} has {count}. Join them: `{support}`").format(
            short=short, count=supporter_count(count), support=f"{ctx.prefix}support"
        )
    )
