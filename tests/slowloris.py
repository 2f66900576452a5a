"""A slowloris HTTP server for tests: a thread-based socket server that reads a request and
then drips its answer one byte every ``interval`` seconds, for ever (or until stopped).

``mode``: ``"headers"`` drips the status line and an endless header; ``"body"`` sends the
headers at once (a large ``Content-Length``) and drips the body; ``"chunks"`` the same without
a length (the body ends when the connection does); ``"tls"`` answers a TLS ClientHello with
the header of a 16 KB record and drips that; ``"continue"`` sends ``100 Continue`` answers
for ever. ``redirect``: a URL every request is sent
to first (one redirect, answered at once). Run it in this process or as a script (``python
slowloris.py MODE``, which prints its URL and serves until killed)."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading


class Slowloris:
    def __init__(self, mode: str = "headers", interval: float = 0.2, redirect: str = "") -> None:
        self.mode = mode
        self.interval = interval
        self.redirect = redirect
        self.accepted = 0
        self._stop = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._accept, name="slowloris", daemon=True).start()

    def __enter__(self) -> Slowloris:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._sock.close()
        with self._lock:
            conns, self._conns = self._conns, []
        for c in conns:
            with contextlib.suppress(OSError):
                c.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with self._lock:
                self.accepted += 1
                self._conns.append(conn)
            threading.Thread(target=self._serve_and_close, args=(conn,), daemon=True).start()

    def _serve_and_close(self, conn: socket.socket) -> None:
        try:
            self._serve(conn)
        finally:
            with self._lock:
                if conn in self._conns:
                    self._conns.remove(conn)
            with contextlib.suppress(OSError):
                conn.close()

    def _serve(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            if self.mode == "tls":  # a ClientHello in, then a TLS record that never ends
                conn.recv(4096)
                conn.sendall(b"\x16\x03\x03\x40\x00")
                while not self._stop.wait(self.interval):
                    conn.sendall(b"a")
                return
            request = b""
            while b"\r\n\r\n" not in request:
                part = conn.recv(4096)
                if not part:
                    return
                request += part
            if self.redirect:
                conn.sendall(
                    f"HTTP/1.1 302 Found\r\nLocation: {self.redirect}\r\n"
                    "Content-Length: 0\r\n\r\n".encode()
                )
                return self._serve(conn)
            if self.mode == "continue":  # interim answers for ever (http.client skips them)
                while not self._stop.wait(self.interval):
                    conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                return
            if self.mode == "headers":
                head, drip = b"", b"HTTP/1.1 200 OK\r\nX-Slow: "
            elif self.mode == "body":
                head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                head += b"Content-Length: 1000000\r\n\r\n"
                drip = b""
            else:
                head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"
                drip = b""
            conn.sendall(head)
            i = 0
            while not self._stop.wait(self.interval):
                conn.sendall(drip[i : i + 1] if i < len(drip) else b"a")
                i += 1


if __name__ == "__main__":
    server = Slowloris(sys.argv[1] if len(sys.argv) > 1 else "headers")
    print(server.url, flush=True)
    threading.Event().wait()
