"""What users could abuse: echoed text, invitations, edits and rich-reply fallbacks."""

from __future__ import annotations

import urllib.parse
from collections.abc import Awaitable, Callable

from natm_bot.testing.devserver import LocalSynapse
from tests.integration.conftest import BotFactory
from tests.integration.people import BotProcess, Person

People = Callable[[str], Awaitable[Person]]


async def _room(alice: Person, bot: BotProcess, others: tuple[str, ...] = ()) -> str:
    room = await alice.create_room([bot.user_id, *others])
    await alice.wait_joined(room, bot.user_id)
    return room


async def test_echoed_room_ping_and_html_are_inert(
    people: People, bot_process: BotProcess, synapse: LocalSynapse
) -> None:
    alice, bob = await people("alice"), await people("bob")
    await bot_process.start()
    room = await _room(alice, bot_process, (bob.mxid,))
    await bob.client.join(room)
    await alice.wait_joined(room, bob.mxid)
    hostile = (
        '@room <b>bold</b> <img src=x onerror="alert(1)"> <a href="https://evil.example">NATM</a>'
        " [NATM](https://evil.example) https://matrix.to/#/@admin:localhost"
    )
    command = await alice.say(room, f"!readings {hostile}")
    reply = await alice.reply(room, command, bot_process.user_id)
    content = reply.source["content"]
    assert content["m.mentions"] == {}
    assert "@room" in content["body"]
    assert "<b>" not in content["formatted_body"] and "<img" not in content["formatted_body"]
    assert "&lt;b&gt;bold&lt;/b&gt;" in content["formatted_body"]
    assert "<a " not in content["formatted_body"]
    # A member's name, read by the legacy rules as a mention, keeps `m.mentions` empty too;
    # a text that names nobody in the room goes without (Synapse checks it slowly).
    await bob.client.set_displayname("Rosa Parks Fan")
    renamed = alice.client.rooms[room].users[bob.mxid]
    await alice.wait_for(lambda: renamed.display_name == "Rosa Parks Fan", "bob renamed")
    named = await alice.reply(
        room, await alice.say(room, "!readings rosa parks fan"), bot_process.user_id
    )
    assert "rosa parks fan" in named.source["content"]["body"]
    assert named.source["content"]["m.mentions"] == {}
    plain = await alice.reply(room, await alice.say(room, "!readings zzz"), bot_process.user_id)
    assert "m.mentions" not in plain.source["content"]
    assert "matrix.to/#" not in content["formatted_body"] and "matrix.to/#" not in content["body"]
    # Bob's client must have seen the reply, and the homeserver raised no notification for it.
    await bob.wait_for(lambda: bob.replies_to(room, command, bot_process.user_id), "the reply")
    token = bob.client.access_token
    notifications = synapse.admin_request("GET", "/_matrix/client/v3/notifications", token)
    notified = {n["event"]["event_id"] for n in notifications["notifications"]}
    assert reply.event_id not in notified


async def test_invites_only_from_the_allow_list(
    people: People, make_bot: BotFactory, synapse: LocalSynapse
) -> None:
    friend, stranger = await people("friend"), await people("stranger")
    bot = make_bot(invites={"allowed_users": [friend.mxid]})
    await bot.start()
    refused = await stranger.create_room([bot.user_id])
    accepted = await friend.create_room([bot.user_id])
    await friend.wait_joined(accepted, bot.user_id)
    await stranger.wait_for(
        lambda: bot.user_id not in stranger.client.rooms[refused].users,
        "the bot to reject the invite",
    )
    path = f"/_synapse/admin/v1/rooms/{urllib.parse.quote(refused)}/members"
    members = synapse.admin_request("GET", path, synapse.admin_token())["members"]
    assert bot.user_id not in members
    assert f"rejected invite to {refused} from {stranger.mxid}" in bot.log_text()


async def test_an_edit_is_applied_once_and_fallbacks_are_not_commands(
    people: People, bot_process: BotProcess
) -> None:
    alice = await people("alice")
    await bot_process.start()
    room = await _room(alice, bot_process)
    typo = await alice.say(room, "!pricniples")
    await alice.reply(room, typo, bot_process.user_id)  # "did you mean"
    edit = {
        "m.new_content": {"msgtype": "m.text", "body": "!principles 4"},
        "m.relates_to": {"rel_type": "m.replace", "event_id": typo},
    }
    await alice.say(room, "* !principles 4", extra=edit)
    await alice.wait_for(
        lambda: len(alice.replies_to(room, typo, bot_process.user_id)) == 2, "the edited answer"
    )
    second_edit = {**edit, "m.new_content": {"msgtype": "m.text", "body": "!principles 5"}}
    await alice.say(room, "* !principles 5", extra=second_edit)
    quoted = "> <@bob:localhost> !principles\n\nI agree with this"
    reply_fallback = {"m.relates_to": {"m.in_reply_to": {"event_id": typo}}}
    fallback = await alice.say(room, quoted, extra=reply_fallback)
    sentinel = await alice.say(room, "!help")
    await alice.reply(room, sentinel, bot_process.user_id)
    answers = [
        e.source["content"]["body"] for e in alice.replies_to(room, typo, bot_process.user_id)
    ]
    assert len(answers) == 2
    assert "Did you mean" in answers[0] and "Other platforms are possible." in answers[1]
    assert alice.replies_to(room, fallback, bot_process.user_id) == []


async def test_notices_and_own_messages_are_never_answered(
    people: People, bot_process: BotProcess
) -> None:
    alice = await people("alice")
    await bot_process.start()
    room = await _room(alice, bot_process)
    notice = await alice.client.room_send(
        room, "m.room.message", {"msgtype": "m.notice", "body": "!principles"}
    )
    sentinel = await alice.say(room, "!help")
    await alice.reply(room, sentinel, bot_process.user_id)
    assert alice.replies_to(room, notice.event_id, bot_process.user_id) == []
    bot_says = [
        e.source["content"]
        for e in alice.events[room]
        if e.sender == bot_process.user_id and "body" in e.source.get("content", {})
    ]
    assert bot_says and all(content["msgtype"] == "m.notice" for content in bot_says)
