"""How statements read in chat: the card of one, the list, and what endorsing answers."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from natm_bot.core.i18n import _, ngettext
from natm_bot.core.markdown import md_escape
from natm_bot.features.statements.service import Endorser, Standing, Statement
from natm_bot.storage.members import Organisation

# An organisation's country and category, in the reply language, escaped.
Describe = Callable[[Organisation], str]


def named(org: Organisation) -> str:
    """The organisation's name in bold, escaped."""
    return f"**{md_escape(org.info.name)}**"


def _names(endorsers: Sequence[Endorser], describe: Describe) -> list[str]:
    """One line per public endorser: name, country and category."""
    return [f"- {named(e.organisation)} ({describe(e.organisation)})" for e in endorsers]


def card(standing: Standing, describe: Describe, prefix: str) -> str:
    """One statement: its text, version, endorsing organisations and supporter count."""
    statement = standing.statement
    head = _("**{title}** (`{id}`), version {version}").format(
        title=md_escape(statement.title), id=statement.id, version=statement.version
    )
    text = md_escape(standing.text)
    if standing.original:
        text += " " + _("(original)")
    lines = [head, "", text, ""]
    current = standing.of("current")
    lines.append(
        ngettext(
            "Endorsed by {count} organisation:", "Endorsed by {count} organisations:",
            len(current),
        ).format(count=len(current))
    )  # fmt: skip
    lines += _private_or_named(current, describe)
    lines += _waiting(standing, describe)
    lines += ["", _supporters(standing, prefix)]
    return "\n".join(lines)


def _waiting(standing: Standing, describe: Describe) -> list[str]:
    """Endorsers of earlier versions: pending a confirmation, or listed under theirs only."""
    lines: list[str] = []
    pending = standing.of("pending")
    if pending:
        lines.append(
            _("Pending: endorsed an earlier version, asked to confirm version {version}:").format(
                version=standing.statement.version
            )
        )
        lines += _private_or_named(pending, describe)
    for version in sorted({e.version for e in standing.of("lapsed")}, reverse=True):
        lapsed = [e for e in standing.of("lapsed") if e.version == version]
        lines.append(_("Endorsed version {version} only:").format(version=version))
        lines += _private_or_named(lapsed, describe)
    return lines


def _private_or_named(endorsers: Sequence[Endorser], describe: Describe) -> list[str]:
    """Public endorsers by name, the others as a count."""
    lines = _names([e for e in endorsers if e.public], describe)
    private = sum(1 for e in endorsers if not e.public)
    if private:
        lines.append(
            "- " + ngettext(
                "{count} organisation that asked not to be named",
                "{count} organisations that asked not to be named", private,
            ).format(count=private)
        )  # fmt: skip
    return lines


def _supporters(standing: Standing, prefix: str) -> str:
    """The supporter count and how to support or endorse."""
    statement = standing.statement.id
    count = ngettext(
        "{count} person supports it.", "{count} people support it.", standing.supporters
    ).format(count=standing.supporters)
    how = _(
        "Support it: `{support}` · delegates of member organisations: `{endorse}` or react ✍️"
    ).format(support=f"{prefix}support {statement}", endorse=f"{prefix}endorse {statement}")
    return f"{count} {how}"


def listing(statements: Sequence[tuple[Statement, int]], prefix: str) -> str:
    """Every statement with its count of endorsing organisations."""
    if not statements:
        return _("No statements yet.")
    lines = [_("**Statements**")]
    for statement, count in statements:
        endorsed = ngettext("{count} organisation", "{count} organisations", count).format(
            count=count
        )
        lines.append(
            f"- **{md_escape(statement.title)}** · `{prefix}statement {statement.id}` · {endorsed}"
        )
    return "\n".join(lines)


def confirm_request(statement: Statement, endorser: Endorser, prefix: str) -> str:
    """To a delegate whose organisation endorsed an earlier version: confirm or withdraw."""
    return _(
        "Version {version} of the statement **{title}** is published. {org} endorsed version "
        "{old}: to endorse version {version} too, type `{confirm}` (here or in any room); to "
        "take the endorsement back, `{withdraw}`. Read it with `{read}`. Until then {org} is "
        "listed as pending."
    ).format(
        version=statement.version,
        title=md_escape(statement.title),
        org=named(endorser.organisation),
        old=endorser.version,
        confirm=f"{prefix}endorse {statement.id}",
        withdraw=f"{prefix}withdraw {statement.id}",
        read=f"{prefix}statement {statement.id}",
    )
