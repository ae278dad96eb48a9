"""Delegates of member organisations: the people who vote for them in polls (admins only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from natm_bot.api import (
    CommandError,
    Context,
    NotFound,
    Perm,
    Reply,
    UsageError,
    UserId,
    command,
    md_escape,
)
from natm_bot.config.validation import MXID_RE
from natm_bot.core.i18n import N_, _
from natm_bot.core.text import fold
from natm_bot.features.members.service import Organisation
from natm_bot.features.members.views import bold, code

Action = Literal["add", "remove"]
# The action in each of the bot's languages, folded (case and accents).
_ACTIONS: dict[str, Action] = {
    **dict.fromkeys(("add", "anadir", "agregar", "ajouter", "adicionar"), "add"),
    **dict.fromkeys(("remove", "quitar", "eliminar", "retirer", "remover"), "remove"),
}
MAX_USER_ID = 255  # the Matrix specification's limit


class ActionArg:
    """`add` or `remove`, in any of the bot's languages."""

    async def convert(self, ctx: Context, text: str) -> Action:
        """The action meant, or UsageError."""
        action = _ACTIONS.get(fold(text))
        if action is None:
            raise UsageError(
                _("Write `add` or `remove`, not “{typed}”.").format(typed=md_escape(code(text)))
            )
        return action


@dataclass(frozen=True)
class Delegation:
    """An organisation and a person, as typed after the action."""

    org: Organisation
    user: UserId


def _unquoted(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1].strip()
    return text


async def _organisation(ctx: Context, text: str) -> Organisation:
    """The one organisation `text` names (its number or name), or a friendly error."""
    found = await ctx.app.members.find(text)
    if len(found) == 1:
        return found[0]
    shown = md_escape(code(text))
    if not found:
        raise NotFound(
            _("No member organisation is called “{typed}”. `{members}` finds its number.").format(
                typed=shown, members=f"{ctx.prefix}members {code(text)}"
            )
        )
    names = ", ".join(bold(org) for org in found[:5])
    raise CommandError(
        _("Several member organisations match “{typed}”: {names}. Use its number.").format(
            typed=shown, names=names
        )
    )


class DelegationArg:
    """`<organisation> @user`: the organisation by number or name, then a Matrix id."""

    rest = True

    async def convert(self, ctx: Context, text: str) -> Delegation:
        """The organisation and the person, or a clear error; the id is checked first."""
        org_text, _sep, user = text.strip().rpartition(" ")
        if not org_text.strip() or not user:
            raise UsageError(_("Name the organisation and then the person's Matrix id."))
        if len(user) > MAX_USER_ID or not MXID_RE.match(user):
            raise UsageError(
                _("“{typed}” is not a Matrix user id; write it like @name:example.org.").format(
                    typed=md_escape(code(user))
                )
            )
        org = await _organisation(ctx, _unquoted(org_text))
        return Delegation(org, UserId(user))


@command(
    "members delegate",
    aliases=("miembros delegado", "membres délégué", "membros delegado"),
    perm=Perm.ADMIN,
    usage=N_("add|remove <organisation> <@user>"),
)
async def members_delegate(
    ctx: Context,
    action: Annotated[str, ActionArg()],  # a Literal here would be read as fixed choices
    delegation: Annotated[Delegation, DelegationArg()],
) -> Reply:
    """Add or remove a delegate of a member organisation: {prefix}members delegate add 12 @ana:example.org

    A delegate votes for their organisation in polls where organisations vote (one vote per
    organisation, whichever of its delegates casts it). A person is the delegate of one
    organisation at most. The person whose application was approved is its first delegate.
    Only admins see who the delegates are, on the organisation's card (`{prefix}member 12`).
    """  # noqa: E501
    org, user = delegation.org, delegation.user
    members = ctx.app.members
    who, name = md_escape(user), bold(org)
    if action == "remove":
        await members.remove_delegate(org, user)
        text = _("{user} is no longer a delegate of {org}.").format(user=who, org=name)
        if not await members.delegates_of(org):
            text += " " + _("It has no delegate now, so it cannot vote in polls until it has one.")
        return Reply(text)
    if not await members.add_delegate(org, user):
        return Reply(
            _("{user} is already a delegate of {org}; nothing changed.").format(user=who, org=name)
        )
    return Reply(
        _("{user} is now a delegate of {org} and votes for it in polls of organisations.").format(
            user=who, org=name
        )
    )
