"""Helpers shared by several test modules: waiting on a condition, plain HTTP, small images, a
fault-injecting RPC proxy and its rules, and the official SDK pointed at a devnet."""

from __future__ import annotations

import contextlib
import http.server
import json
import socket
import struct
import threading
import time
import urllib.error
import urllib.request
import zlib
from urllib.parse import urlsplit

import requests

from ogpu_widgets.devnet import Devnet


def until(condition, timeout: float = 60.0, what: str = "the condition", every: float = 0.02):
    """Poll ``condition()`` until it returns something truthy, and return that (AssertionError
    naming ``what`` after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


def stub_responses(datas) -> list:
    """Made-up submitted responses (addresses 0x…01, 0x…02, …) of the given ``data`` values:
    for result fetches, which read nothing but ``data`` from the chain."""
    import ogpu_widgets as ow

    return [
        ow.TaskResponse(
            f"0x{i + 1:040x}", "0x" + "7" * 40, "0x" + "8" * 40, d, 0, "submitted", False, 0
        )  # fmt: skip
        for i, d in enumerate(datas)
    ]


class Collector:
    """A live subscriber's callback that keeps every event it was given, in order."""

    def __init__(self) -> None:
        self.events: list = []
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, events) -> None:
        with self.lock:
            self.calls += 1
            self.events += events

    def keys(self) -> list:
        with self.lock:
            return [(e.tx_hash, e.log_index) for e in self.events]

    def of(self, kind, removed: bool = False, **match) -> list:
        """The events of class ``kind`` with those field values (retractions with
        ``removed``)."""
        with self.lock:
            return [
                e
                for e in self.events
                if isinstance(e, kind)
                and e.removed is removed
                and all(getattr(e, k) == v for k, v in match.items())
            ]

    def responses(self) -> list[str]:
        """The responses of the submissions it was given."""
        from ogpu_widgets.live import ResponseSubmitted

        return [e.response for e in self.of(ResponseSubmitted)]


def head(dev) -> int:
    """The devnet's block number."""
    return int(dev.rpc("eth_blockNumber"), 16)


def http_get(url: str, accept: str | None = None, method: str = "GET", timeout: float = 10):
    """(status, headers, body) of one request; error statuses too."""
    req = urllib.request.Request(url, method=method, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def port_open(url: str) -> bool:
    """Whether something accepts connections at ``url``'s host and port."""
    parts = urlsplit(url)
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((parts.hostname, parts.port)) == 0


def png(w: int, h: int) -> bytes:
    """A valid black ``w``×``h`` RGB PNG (any shape, unlike the devnet's square ones)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\x00\x00\x00" * w for _ in range(h))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


# an SVG with a script and an event handler: never an image, never inlined
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>'


class Proxy:
    """A real HTTP hop in front of anvil. ``rule(payload, n)`` returns None to forward, or
    (HTTP status, reply) where a ``bytes`` reply is sent as is and anything else as JSON."""

    def __init__(self, upstream: str, rule) -> None:
        self.upstream, self.rule, self.count = upstream, rule, 0
        session = requests.Session()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                proxy.count += 1
                answer = proxy.rule(json.loads(body), proxy.count)
                if answer is None:
                    reply = session.post(
                        proxy.upstream,
                        data=body,
                        headers={"Content-Type": "application/json"},
                        timeout=60,
                    )
                    status, out = reply.status_code, reply.content
                else:
                    status, obj = answer
                    out = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Proxy:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def sdk_on_devnet(monkeypatch):
    """A devnet wearing mainnet's chain id, with the official ``ogpu`` SDK pointed at it, so the
    SDK reads and signs exactly as it would on mainnet."""
    from ogpu.chain import config as chain_config
    from ogpu.chain.config import ChainConfig, ChainId
    from ogpu.chain.nonce import NonceManager
    from ogpu.chain.web3 import Web3Manager

    with Devnet(chain_id=ChainId.OGPU_MAINNET.value) as dev:
        contracts = {
            "NEXUS": dev.contracts["nexus"],
            "CONTROLLER": dev.contracts["controller"],
            "VAULT": dev.contracts["vault"],
            "TERMINAL": dev.contracts["terminal"],
        }
        monkeypatch.setitem(ChainConfig.CHAIN_CONTRACTS, ChainId.OGPU_MAINNET, contracts)
        monkeypatch.setitem(chain_config.CHAIN_RPC_URLS, ChainId.OGPU_MAINNET, dev.rpc_url)
        monkeypatch.setattr(Web3Manager, "_web3_instances", {})
        # the SDK caches nonces per address for the process: another devnet's are wrong here
        monkeypatch.setattr(NonceManager, "_nonces", {})
        ChainConfig.set_chain(ChainId.OGPU_MAINNET)
        try:
            yield dev
        finally:
            Web3Manager._web3_instances.clear()


def calls_of(payload) -> list:
    """The calls of a JSON-RPC request (a batch, or one call)."""
    return payload if isinstance(payload, list) else [payload]


def is_deployless(call) -> bool:
    """An ``eth_call`` of code without a contract (the read lens)."""
    return call.get("method") == "eth_call" and "to" not in call["params"][0]


def per_call(upstream: str, fault):
    """A :class:`Proxy` rule answering the calls ``fault(call)`` gives an error (a dict) for
    with that error, and forwarding the others to ``upstream``, spliced back in order (a batch
    stays a batch)."""
    session = requests.Session()

    def rule(payload, n):
        calls = calls_of(payload)
        errors = [fault(c) for c in calls]
        if not any(errors):
            return None
        forward = [c for c, e in zip(calls, errors, strict=True) if not e]
        replies = session.post(upstream, json=forward, timeout=60).json() if forward else []
        by_id = {r["id"]: r for r in replies}
        out = [
            {"jsonrpc": "2.0", "id": c["id"], "error": e} if e else by_id[c["id"]]
            for c, e in zip(calls, errors, strict=True)
        ]
        return 200, out if isinstance(payload, list) else out[0]

    return rule


class Outage:
    """A :class:`Proxy` rule for a node that goes down: while ``failing`` is set, every request
    is answered HTTP 503; otherwise it is forwarded."""

    def __init__(self) -> None:
        self.failing = threading.Event()

    def __call__(self, payload, n):
        return (503, b"service unavailable") if self.failing.is_set() else None


class LaggingNode:
    """A :class:`Proxy` rule for a node behind load-balanced replicas, one of which lags: while
    ``lag_at`` is set (:meth:`freeze`), every ``every``-th request (every one with ``every=1``)
    is answered by the "old replica" as of block ``lag_at``: ``eth_blockNumber`` says
    ``lag_at`` and ``eth_getLogs`` returns only the logs up to ``lag_at`` (an empty list for a
    range above it), read from the real node. Everything else is forwarded. ``stale`` counts
    the answers given from the older block."""

    def __init__(self, upstream: str, every: int = 2) -> None:
        self.upstream, self.every = upstream, every
        self.lag_at: int | None = None
        self.stale = 0
        self._session = requests.Session()
        self._lock = threading.Lock()

    def _ask(self, method: str, params: list) -> object:
        reply = self._session.post(
            self.upstream,
            json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params},
            timeout=60,
        ).json()
        return reply["result"]

    def freeze(self, block: int | None = None) -> int:
        """Let the old replica answer from ``block`` (default: the head now); that block."""
        with self._lock:
            self.lag_at = int(self._ask("eth_blockNumber", []), 16) if block is None else block
            return self.lag_at

    def thaw(self) -> None:
        with self._lock:
            self.lag_at = None

    def __call__(self, payload, n):
        with self._lock:
            lag_at = self.lag_at
        if lag_at is None or isinstance(payload, list) or n % self.every:
            return None
        method, params = payload.get("method"), payload.get("params") or []
        if method == "eth_blockNumber":
            result: object = hex(lag_at)
        elif method == "eth_getLogs":
            query = dict(params[0])
            lower = int(query.get("fromBlock", "0x0"), 16)
            upper = min(lag_at, int(query["toBlock"], 16))
            query["toBlock"] = hex(upper)
            result = [] if lower > upper else self._ask("eth_getLogs", [query])
        else:
            return None
        with self._lock:
            self.stale += 1
        return 200, {"jsonrpc": "2.0", "id": payload.get("id"), "result": result}


def log_range_limit(
    blocks: int,
    message: str = "query returned more than 10000 results",
    upstream: str | None = None,
):
    """A :class:`Proxy` rule refusing ``eth_getLogs`` over more than ``blocks`` blocks the way
    public nodes do (-32005 and ``message``); the rule's ``refused`` counts the refusals. With
    ``upstream`` (the node behind the proxy), an ``eth_getLogs`` inside a batch is refused too."""

    def fault(call):
        if call.get("method") != "eth_getLogs":
            return None
        query = call["params"][0]
        span = int(query["toBlock"], 16) - int(query["fromBlock"], 16) + 1
        if span <= blocks:
            return None
        rule.refused += 1
        return {"code": -32005, "message": message}

    spliced = per_call(upstream, fault) if upstream is not None else None

    def rule(payload, n):
        if spliced is not None:
            return spliced(payload, n)
        if isinstance(payload, list):
            return None
        error = fault(payload)
        return None if error is None else (200, {"jsonrpc": "2.0", "id": payload.get("id"),
                                                 "error": error})  # fmt: skip

    rule.refused = 0
    return rule
