"""A throwaway local Synapse homeserver for the test suite, benchmarks and ``natm-bot demo``.

Everything the server needs lives in one directory owned by :class:`LocalSynapse`:

* ``homeserver.yaml``   – generated once, reused on every later start
* ``log.config.yaml``   – Python logging config (WARNING and above only)
* ``homeserver.log``    – Synapse's own log
* ``synapse.out``       – the process' stdout/stderr (appended on every start)
* ``signing.key``       – the server's ed25519 signing key
* ``homeserver.db``     – the sqlite database
* ``media_store/``      – uploaded media

The server listens on plain HTTP on 127.0.0.1 only, never federates and, unless asked
otherwise, has every rate limit raised so far that tests never hit one.

``files`` writes that directory, ``http`` talks to the server, ``server`` runs it.
"""

from natm_bot.testing.devserver.http import MatrixRequestError
from natm_bot.testing.devserver.server import LocalSynapse

__all__ = ["LocalSynapse", "MatrixRequestError"]
