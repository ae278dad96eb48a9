"""Polls as people read them: the card, the native poll, the outcome, the lists."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from natm_bot.calendar.timeutil import full_time
from natm_bot.core.i18n import N_, _, ngettext
from natm_bot.core.markdown import md_escape
from natm_bot.core.messages import NativePoll
from natm_bot.features.polls.counting import Kind, Outcome, Slot
from natm_bot.storage.polls import Poll

PROPOSAL_LABELS = (N_("Agree"), N_("Abstain"), N_("Disagree"), N_("Block"))
KIND_NAMES = {
    "proposal": N_("Proposal"),
    "choice": N_("Poll"),
    "multiple": N_("Poll (several answers)"),
    "time": N_("Find a time"),
}


def instant(poll: Poll, index: int) -> datetime:
    """The time a time poll's option stands for."""
    return datetime.fromisoformat(poll.options[index])


def option_text(poll: Poll, index: int, tz_name: str) -> str:
    """An option as the reader sees it: a proposal's word in their language, a time in
    their zone, or the option as typed."""
    if poll.kind == Kind.PROPOSAL:
        return _(PROPOSAL_LABELS[index])
    if poll.kind == Kind.TIME:
        return full_time(instant(poll, index), tz_name)
    return poll.options[index]


def native(poll: Poll, prefix: str) -> NativePoll:
    """The poll as a native Matrix poll, in the language in force (the room's)."""
    answers = tuple(
        (str(i + 1), option_text(poll, i, poll.timezone)[:100]) for i in range(len(poll.options))
    )
    question = _("{question} (poll #{number})").format(question=poll.question, number=poll.id)
    lines = [question, *(f"{i}. {text}" for i, text in answers)]
    lines.append(
        _("Vote with `{example}` if your app does not show polls.").format(
            example=f"{prefix}vote {poll.id} 1"
        )
    )
    return NativePoll(
        question=question,
        answers=answers,
        max_selections=poll.max_choices,
        disclosed=not poll.hidden,
        fallback="\n".join(lines),
    )


def electorate_text(poll: Poll, size: int) -> str:
    """Who may vote, in words."""
    if poll.voters == "organisations":
        return ngettext(
            "one vote per member organisation ({count} organisation), cast by its delegates",
            "one vote per member organisation ({count} organisations), cast by its delegates",
            size,
        ).format(count=size)
    return ngettext(
        "the room's members when the poll opened ({count} person)",
        "the room's members when the poll opened ({count} people)",
        size,
    ).format(count=size)


def _rule_lines(poll: Poll) -> list[str]:
    lines = []
    if poll.quorum:
        lines.append(_("Quorum: {quorum} of those who may vote.").format(quorum=poll.quorum))
    if poll.threshold:
        lines.append(
            _("Passes with {threshold} of the votes cast (abstentions aside).").format(
                threshold=poll.threshold
            )
        )
    if poll.secret:
        lines.append(_("Secret ballot: vote in a direct message to me; one vote each, final."))
    elif poll.hidden:
        lines.append(_("Results are hidden until the poll closes."))
    return lines


def card(
    poll: Poll,
    result: Outcome,
    *,
    tz_name: str,
    prefix: str,
    slots: Sequence[Slot] = (),
) -> str:
    """`!poll N`: the question, the options, who may vote, how many voted, the close in
    the reader's zone, and the results when they may be seen."""
    kind = _(KIND_NAMES[poll.kind])
    lines = [f"**{kind} #{poll.id}: {md_escape(poll.question)}**", ""]
    shown = poll.state != "open" or not poll.hidden
    for index in range(len(poll.options)):
        text = md_escape(option_text(poll, index, tz_name))
        count = f" — {result.counts[index]}" if shown and index < len(result.counts) else ""
        lines.append(f"{index + 1}. {text}{count}")
    lines.append("")
    lines.append(_("Who may vote: {who}.").format(who=electorate_text(poll, result.electorate)))
    lines.append(
        _("Voted so far: {voted} of {electorate}.").format(
            voted=result.voted, electorate=result.electorate
        )
    )
    lines += _rule_lines(poll)
    lines.append(_state_line(poll, tz_name))
    if poll.state == "open":
        lines.append(_("Vote: `{example}`.").format(example=f"{prefix}vote {poll.id} 1"))
    elif poll.state == "closed":
        lines += ["", outcome_text(poll, result, tz_name=tz_name, slots=slots)]
    return "\n".join(lines)


def _state_line(poll: Poll, tz_name: str) -> str:
    when = full_time(poll.closes_at, tz_name)
    if poll.state == "cancelled":
        return _("Cancelled.")
    if poll.state == "closed":
        return _("Closed {when}.").format(when=when)
    return _("Closes {when}.").format(when=when)


def outcome_text(poll: Poll, result: Outcome, *, tz_name: str, slots: Sequence[Slot] = ()) -> str:
    """The outcome in a few lines: passed or not, the winner, the counts."""
    counts = ", ".join(
        f"{md_escape(option_text(poll, i, tz_name))}: {c}" for i, c in enumerate(result.counts)
    )
    header = _("Outcome of poll #{number} ({question}):").format(
        number=poll.id, question=md_escape(poll.question)
    )
    lines = [f"**{header}** {_verdict(poll, result, tz_name)}"]
    lines.append(
        _("{voted} of {electorate} voted. {counts}.").format(
            voted=result.voted, electorate=result.electorate, counts=counts
        )
    )
    for person, reason in result.blocks:
        because = f": {md_escape(reason)}" if reason else ""
        lines.append(
            _("Blocked by {person}{because}").format(person=md_escape(person), because=because)
        )
    for slot in slots[:5]:
        lines.append(slot_line(poll, slot, tz_name))
    return "\n".join(lines)


def slot_line(poll: Poll, slot: Slot, tz_name: str) -> str:
    """One time of a time poll, ranked: who can make it, and for how many it falls outside
    08:00–22:00 of their day."""
    return "- " + _("{when}: {available} can make it, outside 08–22 for {outside}").format(
        when=full_time(slot.at, tz_name), available=slot.available, outside=slot.outside_hours
    )


def _verdict(poll: Poll, result: Outcome, tz_name: str) -> str:
    if not result.quorum_reached:
        return _("quorum not reached ({voted}/{electorate}).").format(
            voted=result.voted, electorate=result.electorate
        )
    if poll.kind == Kind.PROPOSAL:
        if result.blocks:
            return _("not passed: blocked.")
        return _("passed.") if result.passed else _("not passed.")
    if not result.winners:
        return _("no votes.")
    names = ", ".join(md_escape(option_text(poll, i, tz_name)) for i in result.winners)
    if len(result.winners) > 1:
        return _("a tie between {options}.").format(options=names)
    if result.passed is False:
        return _("{option} has the most votes but not the share needed.").format(option=names)
    return _("{option}.").format(option=names)


def listing(polls: Sequence[Poll], tz_name: str, prefix: str) -> str:
    """`!polls`: open polls and those closed lately, one line each."""
    if not polls:
        return _("No polls in this room lately. `{example}` explains how to open one.").format(
            example=f"{prefix}help poll"
        )
    lines = ["**" + _("Polls in this room") + "**", ""]
    for poll in polls:
        lines.append(f"- #{poll.id} {md_escape(poll.question)}: {_state_line(poll, tz_name)}")
    return "\n".join(lines)


def decisions(
    polls: Sequence[Poll], outcomes: Mapping[int, Outcome], page: int, pages: int, tz_name: str
) -> str:
    """`!decisions`: past outcomes, newest first."""
    if not polls:
        return _("No decisions yet.")
    lines = ["**" + _("Decisions (page {page} of {pages})").format(page=page, pages=pages) + "**"]
    for poll in polls:
        lines += ["", outcome_text(poll, outcomes[poll.id], tz_name=tz_name)]
    return "\n".join(lines)


def reminder(poll: Poll, result: Outcome, tz_name: str, prefix: str) -> str:
    """Before the close: how many voted, never who has not."""
    return _(
        "Poll #{number} ({question}) closes {when}: {voted} of {electorate} have voted. "
        "`{example}` shows it."
    ).format(
        number=poll.id,
        question=md_escape(poll.question),
        when=full_time(poll.closes_at, tz_name),
        voted=result.voted,
        electorate=result.electorate,
        example=f"{prefix}poll {poll.id}",
    )


def zone_of(name: str | None, fallback: str) -> str:
    """A zone name that exists, else the fallback."""
    try:
        return ZoneInfo(name).key if name else fallback
    except (ValueError, OSError, KeyError):
        return fallback
