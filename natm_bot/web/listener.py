"""The HTTP listener: `/healthz`, `/readyz` and `/metrics`, on the address in `http.listen`."""

from __future__ import annotations

import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from natm_bot.config.settings import HttpSection
from natm_bot.web.health import Readiness
from natm_bot.web.metrics import Metrics

log = logging.getLogger(__name__)


class ListenerError(Exception):
    """The listener cannot start (the port is taken, the address is not this machine's)."""


class Listener:
    """Serves the health checks and the metrics until stopped."""

    def __init__(self, section: HttpSection, metrics: Metrics, readiness: Readiness) -> None:
        self.section = section
        self._metrics = metrics
        self._readiness = readiness
        self.app = web.Application()
        self.app.router.add_get("/healthz", self._healthz)
        self.app.router.add_get("/readyz", self._readyz)
        self.app.router.add_get("/metrics", self._metrics_page)
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Listen; ListenerError when the address cannot be used."""
        # No access log: the requests say nothing worth keeping, and a log line per scrape
        # would drown what matters.
        runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.section.host, self.section.port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise ListenerError(f"cannot listen on {self.section.listen}: {exc}") from None
        self._runner = runner
        for address in runner.addresses:
            host, port = address[0], address[1]
            shown = f"[{host}]" if ":" in host else host
            log.info(
                "health and metrics on http://%s:%d (/healthz, /readyz, /metrics)", shown, port
            )

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def _readyz(self, request: web.Request) -> web.Response:
        problem = await self._readiness.problem()
        if problem is None:
            return web.Response(text="ready\n")
        return web.Response(status=503, text=f"not ready: {problem}\n")

    async def _metrics_page(self, request: web.Request) -> web.Response:
        return web.Response(
            body=self._metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )
