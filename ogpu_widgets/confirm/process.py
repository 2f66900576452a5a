"""The one owner of the confirmation path's process-wide state: :data:`PROCESS`.

Everything that outlives a call lives here, and only here:

* ``engines``: one :class:`~.engine.Engine` (connection + chain identity) per endpoint;
* ``links``: the response -> task and task -> source links read so far, which never change on
  a chain, keyed by (chain identity, role, address): an address read as a task is never taken
  for a response;
* ``registry``: *never twice*: the latest transaction per (chain identity, key): a task for a
  confirmation (a second request for the same response joins it; one for another response of
  the task is refused), (account, agent) for an agent change;
* ``nonces``: the next nonce per (chain identity, account), under a lock held from reservation
  to broadcast, so concurrent confirmations from one process take consecutive nonces;
* ``tracker``: the one background thread that polls receipts of pending transactions and
  has the node-forgotten ones rebroadcast.

:meth:`ProcessState.forget_chain` drops what is remembered about one chain identity (when the
node behind a URL turned out to be another chain with the same identity: a restarted devnet).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from ..chain.network import Network
from .broadcast import Nonces
from .engine import Engine, Identity
from .tracker import Tracker

if TYPE_CHECKING:
    from .confirmation import Confirmation

__all__ = ["PROCESS", "Links", "ProcessState", "Registry"]


class Links:
    """Links read from chain, keyed by (identity, role, address); ``role`` is ``"response"``
    or ``"task"``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._links: dict[tuple[Any, str, str], Any] = {}

    def get(self, identity: Identity | None, role: str, address: str) -> Any:
        if identity is None:
            return None
        with self._lock:
            return self._links.get((identity, role, address))

    def put(self, identity: Identity, role: str, address: str, link: Any) -> None:
        with self._lock:
            self._links[(identity, role, address)] = link

    def forget(self, identity: Identity) -> None:
        with self._lock:
            for key in [k for k in self._links if k[0] == identity]:
                del self._links[key]


class Registry:
    """The latest confirmation per (identity, task); see the module docstring."""

    #: Released wallet hashes remembered, in all (the oldest forgotten first).
    RELEASED_MAX = 1024

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._by_key: dict[tuple[Any, Any], Confirmation] = {}
        # (identity, task) -> hashes a wallet reported that the node never knew: released, yet
        # each may still reach the node (from whatever account signed it)
        self._released: dict[tuple[Any, str], list[str]] = {}

    @staticmethod
    def blocking(c: Confirmation | None) -> bool:
        return c is not None and not c.failed and c.state != "reverted"

    def get(self, identity: Identity | None, key: Any) -> Confirmation | None:
        """The entry of ``key`` (a task, or another call's key) unless it failed or reverted."""
        with self.lock:
            c = self._by_key.get((identity, key))
            return c if self.blocking(c) else None

    def add(self, c: Confirmation) -> None:
        with self.lock:
            self._by_key[(c.identity, c.call.key)] = c

    def remove(self, c: Confirmation) -> bool:
        """Forget ``c`` (if it is still its key's entry)."""
        with self.lock:
            key = (c.identity, c.call.key)
            if self._by_key.get(key) is c:
                del self._by_key[key]
                return True
            return False

    def abandon(self, c: Confirmation, exc: BaseException) -> None:
        self.remove(c)
        c.abandon(exc)

    def released(self, c: Confirmation) -> None:
        """Remember ``c``'s hash (a wallet's, released unseen) for its task."""
        with self.lock:
            key = (c.identity, c.task)
            hashes = self._released.pop(key, [])
            if c.tx_hash and c.tx_hash not in hashes:
                hashes = [*hashes, c.tx_hash][-8:]
            self._released[key] = hashes
            while len(self._released) > self.RELEASED_MAX:
                del self._released[next(iter(self._released))]

    def released_hashes(self, identity: Identity | None, task: str) -> list[str]:
        with self.lock:
            return list(self._released.get((identity, task), ()))

    def all(self, identity: Identity | None) -> list[Confirmation]:
        """The confirmations of responses (not agent changes) on ``identity``."""
        with self.lock:
            return [c for (ident, _), c in self._by_key.items() if ident == identity and c.response]

    def in_flight(self, identity: Identity | None, signer: str) -> list[Confirmation]:
        """This process's transactions from ``signer`` that were signed and are not done."""
        with self.lock:
            entries = list(self._by_key.values())
        return [
            c for c in entries
            if c.identity == identity and c.signer == signer and c.signed_hash and not c.done
        ]  # fmt: skip


class ProcessState:
    """The process-wide state of the confirmation path (see the module docstring)."""

    def __init__(self) -> None:
        self.registry = Registry()
        self.nonces = Nonces()
        self.tracker = Tracker()
        self.links = Links()
        self._engines: dict[tuple, Engine] = {}
        self._engines_lock = threading.Lock()

    def engine(self, network: Network) -> Engine:
        """The engine of ``network``'s endpoint (one per URL, chain id, controller, terminal,
        timeout)."""
        key = (network.rpc_url, network.chain_id, network.controller, network.terminal,
               network.request_timeout)  # fmt: skip
        with self._engines_lock:
            eng = self._engines.get(key)
            if eng is None:
                eng = self._engines[key] = Engine(network)
            return eng

    def forget_chain(self, identity: Identity) -> None:
        """Forget the links and nonces of ``identity`` (the chain behind it changed)."""
        self.links.forget(identity)
        self.nonces.forget(identity)

    def __repr__(self) -> str:
        return "<ProcessState of ogpu_widgets.confirm>"


#: The one instance.
PROCESS = ProcessState()
