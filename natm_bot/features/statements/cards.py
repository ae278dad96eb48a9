"""Endorsing a statement by reacting ✍️ (any skin tone) to its card: the `endorse` command of
the one who reacted. Taking the reaction back changes nothing: withdrawing is a deliberate
act (`withdraw`)."""

from __future__ import annotations

from natm_bot.core.messages import EventId, Message, Outgoing, Reaction
from natm_bot.storage.statements import StatementStore

WRITING_HAND = "\u270d"
VARIATION = "\ufe0f"
SKIN_TONES = frozenset(chr(c) for c in range(0x1F3FB, 0x1F400))


def is_writing_hand(key: str) -> bool:
    """Whether a reaction key is ✍️, with or without emoji presentation or a skin tone."""
    rest = key.removeprefix(WRITING_HAND)
    if rest == key:
        return False
    rest = rest.removeprefix(VARIATION)
    return rest == "" or (len(rest) == 1 and rest in SKIN_TONES)


async def endorse_by_reaction(
    store: StatementStore, reaction: Reaction, prefix: str
) -> Message | None:
    """The `endorse` command a ✍️ on a statement's card stands for (with the reaction's
    event id, so it is answered once); None for any other reaction."""
    if not is_writing_hand(reaction.key):
        return None
    statement = await store.card(reaction.target, reaction.room_id)
    if statement is None:
        return None
    return reaction.typed(f"{prefix}endorse {statement}")


async def keep_statement_card(store: StatementStore, out: Outgoing, event: EventId) -> None:
    """Keep the event a statement's card became, so a ✍️ on it endorses."""
    card = out.reply.card
    if card is not None and card.statement is not None:
        await store.keep_card(event, out.room_id, card.statement)
