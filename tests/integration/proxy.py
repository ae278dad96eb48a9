"""A counting HTTP reverse proxy to put between the bot and its homeserver.

It forwards every request to the upstream homeserver and, when that cannot be reached,
answers ``502 Bad Gateway`` at once — what a real reverse proxy (nginx, Caddy) in front of a
stopped Synapse does, and the answer that makes a naive sync loop spin. It notes when each
request arrived, so a test can tell how hard a client hammered the server.

The proxy runs its own event loop in a thread: its clock and answers do not depend on what
the test's event loop is busy with.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Self

import aiohttp
from aiohttp import web

# Headers that belong to one hop, or that aiohttp recomputes for the forwarded message.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "content-encoding",
    }
)


@dataclass
class Hit:
    """One request that reached the proxy."""

    at: float  # time.monotonic() when it arrived
    method: str
    path: str
    status: int | None = None  # what the proxy answered, once it has


class CountingProxy:
    """Forward ``http://127.0.0.1:<port>/…`` to ``upstream``; 502 when upstream is down."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.hits: list[Hit] = []
        self._port: int | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        """The base URL to give the client instead of the homeserver's."""
        if self._port is None:
            raise RuntimeError("the proxy is not running")
        return f"http://127.0.0.1:{self._port}"

    def hits_between(self, start: float, end: float) -> list[Hit]:
        """Requests that arrived in [start, end) (time.monotonic() values)."""
        return [hit for hit in list(self.hits) if start <= hit.at < end]

    def per_second(self, start: float, end: float) -> list[int]:
        """How many requests arrived in each whole second from `start` up to `end`."""
        buckets = [0] * max(1, int(end - start) + 1)
        for hit in self.hits_between(start, end):
            buckets[int(hit.at - start)] += 1
        return buckets

    # ----- lifecycle -------------------------------------------------------------------------

    def start(self, timeout: float = 10) -> Self:
        """Start serving in a background thread; returns once the port is bound."""
        self._thread = threading.Thread(target=self._run, name="counting-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the proxy did not start")
        if self._error is not None:
            raise RuntimeError("the proxy did not start") from self._error
        return self

    def stop(self, timeout: float = 10) -> None:
        """Stop serving and wait for the thread to end."""
        loop, stopping, thread = self._loop, self._stopping, self._thread
        if loop is not None and stopping is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop ended meanwhile
                loop.call_soon_threadsafe(stopping.set)
        if thread is not None:
            thread.join(timeout)
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:
            self._error = exc
            self._ready.set()
        finally:
            loop.close()

    async def _serve(self) -> None:
        self._stopping = asyncio.Event()
        # Long-polling syncs last up to the client's timeout (30 s) plus some: no read limit.
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=5, sock_read=None)
        async with aiohttp.ClientSession(timeout=timeout) as self._session:
            app = web.Application(client_max_size=100 * 1024 * 1024)
            app.router.add_route("*", "/{tail:.*}", self._forward)
            runner = web.AppRunner(app, handle_signals=False, access_log=None)
            await runner.setup()
            try:
                site = web.TCPSite(runner, "127.0.0.1", 0)
                await site.start()
                self._port = int(runner.addresses[0][1])
                self._ready.set()
                await self._stopping.wait()
            finally:
                await runner.cleanup()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        hit = Hit(time.monotonic(), request.method, request.path_qs)
        self.hits.append(hit)
        session = self._session
        assert session is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        try:
            async with session.request(
                request.method,
                self.upstream + request.path_qs,
                headers=headers,
                data=body or None,
                allow_redirects=False,
            ) as upstream:
                payload = await upstream.read()
                answer = web.Response(
                    status=upstream.status,
                    body=payload,
                    headers={
                        k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_BY_HOP
                    },
                )
        except (aiohttp.ClientError, OSError, TimeoutError):
            answer = web.Response(
                status=502,
                text="502 Bad Gateway: the homeserver is unreachable\n",
                content_type="text/plain",
            )
        hit.status = answer.status
        return answer
