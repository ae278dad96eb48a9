"""From a message to replies: parse, find the command, permit, bind, run, report."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from natm_bot.config.settings import BotSection, SafetySection
from natm_bot.core.clock import Clock
from natm_bot.core.errors import CommandError, UsageError
from natm_bot.core.i18n import _, speaking
from natm_bot.core.messages import Message, Reply
from natm_bot.core.observer import SILENT, UNKNOWN_COMMAND, CommandOutcome, Observer
from natm_bot.core.trace import TRACE
from natm_bot.engine.arguments import bind, normalise
from natm_bot.engine.gate import REACHED, Judge, PermissionGate, Refused
from natm_bot.engine.ratelimit import RateLimiter
from natm_bot.engine.registry import CommandSpec, Perm, Registry
from natm_bot.engine.rendering import md_escape
from natm_bot.storage import StorageUnavailable

log = logging.getLogger(__name__)

# Records a privileged action: (actor, command name, the arguments typed).
AuditRecord = Callable[[str, str, str], Awaitable[None]]
# What a handler gets as its first argument, made for each message.
ContextFactory = Callable[[Message], object]
# The language the replies to a message are written in.
MessageLanguage = Callable[[Message], Awaitable[str]]
# The replies to a command and how it ended.
Answer = tuple[list[Reply], CommandOutcome]


def cannot_save(state: str) -> str:
    """What a person is told when the database cannot save their request right now."""
    return _(
        "Sorry, I can't save anything right now: my database is {state}. Nothing was "
        "changed; please try again in a few minutes. (Reading commands still work.)"
    ).format(state=_(state))


# A Matrix rich-reply fallback: quoted lines ("> …") then a blank line, before the new text.
_FALLBACK_RE = re.compile(r"\A(?:>[^\n]*\n)+\n")


@dataclass(frozen=True)
class Invocation:
    """A command-shaped message split into the name typed and the argument text."""

    typed: str
    spec: CommandSpec | None
    args: str


def strip_reply_fallback(body: str) -> str:
    """The text a person typed, without the quoted message a reply carries."""
    return _FALLBACK_RE.sub("", body, count=1)


def is_blocked(safety: SafetySection, user: str) -> bool:
    """On the block-list, by Matrix id or by server."""
    return user in safety.blocked_users or user.partition(":")[2] in safety.blocked_servers


class Dispatcher:
    """Turns command messages into replies; never lets an exception escape."""

    def __init__(
        self,
        registry: Registry,
        *,
        bot: BotSection,
        safety: SafetySection,
        clock: Clock,
        limiter: RateLimiter,
        gate: PermissionGate,
        audit: AuditRecord,
        context: ContextFactory,
        language: MessageLanguage,
        observer: Observer = SILENT,
    ) -> None:
        self._registry = registry
        self._bot = bot
        self._safety = safety
        self._clock = clock
        self._limiter = limiter
        self._gate = gate
        self._audit_record = audit
        self._context = context
        self._language = language
        self._observer = observer

    def parse(self, body: str) -> Invocation | None:
        """The invocation in `body`, or None when it is not a command."""
        prefix = self._bot.prefix
        text = normalise(strip_reply_fallback(body)).strip()
        if not text.startswith(prefix):
            return None
        rest = text[len(prefix) :]
        if not rest or rest[0].isspace() or rest.startswith(prefix):
            return None
        words = rest.split(maxsplit=2)
        registry = self._registry
        if len(words) >= 2 and (spec := registry.get(f"{words[0]} {words[1]}")):
            return Invocation(f"{words[0]} {words[1]}", spec, " ".join(words[2:]))
        name, _, args = rest.partition(" ")
        name = name.split("\n")[0]
        args = rest[len(name) :].strip()
        return Invocation(name, registry.get(name), args)

    async def dispatch(self, message: Message) -> list[Reply] | None:
        """Replies to a message, or None when the message is not a command at all.

        An empty list means: a command, deliberately left unanswered (rate limit)."""
        if is_blocked(self._safety, message.sender):
            return None
        limit = self._bot.max_input_length
        invocation = self.parse(message.body[: limit + 1])
        if invocation is None:
            return None
        with speaking(await self._language(message)):
            replies, outcome = await self._answer(message, invocation)
        name = invocation.spec.name if invocation.spec else UNKNOWN_COMMAND
        self._observer.command(name, outcome)
        TRACE.mark(message.event_id, "dispatch")
        return replies

    async def _answer(self, message: Message, invocation: Invocation) -> Answer:
        """The replies, after the rate limit and the length; never raises but cancellation."""
        # Judged by when it was typed (as the homeserver says, never in the future), so that
        # commands typed at a calm pace while the bot was away are not taken for a flood.
        typed = min(message.timestamp, self._clock.now())
        verdict = self._limiter.check(message.sender, typed)
        if verdict == "drop":
            return [], "rate-limited"
        if verdict == "warn":
            self._observer.rate_limited()
            slow_down = _("You are sending commands faster than I can answer; please slow down.")
            return [Reply(slow_down)], "rate-limited"
        limit = self._bot.max_input_length
        if len(message.body) > limit:
            too_long = _(
                "That message is too long for me to read; the limit is {limit} characters."
            ).format(limit=limit)
            return [Reply(too_long)], "refused"
        try:
            return await self._run(message, invocation)
        except asyncio.CancelledError:
            raise
        except StorageUnavailable as exc:
            log.info("could not save for a command: the database is %s", exc.state)
            return [Reply(cannot_save(exc.state))], "error"
        except Exception:
            ref = secrets.token_hex(4)
            name = invocation.spec.name if invocation.spec else "(unknown)"
            log.exception("command %s failed (ref %s)", name, ref)
            sorry = _("Sorry, something went wrong (ref {ref}). Please tell an admin.").format(
                ref=ref
            )
            return [Reply(sorry)], "error"

    async def _run(self, message: Message, invocation: Invocation) -> Answer:
        prefix = self._bot.prefix
        spec = invocation.spec
        if spec is None:
            return [self._unknown(invocation.typed)], "unknown"
        refusal = Reply(
            _("Sorry, only {who} can use `{command}`.").format(
                who=_(spec.perm.value), command=prefix + spec.name
            )
        )
        # Judged by the command words alone, before any argument is read or looked up.
        if not await self._gate.allows(spec.perm, message):
            return [refusal], "refused"
        dm_only = self._safety.admin_commands_only_in_dm
        if spec.perm is Perm.ADMIN and dm_only and not message.is_direct:
            dm_please = _("Admin commands work only in a direct message with me.")
            return [Reply(dm_please)], "refused"
        ctx = self._context(message)
        judge = self._reach(spec, message) if spec.perm in REACHED else None
        try:
            values = await bind(ctx, spec.params, invocation.args, judge)
            result = await spec.handler(ctx, **values)
        except Refused as exc:
            return [Reply(exc.why) if exc.why else refusal], "refused"
        except UsageError as exc:
            usage = _("Usage: `{usage}` · more: `{help}`").format(
                usage=spec.usage(prefix), help=f"{prefix}help {spec.name}"
            )
            return [Reply(f"{exc}\n\n{usage}")], "usage"
        except CommandError as exc:
            return [Reply(str(exc))], "usage"
        if spec.perm is not Perm.USER and spec.audited:
            await self._audit(message, spec.name, invocation.args)
        return (result if isinstance(result, list) else [result]), "ok"

    def _reach(self, spec: CommandSpec, message: Message) -> Judge:
        """What judges the arguments of a command whose level depends on what it reaches."""

        async def judge(values: Mapping[str, Any]) -> None:
            verdict = await self._gate.judge(spec.perm, message, values)
            if not verdict.allowed:
                raise Refused(verdict.why)

        return judge

    async def _audit(self, message: Message, name: str, args: str) -> None:
        """Record a privileged action; the action itself is done, so a storage fault here
        must not tell the person otherwise."""
        try:
            await self._audit_record(message.sender, name, args)
        except StorageUnavailable as exc:
            log.warning("audit entry for %s by a moderator lost: %s", name, exc)

    def _unknown(self, typed: str) -> Reply:
        prefix = self._bot.prefix
        close = self._registry.suggest(typed)
        shown = md_escape(prefix + typed[:40])
        if close:
            return Reply(
                _("I don't know {typed}. Did you mean `{command}`?").format(
                    typed=shown, command=prefix + close
                )
            )
        return Reply(
            _("I don't know {typed}. Type `{help}` to see what I can do.").format(
                typed=shown, help=prefix + "help"
            )
        )
