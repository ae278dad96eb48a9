"""A reply as a Matrix message: its notice content (plain body, HTML, mentions), cut to fit
in one event, and its relation to the command it answers or the thread it belongs in."""

from __future__ import annotations

import json
from typing import Any

from natm_bot.core.messages import Outgoing, Reply
from natm_bot.engine.rendering import render

# An event, encryption included, must fit in 65,536 bytes; Megolm's base64 adds about a third.
MAX_CONTENT_BYTES = 40_000
CUT_NOTE = "\n\n_(cut short: the whole answer does not fit in one message)_"


def _size(content: dict[str, Any]) -> int:
    return len(json.dumps(content, ensure_ascii=False).encode())


def message_content(reply: Reply) -> dict[str, Any]:
    """The notice content of a reply: plain body, HTML, explicit (usually empty) mentions."""
    markdown = reply.markdown
    while True:
        rendered = render(markdown)
        content: dict[str, Any] = {
            "msgtype": "m.notice",
            "body": rendered.body,
            "format": "org.matrix.custom.html",
            "formatted_body": rendered.html,
            "m.mentions": {"user_ids": list(reply.mentions)} if reply.mentions else {},
        }
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
