"""A vote as typed (`!vote 3 agree because…`, `!vote 4 1 3`), and the counting rules of a
stored poll."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from natm_bot.core.errors import UsageError
from natm_bot.core.i18n import _
from natm_bot.core.text import fold, one_line
from natm_bot.features.polls.counting import Kind, Quorum, Rules
from natm_bot.storage.polls import Poll

# A proposal's options by the words people type, in the four languages.
PROPOSAL_WORDS: dict[str, int] = {
    **dict.fromkeys(
        ("agree", "yes", "de acuerdo", "a favor", "pour", "d'accord", "de acordo", "sim"), 0
    ),
    **dict.fromkeys(("abstain", "abstention", "abstengo", "abstencion", "abstencao"), 1),
    **dict.fromkeys(
        ("disagree", "no", "en desacuerdo", "desacuerdo", "en contra", "contre",
         "pas d'accord", "contra", "em desacordo", "nao"),
        2,
    ),
    **dict.fromkeys(("block", "bloqueo", "bloquear", "blocage", "bloquer", "bloqueio"), 3),
}  # fmt: skip
_NUMBERS_RE = re.compile(r"^\s*(\d{1,3}(?:\s*[,\s]\s*\d{1,3})*)(?=\s|$)")
MAX_REASON = 500


@dataclass(frozen=True)
class Choice:
    """The options picked (0-based) and the reason given."""

    options: tuple[int, ...]
    reason: str


def _numbers(poll: Poll, text: str) -> Choice | None:
    match = _NUMBERS_RE.match(text)
    if match is None:
        return None
    picked = [int(n) for n in re.split(r"[,\s]+", match.group(1).strip())]
    if any(not 1 <= n <= len(poll.options) for n in picked):
        raise UsageError(
            _("Poll #{number} has options 1 to {count}.").format(
                number=poll.id, count=len(poll.options)
            )
        )
    options = tuple(dict.fromkeys(n - 1 for n in picked))
    return Choice(options, one_line(text[match.end() :]).strip()[:MAX_REASON])


def _words(poll: Poll, text: str) -> Choice | None:
    """The longest run of leading words that names an option; the rest is the reason."""
    words = text.split()
    names = PROPOSAL_WORDS if poll.kind == Kind.PROPOSAL else {}
    texts = {fold(option): index for index, option in enumerate(poll.options)}
    for end in range(len(words), 0, -1):
        typed = fold(" ".join(words[:end]))
        found = names.get(typed, texts.get(typed))
        if found is not None:
            return Choice((found,), one_line(" ".join(words[end:])).strip()[:MAX_REASON])
    return None


def read_choice(poll: Poll, typed: str) -> Choice:
    """The options a typed vote names (numbers, or an option's words); UsageError when it
    names none or too many."""
    text = one_line(typed).strip()
    choice = _numbers(poll, text) or _words(poll, text)
    if choice is None or not choice.options:
        raise UsageError(
            _("Which option? Vote with its number (1 to {count}) or its words.").format(
                count=len(poll.options)
            )
        )
    if len(choice.options) > poll.max_choices:
        raise UsageError(
            _("Poll #{number} takes at most {most} options.").format(
                number=poll.id, most=poll.max_choices
            )
        )
    return choice


def quorum_of(text: str) -> Quorum | None:
    """The stored quorum (`50%`, `12`, ``) as the counting reads it."""
    if not text:
        return None
    if text.endswith("%"):
        return Quorum(share=Fraction(int(text[:-1]), 100))
    return Quorum(count=int(text))


def rules_of(poll: Poll, closes_at: datetime | None = None) -> Rules:
    """The counting rules of a stored poll."""
    return Rules(
        kind=Kind(poll.kind),
        options=len(poll.options),
        max_choices=poll.max_choices,
        quorum=quorum_of(poll.quorum),
        threshold=Fraction(poll.threshold) if poll.threshold else None,
        closes_at=closes_at or poll.closes_at,
    )
