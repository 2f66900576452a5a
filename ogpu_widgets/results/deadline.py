"""One deadline for a whole HTTP exchange: the HTTP sessions of the results room, whose
connections are watched by the :class:`~.policy.Limits` of the fetch they serve.

A socket time-out bounds each read, not the response: a server that sends its status line or
its body one byte a second never trips it. So every connection a request uses (a new one as it
connects, a kept-alive one as it sends) is handed to the current thread's ``Limits``
(:func:`exchange`), and :meth:`~.policy.Limits.expire`, called by the thread that runs the fetch
when its deadline comes (``results.workers``), shuts those sockets down: the blocked read returns
at once, in the header phase (``http.client``) as in the body, and the worker is free.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

__all__ = ["exchange", "new_session"]

_current = threading.local()


@contextlib.contextmanager
def exchange(limits: Any) -> Iterator[None]:
    """Requests made by this thread inside the block are watched by ``limits``."""
    previous = getattr(_current, "limits", None)
    _current.limits = limits
    try:
        yield
    finally:
        _current.limits = previous
        limits.release()


def _watch(conn: Any) -> None:
    limits = getattr(_current, "limits", None)
    if limits is not None:
        limits.watch(conn)


class _HTTPConnection(HTTPConnection):
    """Watched as it connects (before a TLS handshake starts on the socket) and as it sends."""

    def _new_conn(self) -> socket.socket:
        self.sock = sock = super()._new_conn()
        _watch(self)
        return sock

    def connect(self) -> None:
        super().connect()
        _watch(self)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self)
        super().request(*args, **kwargs)


class _HTTPSConnection(HTTPSConnection):
    """As :class:`_HTTPConnection`, over TLS. The TLS wrap detaches the socket it is given
    before its handshake, so a twin of that socket (``dup``: the same connection) is what the
    deadline shuts down until the handshake is over."""

    twin: socket.socket | None = None

    def _new_conn(self) -> socket.socket:
        self.sock = sock = super()._new_conn()
        self.twin = sock.dup()
        _watch(self)
        return sock

    def connect(self) -> None:
        try:
            super().connect()
        finally:
            self._drop_twin()
        _watch(self)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self)
        super().request(*args, **kwargs)

    def close(self) -> None:
        self._drop_twin()
        super().close()

    def _drop_twin(self) -> None:
        twin, self.twin = self.twin, None
        if twin is not None:
            twin.close()


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class _Adapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **kwargs)
        manager.pool_classes_by_scheme = _POOLS
        return manager


def new_session() -> requests.Session:
    """A session whose connections the current :func:`exchange` watches."""
    session = requests.Session()
    session.headers["User-Agent"] = "ogpu-widgets"
    adapter = _Adapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
