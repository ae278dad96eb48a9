"""Joining a working group by reacting to the bot's list or card of groups: 👍 (any skin
tone) on a group's card, a number keycap (1️⃣…🔟) on the list. Taking the reaction back
leaves nothing: leaving is a deliberate act."""

from __future__ import annotations

from natm_bot.core.messages import Card, EventId, Message, Outgoing, Reaction
from natm_bot.storage.rooms import GroupCards

THUMBS_UP = "\U0001f44d"
SKIN_TONES = frozenset(chr(c) for c in range(0x1F3FB, 0x1F400))
VARIATION = "\ufe0f"
KEYCAP = "\u20e3"
TEN = "\U0001f51f"


def is_thumbs_up(key: str) -> bool:
    """Whether a reaction key is 👍, with or without a skin tone (and emoji presentation)."""
    rest = key.removeprefix(THUMBS_UP)
    if rest == key:
        return False
    rest = rest.replace(VARIATION, "", 1) if rest.startswith(VARIATION) else rest
    return rest == "" or (len(rest) == 1 and rest in SKIN_TONES)


def keycap_number(key: str) -> int | None:
    """The number 1…10 a keycap reaction shows (1️⃣…9️⃣, 🔟), or None."""
    if key == TEN:
        return 10
    digit = key.removesuffix(KEYCAP).removesuffix(VARIATION)
    if digit == key or len(digit) != 1 or digit not in "123456789":
        return None
    return int(digit)


def chosen(card: Card, key: str) -> str | None:
    """The group a reaction with `key` chooses on a card or list, or None: 👍 on a card,
    a number on the list (within its length)."""
    if card.group is not None:
        return card.group if is_thumbs_up(key) else None
    number = keycap_number(key)
    if number is None or number > len(card.groups):
        return None
    return card.groups[number - 1]


async def join_by_reaction(cards: GroupCards, reaction: Reaction, prefix: str) -> Message | None:
    """The `join` command a reaction to a card or list stands for, typed by the one who
    reacted (with the reaction's event id, so it is answered once); None for any other
    reaction."""
    card = await cards.get(reaction.target)
    if card is None or card.room_id != reaction.room_id:
        return None
    group = chosen(Card(card.group_id, card.groups), reaction.key)
    if group is None:
        return None
    return reaction.typed(f"{prefix}join {group}")


async def keep_card(cards: GroupCards, out: Outgoing, event: EventId) -> None:
    """Keep the event a list or card of groups became, so reactions to it join."""
    card = out.reply.card
    if card is not None and card.statement is None:
        await cards.record(event, out.room_id, card.group, card.groups)
