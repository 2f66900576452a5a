"""The process's event pollers, one per network endpoint (:data:`POLLERS`), and
:func:`subscribe`, the one way to get a network's events (see :mod:`.poller`)."""

from __future__ import annotations

import logging
import threading

from ..chain.network import Network, NetworkLike, resolve_network
from ..errors import InvalidArgumentError
from .poller import POLL_INTERVAL, POLL_RETRY, EventPoller
from .subscription import (
    Callback,
    EndCallback,
    HealthCallback,
    Subscription,
    check_block,
    check_seconds,
    quantity,
)

__all__ = ["POLLERS", "Pollers", "subscribe"]

log = logging.getLogger("ogpu_widgets.live")


class Pollers:
    """The process-wide event pollers, one per network endpoint (RPC URL, chain id, Nexus):
    the first :meth:`subscribe` to an endpoint makes its :class:`EventPoller` and starts its
    thread; the last :meth:`close` stops the thread and forgets the poller; a poller that died
    is forgotten at once, and replaced by the next :meth:`subscribe`. The one instance is
    :data:`POLLERS`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pollers: dict[tuple, EventPoller] = {}

    @staticmethod
    def key(network: Network) -> tuple:
        return (network.rpc_url, network.chain_id, network.nexus)

    def get(self, network: NetworkLike) -> EventPoller | None:
        """The running poller of ``network``'s endpoint, if any."""
        net = resolve_network(network)
        with self._lock:
            return self._pollers.get(self.key(net))

    def pollers(self) -> list[EventPoller]:
        with self._lock:
            return list(self._pollers.values())

    def head(self, network: NetworkLike) -> int:
        """The last block the endpoint's poller read, else the node's head (asked now)."""
        net = resolve_network(network)
        poller = self.get(net)
        if poller is not None and poller.head is not None:
            return poller.head
        client = net.client(policy=POLL_RETRY)
        return quantity(client.call("eth_blockNumber"), "eth_blockNumber", net.rpc_url)

    def subscribe(
        self,
        network: NetworkLike,
        callback: Callback,
        *,
        since_block: int | None = None,
        poll_interval: float = POLL_INTERVAL,
        on_health: HealthCallback | None = None,
        on_end: EndCallback | None = None,
    ) -> Subscription:
        """Call ``callback(events)`` with the new Nexus events of ``network`` (see
        :mod:`.poller`) polled by the network's one shared poller, in chain order, each event
        once per subscriber. ``since_block``: deliver the events of that block and later ones
        (default: of blocks after the current head, i.e. only new ones). ``poll_interval``:
        seconds between polls, at most an hour (the poller polls at its subscribers' shortest).
        ``on_health(health)``, when given, is called after every poll of this subscriber's
        poller, good or failed, with its :class:`Health`. Every callback of a subscriber runs in
        order on that subscriber's own thread, never on the poller's: an ``Exception`` it raises
        is logged and the subscriber goes on; any other ``BaseException``, callbacks falling
        :data:`~.delivery.MAX_PENDING` calls behind, or the poller dying end this subscriber
        only, with an error logged, kept in ``Subscription.error`` and given to
        ``on_end(error)`` when given (see :class:`Subscription`). ``close()`` the returned
        :class:`Subscription`."""
        for name, given in (("callback", callback), ("on_health", on_health),
                            ("on_end", on_end)):  # fmt: skip
            if not callable(given) and (given is not None or name == "callback"):
                raise InvalidArgumentError(f"{name}={given!r} is not callable", argument=name)
        start = check_block(since_block, "since_block")
        interval = check_seconds(poll_interval, "poll_interval")
        net = resolve_network(network)
        if start is None:
            poller = self.get(net)
            head = poller.head if poller is not None else None
            if head is None:
                try:
                    head = self.head(net)
                except Exception as exc:  # the poller resolves it at its first good poll
                    log.debug("no head for a new subscriber (%s); the next poll sets it", exc)
            start = None if head is None else head + 1
        key = self.key(net)
        with self._lock:
            poller = self._pollers.get(key)
            if poller is None or poller.dead:  # a dead one is replaced
                poller = self._pollers[key] = EventPoller(net, key, self)
            sub = Subscription(poller, callback, start, interval, on_health, on_end)
            poller._add(sub)
        return sub

    def close(self, sub: Subscription) -> None:
        """Drop a subscription; the last one of a poller stops it (its thread ends)."""
        with self._lock:
            if sub.closed:
                return
            poller = sub.poller
            last = poller._remove(sub)
            if last and self._pollers.get(poller.key) is poller:
                del self._pollers[poller.key]
        sub._detach()  # its callbacks' thread ends
        if last:
            poller._stop_thread()

    def _forget(self, poller: EventPoller) -> None:
        """A poller died (see ``EventPoller._die``): the next subscribe starts a new one."""
        with self._lock:
            if self._pollers.get(poller.key) is poller:
                del self._pollers[poller.key]

    def close_all(self, rpc_url: str | None = None) -> None:
        """Close every subscription of every poller (of the endpoint ``rpc_url`` only, when
        given); their threads end."""
        for poller in self.pollers():
            if rpc_url is not None and poller.network.rpc_url != rpc_url:
                continue
            with poller._lock:
                subs = list(poller._subs)
            for sub in subs:
                self.close(sub)

    def __repr__(self) -> str:
        return f"<Pollers: {len(self.pollers())} running>"


#: The one owner of the process's event pollers.
POLLERS = Pollers()


#: Call ``callback(events)`` with the new Nexus events of a network: :meth:`Pollers.subscribe`
#: of :data:`POLLERS`.
subscribe = POLLERS.subscribe
