"""A reply as a Matrix message: its notice content (plain body, HTML, mentions), cut to fit
in one event, and its relation to the command it answers or the thread it belongs in."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from natm_bot.core.messages import Outgoing, Reply
from natm_bot.engine.rendering import render

# An event, encryption included, must fit in 65,536 bytes; Megolm's base64 adds about a third.
MAX_CONTENT_BYTES = 40_000
CUT_NOTE = "\n\n_(cut short: the whole answer does not fit in one message)_"
# `m.mentions` tells clients and servers whom a message mentions; present (even empty), it
# turns off the legacy push rules that look in its body for someone's display name, user
# name or "@room". Synapse checks it against a JSON schema on every message that has it,
# building the schema's validator anew each time: 1–3 ms more per message on a small
# server, paid by every reply. A notice that mentions nobody leaves it out when its body
# holds nothing those rules could match for anyone in the room.
ROOM_MENTION = "@room"
BIG_ROOM = 1000  # members beyond which their names are not looked for: m.mentions goes


def _size(content: dict[str, Any]) -> int:
    return len(json.dumps(content, ensure_ascii=False).encode())


def mention_names(users: Mapping[str, Any], own_id: str) -> frozenset[str] | None:
    """What legacy push rules look for in a body, for a room's members other than `own_id`
    (nio's `room.users`): their display names and user names, casefolded; None when the room
    is too big to look."""
    if len(users) > BIG_ROOM:
        return None
    names: set[str] = set()
    for user_id, user in users.items():
        if user_id != own_id:
            names.add(user_id[1:].partition(":")[0].casefold())
            names.add(str(getattr(user, "display_name", None) or "").casefold())
    names.discard("")
    return frozenset(names)


def may_ping(body: str, names: frozenset[str] | None) -> bool:
    """Whether a legacy rule could find a mention in `body` (each matches a whole word, so
    a name that is not even a part of it cannot match); True when the names are unknown."""
    folded = body.casefold()
    return names is None or ROOM_MENTION in folded or any(name in folded for name in names)


def message_content(reply: Reply, names: frozenset[str] | None = None) -> dict[str, Any]:
    """The notice content of a reply: plain body, HTML, and its mentions: the people it
    mentions, else empty when legacy rules could read a mention in its body for someone of
    `names` (see `mention_names`; None: unknown, so always), else none at all."""
    markdown = reply.markdown
    while True:
        rendered = render(markdown)
        content: dict[str, Any] = {
            "msgtype": "m.notice",
            "body": rendered.body,
            "format": "org.matrix.custom.html",
            "formatted_body": rendered.html,
        }
        if reply.mentions:
            content["m.mentions"] = {"user_ids": list(reply.mentions)}
        elif may_ping(rendered.body, names):
            content["m.mentions"] = {}
        if _size(content) <= MAX_CONTENT_BYTES:
            return content
        lines = markdown.removesuffix(CUT_NOTE).splitlines()
        keep = max(1, int(len(lines) * 0.8)) if len(lines) > 1 else 0
        if keep:
            markdown = "\n".join(lines[:keep]) + CUT_NOTE
        else:  # one enormous line: cut by characters
            markdown = markdown[: int(len(markdown) * 0.8)] + CUT_NOTE


def relate(content: dict[str, Any], out: Outgoing) -> dict[str, Any]:
    """Point the reply at its command, inside the command's thread when it came from one; a
    message that answers none but belongs in a thread goes there (with the fallback reply to
    the thread's root that clients without threads show)."""
    if out.in_reply_to is None or out.room_id != out.in_reply_to.room_id:
        if out.thread is None:
            return content
        thread = {
            "rel_type": "m.thread",
            "event_id": out.thread,
            "is_falling_back": True,
            "m.in_reply_to": {"event_id": out.thread},
        }
        return {**content, "m.relates_to": thread}
    target = out.in_reply_to.reply_target
    if out.in_reply_to.thread_id:
        relation = {
            "rel_type": "m.thread",
            "event_id": out.in_reply_to.thread_id,
            "is_falling_back": False,
            "m.in_reply_to": {"event_id": target},
        }
    else:
        relation = {"m.in_reply_to": {"event_id": target}}
    return {**content, "m.relates_to": relation}
