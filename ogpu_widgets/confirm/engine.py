"""Per RPC endpoint: the JSON-RPC client and the identity of the chain behind it, plus the
batch builder and the reading of ``eth_call`` results that the write path shares.

An ``eth_call`` result is read as a *definitive* answer only when it is one: return data that
decodes (or does not: "undecodable" is an answer about the contract), or a revert. Any other
error reply is raised as the typed :class:`~ogpu_widgets.errors.RpcReplyError` it is; "try
again later" replies never get here (the client retries them, then raises
:class:`~ogpu_widgets.errors.NodeUnavailableError`). So no verdict about an address comes from
a hiccup of the node.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from ..chain.codec import calldata, decode_output
from ..chain.network import Network
from ..chain.revert import is_revert
from ..errors import ReadError, RpcError, WrongChainError

__all__ = ["BATCH_LIMIT", "Calls", "Engine", "Undecodable", "decoded", "must"]

#: Largest JSON-RPC batch sent in one HTTP request.
BATCH_LIMIT = 100
#: The write path's retry policy: HTTP attempts per request and the first backoff (seconds).
ATTEMPTS, BACKOFF = 5, 0.1

#: (chain id, genesis hash, loopback URL or None): what registry, nonces and caches are keyed by.
Identity = tuple[int, str, str | None]


class Undecodable(Exception):
    """A definitive answer that the call does not return what the ABI says (no such function,
    a revert, or return data that does not decode)."""


def must(result: Any, what: str) -> Any:
    """``result`` unless it is an error reply or empty: then a typed error naming ``what``."""
    if isinstance(result, RpcError):
        raise result
    if result is None:
        raise ReadError(f"{what}: the node returned no result; try again")
    return result


def decoded(result: Any, contract: str, fn: str) -> Any:
    """The first output of ``contract.fn`` from an ``eth_call`` result. Raises
    :class:`Undecodable` for a definitive answer (revert, undecodable data); re-raises any
    other error reply as the typed error it is."""
    return decoded_all(result, contract, fn)[0]


def decoded_all(result: Any, contract: str, fn: str) -> tuple[Any, ...]:
    data = _return_data(result, f"{contract}.{fn}")
    try:
        return decode_output(contract, fn, data)
    except ValueError:
        raise Undecodable(fn) from None


def raw_result(result: Any, fn: str) -> bytes:
    """The return data of an ``eth_call`` as bytes, with the same rules as :func:`decoded`."""
    data = _return_data(result, fn)
    try:
        return bytes.fromhex(data[2:])
    except ValueError:
        raise Undecodable(fn) from None


def _return_data(result: Any, what: str) -> str:
    """The hex return data of an ``eth_call`` result; a revert raises :class:`Undecodable`,
    any other error reply the typed error it is."""
    if isinstance(result, RpcError):
        if is_revert(result):
            raise Undecodable(what.rsplit(".", 1)[-1])
        raise result
    if not isinstance(result, str) or not result.startswith("0x"):
        raise ReadError(f"the node answered {what}() with {type(result).__name__}, not return "
                        "data; try again")  # fmt: skip
    return result


class Calls:
    """A batch under construction; identical calls are sent once."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[Any]]] = []
        self._index: dict[str, int] = {}

    def add(self, method: str, *params: Any) -> int:
        key = repr((method, params))
        if key not in self._index:
            self._index[key] = len(self.calls)
            self.calls.append((method, list(params)))
        return self._index[key]

    def call(self, to: str, contract: str, fn: str, *args: Any, tag: str = "latest") -> int:
        return self.add("eth_call", {"to": to, "data": calldata(contract, fn, *args)}, tag)

    def __repr__(self) -> str:
        return f"<Calls {len(getattr(self, 'calls', ()))}>"


def is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Engine:
    """Per RPC endpoint: the connection, and the identity of the chain behind it."""

    IDENTITY_TTL = 5.0

    def __init__(self, network: Network) -> None:
        self.network = network
        self.rpc = network.client(attempts=ATTEMPTS, backoff=BACKOFF, batch_limit=BATCH_LIMIT)
        self.controller = network.controller
        #: What the registry, nonces and caches are keyed by: (chain id, genesis hash, local
        #: URL). Devnets share chain ids (31337), and anvils started in the same second even
        #: share their genesis block, so a loopback endpoint is also told apart by its URL. A
        #: public chain is one chain whichever URL reaches it.
        self.identity: Identity | None = None
        self._identity_at = 0.0
        self._lock = threading.Lock()
        host = urlsplit(network.rpc_url).hostname or ""
        self._local_url = network.rpc_url if is_loopback(host) else None

    def set_identity(self, chain_id: Any, genesis: Any) -> Identity:
        chain_id = must(chain_id, "eth_chainId")
        try:
            chain = int(chain_id, 16)
        except (TypeError, ValueError):
            raise ReadError(f"the node at {self.network.rpc_url} answered eth_chainId with "
                            f"{chain_id!r}, not a chain id; check the URL") from None  # fmt: skip
        if chain != self.network.chain_id:
            raise WrongChainError(
                f"the node at {self.network.rpc_url} is on chain {chain}, but network "
                f"{self.network.name!r} is chain {self.network.chain_id}; point the network at "
                "an RPC URL of that chain (Network.with_settings(rpc_url=...))",
                url=self.network.rpc_url,
                chain_id=chain,
                expected_chain_id=self.network.chain_id,
            )
        block = must(genesis, "reading the genesis block")
        if not isinstance(block, dict) or not isinstance(block.get("hash"), str):
            raise ReadError(f"the node at {self.network.rpc_url} returned no genesis block hash; "
                            "try again")  # fmt: skip
        with self._lock:
            self.identity = (chain, block["hash"], self._local_url)
            self._identity_at = time.monotonic()
            return self.identity

    def current_identity(self) -> Identity:
        if self.identity is None or time.monotonic() - self._identity_at > self.IDENTITY_TTL:
            chain, genesis = self.rpc.batch(
                [("eth_chainId", []), ("eth_getBlockByNumber", ["0x0", False])]
            )
            self.set_identity(chain, genesis)
        return self.identity  # type: ignore[return-value]

    def __repr__(self) -> str:
        net = getattr(self, "network", None)
        return f"<Engine {getattr(net, 'name', '?')} {getattr(net, 'rpc_url', '?')}>"
