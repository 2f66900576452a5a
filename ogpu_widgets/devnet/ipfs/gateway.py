"""The devnet's IPFS gateway: a path gateway with the trustless interface (raw blocks, CAR) on
loopback, serving an :class:`~ogpu_widgets.devnet.ipfs.store.IpfsStore`, with test modes a
test or notebook may set while it runs:

- ``tamper``: every answer altered (file content, raw blocks, the blocks in a CAR), the way a
  dishonest gateway or a box in between would;
- ``trustless = False``: a plain gateway, which ignores ``?format=``/``Accept`` and sends the file;
- ``latency``: seconds added to every request; ``slow``: CIDs answered after ``slow_delay``;
- ``hits``: requests served (``log``: the last ones, ``(method, path)``).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from ...errors import ResultError
from ...results.car import write_car
from ...results.cid import Cid, parse_cid
from ...results.unixfs import UnixFs, decode_dag_pb, decode_unixfs, encode_dag_pb, encode_unixfs
from .store import IpfsStore

__all__ = ["RAW", "CAR", "Gateway", "content_type", "tamper_block", "tamper_bytes"]

RAW = "application/vnd.ipld.raw"
CAR = "application/vnd.ipld.car"
_PNG = b"\x89PNG\r\n\x1a\n"


def content_type(data: bytes) -> str:
    """What a gateway says a file is: JSON, text, PNG or octet-stream."""
    if data.startswith(_PNG):
        return "image/png"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    if "\x00" in text:
        return "application/octet-stream"
    if text.lstrip()[:1] in ("{", "[", '"'):
        try:
            json.loads(text)
            return "application/json"
        except ValueError:
            pass
    return "text/plain; charset=utf-8"


def tamper_bytes(data: bytes) -> bytes:
    """``data`` changed a little, plausibly: a label swapped, a digit changed, a letter's case,
    or else one bit."""
    for a, b in ((b'"positive"', b'"negative"'), (b'"negative"', b'"positive"')):
        if a in data:
            return data.replace(a, b, 1)
    for i, c in enumerate(data):
        if 0x30 <= c <= 0x39:
            return data[:i] + bytes([0x30 + (c - 0x30 + 1) % 10]) + data[i + 1 :]
    for i, c in enumerate(data[:4096]):
        if 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A:
            return data[:i] + bytes([c ^ 0x20]) + data[i + 1 :]
    if not data:
        return b"\n"
    mid = len(data) // 2
    return data[:mid] + bytes([data[mid] ^ 1]) + data[mid + 1 :]


def tamper_block(cid: Cid, block: bytes) -> bytes:
    """A block altered so that it still decodes (a UnixFS node keeps its shape, its file bytes
    change) but no longer hashes to ``cid``."""
    if cid.codec == "raw":
        return tamper_bytes(block)
    try:
        links, data = decode_dag_pb(block)
        unixfs = decode_unixfs(data or b"")
    except ValueError:
        return tamper_bytes(block)
    if unixfs.data:
        changed = UnixFs(unixfs.type, tamper_bytes(unixfs.data), unixfs.filesize,
                         unixfs.blocksizes)  # fmt: skip
        return encode_dag_pb(links, encode_unixfs(changed))
    if links:  # an inner node: claim another size for the first part
        first = links[0]
        links[0] = type(first)(first.cid, first.name, (first.tsize or 0) + 1)
        return encode_dag_pb(links, data)
    return tamper_bytes(block)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], gateway: Gateway) -> None:
        self.gateway = gateway
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request, client_address) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self.connections_lock:
            conns, self.connections = list(self.connections), set()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                conn.close()


class Gateway:
    """An IPFS path gateway on ``host`` (loopback) at ``port`` (0: a free one)."""

    def __init__(self, store: IpfsStore, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.store = store
        self.host = host
        self._port = port
        #: Serve altered bytes for everything (file content, raw blocks, CAR blocks).
        self.tamper = False
        #: ``False``: a plain gateway that ignores ``?format=`` and ``Accept`` and sends files.
        self.trustless = True
        #: Seconds added to every request.
        self.latency = 0.0
        #: CIDs (``Cid`` or string) answered only after ``slow_delay`` seconds.
        self.slow: set[Cid | str] = set()
        self.slow_delay = 20.0
        self.log: deque[tuple[str, str]] = deque(maxlen=10_000)
        self._hits = 0
        self._hits_lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._closing = threading.Event()

    # ---- life cycle ----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the gateway is not running")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{self.host}:{self.port}"

    def url_of(self, cid: Cid | str, path: str = "") -> str:
        """The gateway URL of ``cid`` (and a path under it): ``<url>/ipfs/<cid><path>``."""
        return f"{self.url}/ipfs/{cid}{path}"

    def start(self) -> Gateway:
        if self._server is None:
            self._closing.clear()
            self._server = _Server((self.host, self._port), self)
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                name="ogpu-devnet-gateway", daemon=True,
            )  # fmt: skip
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the port and open connections (slow answers end at once)."""
        server, self._server = self._server, None
        if server is None:
            return
        self._closing.set()
        server.shutdown()
        server.server_close()
        server.close_connections()
        if self._thread is not None:
            self._thread.join(5)

    # ---- test modes ----------------------------------------------------------------------------

    @property
    def hits(self) -> int:
        """Requests received since start (or :meth:`reset`)."""
        return self._hits

    def reset(self) -> None:
        """Back to an honest, fast, trustless gateway; ``hits`` and ``log`` cleared."""
        self.tamper, self.trustless, self.latency = False, True, 0.0
        self.slow.clear()
        with self._hits_lock:
            self._hits = 0
            self.log.clear()

    def _count(self, method: str, path: str) -> None:
        with self._hits_lock:
            self._hits += 1
            self.log.append((method, path))

    def _is_slow(self, cid: Cid) -> bool:
        slow = self.slow
        return bool(slow) and (cid in slow or str(cid) in slow or cid.to_v1() in slow)

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._closing.wait(seconds)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out without a 40 ms delayed-ACK pause
    server_version = "ogpu-devnet-gateway/1"
    server: _Server

    def log_message(self, format: str, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._serve(body=True)

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def _send(self, status: int, data: bytes, ctype: str, body: bool, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _error(self, status: int, message: str, body: bool) -> None:
        self._send(status, (message + "\n").encode(), "text/plain; charset=utf-8", body)

    def _serve(self, body: bool) -> None:
        gw = self.server.gateway
        gw._count(self.command, self.path)
        gw._sleep(gw.latency)
        try:
            self._answer(gw, body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _answer(self, gw: Gateway, body: bool) -> None:
        url = urlsplit(self.path)
        if not url.path.startswith("/ipfs/"):
            return self._error(404, "not found: this gateway serves /ipfs/<cid>[/path]", body)
        head, _, rest = url.path[len("/ipfs/") :].partition("/")
        try:
            cid = parse_cid(unquote(head))
        except ValueError as exc:
            return self._error(400, f"invalid path {url.path!r}: {exc}", body)
        if gw._is_slow(cid):
            gw._sleep(gw.slow_delay)
        path = unquote(rest)
        fmt = parse_qs(url.query).get("format", [""])[0]
        accept = self.headers.get("Accept", "")
        want = ""
        if gw.trustless:
            if fmt == "raw" or (not fmt and RAW in accept):
                want = "raw"
            elif fmt == "car" or (not fmt and CAR in accept):
                want = "car"
            elif fmt:
                return self._error(400, f"unsupported format {fmt!r}: use raw or car", body)
        try:
            target, on_the_way = gw.store.resolve(cid, path)
            headers = {"X_Ipfs_Path": f"/ipfs/{cid}{'/' + path if path else ''}",
                       "X_Ipfs_Roots": ",".join(map(str, [*on_the_way, target])),
                       "Etag": f'"{target}"' + (f".{want}" if want else ""),
                       "Cache_Control": "public, max-age=29030400, immutable"}  # fmt: skip
            if want == "raw":
                block = gw.store.get_block(target)
                if gw.tamper:
                    block = tamper_block(target, block)
                return self._send(200, block, RAW, body, **headers)
            if want == "car":
                blocks = [(c, gw.store.get_block(c)) for c in on_the_way]
                blocks += list(gw.store.dag(target))
                if gw.tamper:
                    blocks = [(c, tamper_block(c, b)) for c, b in blocks]
                car = write_car([cid], blocks)
                return self._send(200, car, f"{CAR}; version=1; order=dfs; dups=n", body,
                                  **headers)  # fmt: skip
            data = gw.store.cat(target)
        except KeyError:
            return self._error(404, f"ipfs resolve -r {url.path}: block not found", body)
        except ResultError as exc:
            return self._error(501, f"{url.path}: {exc}", body)
        ctype = content_type(data)
        if gw.tamper:
            data = tamper_bytes(data)
        return self._send(200, data, ctype, body, **headers)
