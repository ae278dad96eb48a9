"""`!group edit`: one field of a group changed from what a coordinator typed."""

from __future__ import annotations

from dataclasses import replace

from natm_bot.config.content import MAX_CAPACITY
from natm_bot.config.validation import ROOM_RE
from natm_bot.core.errors import UsageError
from natm_bot.core.i18n import _
from natm_bot.engine.arguments import counting_number
from natm_bot.features.groups.service import capacity_rule
from natm_bot.storage.groups import Group


def edited(group: Group, field: str, value: str) -> Group:
    """The group with one field changed as `!group edit` says, or a UsageError."""
    if field == "name":
        return replace(group, name=" ".join(value.split())[:80])
    if field == "description":
        return replace(group, description={**group.description, "en": value})
    if field == "room":
        if value.lower() == "none":
            return replace(group, room=None)
        if not ROOM_RE.match(value):
            raise UsageError(
                _("The room must be a room id (!abc:example.org) or alias (#x:example.org).")
            )
        return replace(group, room=value)
    if field == "capacity":
        if value.lower() == "none":
            return replace(group, capacity=None)
        capacity = counting_number(value, MAX_CAPACITY)
        if capacity is None:
            raise UsageError(capacity_rule())
        return replace(group, capacity=capacity)
    if field == "members":
        if value.lower() not in ("public", "coordinators"):
            raise UsageError(_("Who may see the member list: `public` or `coordinators`."))
        return replace(group, member_list=value.lower())
    aliases = tuple(dict.fromkeys(a.strip().lower() for a in value.split(",") if a.strip()))
    return replace(group, aliases=aliases)
