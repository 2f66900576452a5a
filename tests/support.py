"""Helpers shared by several test modules: a fault-injecting RPC proxy and the official SDK
pointed at a devnet."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading

import requests

from ogpu_widgets.devnet import Devnet


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
    from ogpu.chain.web3 import Web3Manager

    with Devnet(chain_id=ChainId.OGPU_MAINNET.value) as dev:
        contracts = {
            "NEXUS": dev.contracts["nexus"],
            "CONTROLLER": dev.contracts["controller"],
            "VAULT": dev.contracts["vault"],
            "TERMINAL": "0x" + "00" * 20,
        }
        monkeypatch.setitem(ChainConfig.CHAIN_CONTRACTS, ChainId.OGPU_MAINNET, contracts)
        monkeypatch.setitem(chain_config.CHAIN_RPC_URLS, ChainId.OGPU_MAINNET, dev.rpc_url)
        monkeypatch.setattr(Web3Manager, "_web3_instances", {})
        ChainConfig.set_chain(ChainId.OGPU_MAINNET)
        try:
            yield dev
        finally:
            Web3Manager._web3_instances.clear()
