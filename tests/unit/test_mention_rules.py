"""A notice carries `m.mentions` only where it matters: when it mentions someone, or when a
legacy push rule (display name, user name, "@room") could find a mention in its body for
someone in the room."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from natm_bot.core.messages import Reply, UserId
from natm_bot.matrix.content import BIG_ROOM, may_ping, mention_names, message_content

BOT = "@natm-bot:example.org"


@dataclass
class Member:
    """What nio's MatrixUser holds that matters here."""

    display_name: str | None


def legacy_match(body: str, name: str) -> bool:
    """The legacy rules' test as Synapse runs it: the name as a whole word, any case."""
    return re.search(rf"(^|\W){re.escape(name)}(\W|$)", body, re.IGNORECASE) is not None


def test_a_text_that_names_nobody_in_the_room_goes_without_mentions() -> None:
    names = mention_names({BOT: Member("NATM bot"), "@alice:example.org": Member("Alice")}, BOT)
    content = message_content(
        Reply("**Principle 1 of 5**: data extraction is illegitimate."), names
    )
    assert "m.mentions" not in content
    assert content["body"] == "Principle 1 of 5: data extraction is illegitimate."


def test_a_member_named_in_the_text_or_room_ping_keeps_an_empty_mentions() -> None:
    users = {
        BOT: Member(None),
        "@alice:example.org": Member("Rosa P."),
        "@bob:x.org": Member(None),
    }
    names = mention_names(users, BOT)
    for text in ("Thanks, rosa p.!", "bob joined", "@room look", "@alice:example.org left"):
        assert message_content(Reply(text), names)["m.mentions"] == {}, text


def test_the_bots_own_name_does_not_count_and_unknown_rooms_always_carry_mentions() -> None:
    names = mention_names({BOT: Member("Principle")}, BOT)
    assert "m.mentions" not in message_content(Reply("Principle 1"), names)
    assert message_content(Reply("Principle 1"), None)["m.mentions"] == {}
    big = {f"@u{i}:example.org": Member(None) for i in range(BIG_ROOM + 1)}
    assert mention_names(big, BOT) is None


def test_people_mentioned_are_listed_whatever_the_text() -> None:
    reply = Reply("Coordinators, please look.", mentions=(UserId("@coord:example.org"),))
    content = message_content(reply, frozenset())
    assert content["m.mentions"] == {"user_ids": ["@coord:example.org"]}


names_strategy = st.lists(st.text(min_size=0, max_size=12), max_size=6)


@given(text=st.text(max_size=80), display=names_strategy, locals_=names_strategy)
def test_no_legacy_mention_is_ever_left_unguarded(
    text: str, display: list[str], locals_: list[str]
) -> None:
    users = {
        f"@{local}:example.org": Member(name or None)
        for local, name in zip(locals_, display, strict=False)
    }
    content = message_content(Reply(text), mention_names(users, BOT))
    body = content["body"]
    candidates = [n for u, m in users.items() for n in (m.display_name, u[1:].partition(":")[0])]
    legacy = "@room" in body.casefold() or any(legacy_match(body, n) for n in candidates if n)
    if legacy:
        assert content["m.mentions"] == {}


@given(st.text(min_size=1, max_size=60))
def test_a_name_inside_a_body_is_always_found(name: str) -> None:
    body = f"before {name} after"
    names = mention_names({"@someone:example.org": Member(name or None)}, BOT)
    assert may_ping(body, names)
