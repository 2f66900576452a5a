"""Reorgs on a real anvil (``evm_snapshot``/``evm_revert``, then a longer or a shorter chain):
the poller finds the fork point by block hashes, reads the replaced blocks again, retracts
what they no longer hold and delivers what they hold now, however deep (up to ``reorg_depth``);
a lagging replica is no reorg; a fork deeper than ``reorg_depth`` is a typed, visible error."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from support import Collector, Proxy, head, until

from ogpu_widgets.errors import DeepReorgError, InvalidArgumentError
from ogpu_widgets.live import (
    ResponseStatusChanged,
    ResponseSubmitted,
    subscribe,
    wait_for_responses,
)
from ogpu_widgets.live.poller import REORG_WINDOW

FAST = 0.05

pytestmark = pytest.mark.usefixtures("no_poller_left")


def watched(dev):
    """A task of a new source, and a subscriber that has read the chain up to now: (task, its
    collector, its subscription, the poller)."""
    task = dev.publish_task(dev.publish_source("manual"))
    got = Collector()
    sub = subscribe(dev.network, got, poll_interval=FAST)
    read_to(sub.poller, head(dev))
    return task, got, sub, sub.poller


def read_to(poller, block: int) -> None:
    until(lambda: poller.head is not None and poller.head >= block, what=f"block {block} read")


def test_a_reorg_retracts_what_it_took_back_and_delivers_the_replacement(fresh_devnet):
    dev = fresh_devnet
    task, got, sub, poller = watched(dev)
    snapshot = dev.rpc("evm_snapshot")
    gone = dev.respond(task, 0)
    (old,) = until(lambda: got.of(ResponseSubmitted, response=gone))
    read_to(poller, head(dev))
    assert dev.rpc("evm_revert", [snapshot]) is True
    replacement = dev.respond(task, 1)  # the same heights, other transactions
    dev.mine(2)  # and a longer chain (Nexus deploys the new response at the same address)

    def replaced():
        return [e for e in got.of(ResponseSubmitted, response=replacement) if e != old]

    (new,) = until(replaced, what="the replacement")
    assert new.tx_hash != old.tx_hash
    (back,) = until(lambda: got.of(ResponseSubmitted, removed=True), what="the retraction")
    assert (back.response, back.tx_hash, back.log_index) == (gone, old.tx_hash, old.log_index)
    assert got.events.index(back) < got.events.index(new)  # taken back, then the new one
    assert poller.forks.reorgs >= 1 and poller.retracted >= 1 and poller.errors == 0
    later = dev.respond(task, 2)
    until(lambda: got.of(ResponseSubmitted, response=later))
    keys = [(e.tx_hash, e.log_index, e.removed) for e in got.events]
    assert len(keys) == len(set(keys)), "an event was delivered twice"
    sub.close()


def test_a_reorg_to_a_shorter_chain_is_followed_back(fresh_devnet):
    dev = fresh_devnet
    task, got, sub, poller = watched(dev)
    snapshot = dev.rpc("evm_snapshot")
    response = dev.respond(task, 0)
    dev.mine(5)
    read_to(poller, head(dev))
    tip = poller.head
    assert dev.rpc("evm_revert", [snapshot]) is True
    dev.mine(1)  # one block where the response was: another hash, and a shorter chain
    until(lambda: got.of(ResponseSubmitted, removed=True, response=response), what="retraction")
    until(lambda: poller.head == head(dev) < tip, what="the head followed back")
    assert got.of(ResponseStatusChanged, removed=True) == []
    sub.close()


def _deep_reorg(dev, poller, task: str, blocks: int) -> str:
    """The chain as read grows ``blocks`` empty blocks, then a longer chain replaces them, with
    a response in its first blocks: the response's address."""
    snapshot = dev.rpc("evm_snapshot")
    dev.mine(blocks)
    read_to(poller, head(dev))
    assert dev.rpc("evm_revert", [snapshot]) is True
    response = dev.respond(task, 0)
    dev.mine(blocks + 5)
    return response


def test_a_reorg_deeper_than_the_window_delivers_the_replaced_blocks(fresh_devnet):
    dev = fresh_devnet
    task, got, sub, poller = watched(dev)
    response = _deep_reorg(dev, poller, task, 2 * REORG_WINDOW)
    until(lambda: got.of(ResponseSubmitted, response=response), what="the replaced blocks' event")
    assert poller.reorg_error is None and poller.errors == 0
    sub.close()


def test_wait_for_responses_finds_a_response_a_deep_reorg_brought(fresh_devnet):
    dev = fresh_devnet
    task = dev.publish_task(dev.publish_source("manual"))
    watching = Collector()
    sub = subscribe(dev.network, watching, poll_interval=FAST)  # the same poller as the wait
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(wait_for_responses, task, 1, network=dev.network, timeout=60,
                              poll_interval=FAST)  # fmt: skip
        until(lambda: sub.poller.subscribers == 2, what="the wait subscribed")
        read_to(sub.poller, head(dev))
        response = _deep_reorg(dev, sub.poller, task, 2 * REORG_WINDOW)
        (found,) = waiting.result(60)
    assert found.address == response
    sub.close()


def test_a_fork_deeper_than_reorg_depth_is_a_typed_visible_error(fresh_devnet):
    dev = fresh_devnet
    task = dev.publish_task(dev.publish_source("manual"))
    got = Collector()
    health = []
    sub = subscribe(dev.network, got, poll_interval=FAST, on_health=health.append)
    poller = sub.poller
    with pytest.raises(InvalidArgumentError, match="reorg_depth"):
        poller.reorg_depth = 0
    poller.reorg_depth = 4
    read_to(poller, head(dev))
    tip = head(dev) + 10
    _deep_reorg(dev, poller, task, 10)
    err = until(lambda: poller.reorg_error, what="the error")
    assert isinstance(err, DeepReorgError)
    assert (err.depth, err.tip, err.resync_from) == (4, tip, tip - 4)
    assert "deeper than 4 blocks" in str(err) and "reorg_depth" in str(err)
    until(lambda: any("DeepReorgError" in h.last_error for h in health), what="the health")
    later = dev.respond(task, 1)  # and it goes on from there
    until(lambda: got.of(ResponseSubmitted, response=later))
    sub.close()


class OldHead:
    """A :class:`Proxy` rule for a replica that lags: every other ``eth_blockNumber`` answers
    ``lag`` blocks below the head (its blocks are the same chain)."""

    def __init__(self, upstream: str, lag: int) -> None:
        self.upstream, self.lag, self.stale, self.on = upstream, lag, 0, threading.Event()
        self.asked = 0

    def __call__(self, payload, n):
        if isinstance(payload, list) or payload.get("method") != "eth_blockNumber":
            return None
        self.asked += 1
        if not self.on.is_set() or self.asked % 2:
            return None
        reply = requests.post(self.upstream, json=payload, timeout=30).json()
        self.stale += 1
        reply["result"] = hex(max(0, int(reply["result"], 16) - self.lag))
        return 200, reply


def test_a_head_that_falls_back_on_the_same_chain_is_a_lagging_replica(fresh_devnet):
    dev = fresh_devnet
    task = dev.publish_task(dev.publish_source("manual"))
    rule = OldHead(dev.rpc_url, lag=3)
    with Proxy(dev.rpc_url, rule) as proxy:
        net = dev.network.with_settings(rpc_url=proxy.url)
        got = Collector()
        sub = subscribe(net, got, poll_interval=FAST)
        poller = sub.poller
        first = dev.respond(task, 0)
        until(lambda: got.of(ResponseSubmitted, response=first))
        dev.mine(5)
        read_to(poller, head(dev))
        rule.on.set()
        tip = poller.head
        until(lambda: poller.lagged >= 3 and rule.stale >= 3, what="stale heads")
        second = dev.respond(task, 1)
        until(lambda: got.of(ResponseSubmitted, response=second))
        assert poller.head >= tip
        assert poller.forks.reorgs == 0 and poller.retracted == 0
        assert [e for e in got.events if e.removed] == []
        sub.close()


def test_wait_for_responses_drops_a_response_a_reorg_took_back(fresh_devnet):
    dev = fresh_devnet
    task, watching, sub, poller = watched(dev)
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(wait_for_responses, task, 2, network=dev.network, timeout=60,
                              poll_interval=FAST)  # fmt: skip
        until(lambda: poller.subscribers == 2, what="the wait subscribed")
        snapshot = dev.rpc("evm_snapshot")
        gone = dev.respond(task, 0)
        until(lambda: watching.of(ResponseSubmitted, response=gone))
        read_to(poller, head(dev))
        assert dev.rpc("evm_revert", [snapshot]) is True
        dev.publish_source("manual")  # Nexus deploys the next responses at other addresses
        kept = [dev.respond(task, 1), dev.respond(task, 2)]
        found = waiting.result(60)
    assert gone not in kept
    assert [r.address for r in found] == kept, "a response the chain no longer has was returned"
    sub.close()
