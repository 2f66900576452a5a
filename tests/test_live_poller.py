"""The event poller on a real anvil: decoding, cost per idle poll, sharing and stopping, node
faults (refused ranges, 5xx, a lagging replica); reorgs are in test_live_reorg.py."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from support import Collector, LaggingNode, Outage, Proxy, head, log_range_limit, until

from ogpu_widgets.live import (
    POLLERS,
    ResponseStatusChanged,
    ResponseSubmitted,
    TaskPublished,
    TaskStatusChanged,
    subscribe,
)
from ogpu_widgets.records import LiveState, ResponseStatus, TaskStatus

FAST = 0.05


pytestmark = pytest.mark.usefixtures("no_poller_left")


# ---- decoding --------------------------------------------------------------------------------


def test_each_event_is_decoded_from_anvil(devnet):
    got = Collector()
    sub = subscribe(devnet.network, got, poll_interval=FAST)
    source = devnet.publish_source("manual")
    task = devnet.publish_task(source)
    response = devnet.respond(task, 0)
    devnet.confirm(response)
    canceled = devnet.publish_task(source)
    devnet.cancel(canceled)
    until(lambda: got.of(TaskStatusChanged, task=canceled), what="the cancel event")
    assert got.of(TaskPublished, task=task, source=source)
    assert [e.status for e in got.of(TaskStatusChanged, task=task)] == [
        TaskStatus.ATTEMPTED, TaskStatus.RESPONDED, TaskStatus.FINALIZED,
    ]  # fmt: skip
    (submitted,) = got.of(ResponseSubmitted, response=response)
    assert submitted.task == task and submitted.record is None
    (confirmed,) = got.of(ResponseStatusChanged, response=response)
    assert confirmed.status is ResponseStatus.CONFIRMED
    assert got.of(TaskStatusChanged, task=canceled)[-1].status is TaskStatus.CANCELED
    # the chain's own view of the same logs, decoded by the devnet with eth_abi
    fields = {"ResponseSubmitted": ("response", "task"), "TaskPublished": ("task", "source"),
              "ResponseStatusChanged": ("response", "status"),
              "TaskStatusChanged": ("task", "status")}  # fmt: skip
    chain = {}
    for name, (a, b) in fields.items():
        for raw in devnet.events(name, sub.start):
            key = (_hex(raw["transactionHash"]), int(raw["logIndex"]))
            chain[key] = (name, raw["args"][a], raw["args"][b], int(raw["blockNumber"]))
    mine = {
        (e.tx_hash, e.log_index): (
            type(e).__name__,
            *(getattr(e, f) for f in fields[type(e).__name__]),
            e.block,
        )
        for e in got.events
    }
    assert mine == chain
    assert len(got.keys()) == len(set(got.keys()))
    assert [(e.block, e.log_index) for e in got.events] == sorted(
        (e.block, e.log_index) for e in got.events
    )


def _hex(value) -> str:
    text = value if isinstance(value, str) else bytes(value).hex()
    return (text if text.startswith("0x") else "0x" + text).lower()


def test_since_block_delivers_older_events_to_a_late_subscriber(devnet):
    source = devnet.publish_source("manual")
    start = head(devnet) + 1
    task = devnet.publish_task(source)
    first = Collector()
    subscribe(devnet.network, first, poll_interval=FAST)
    response = devnet.respond(task, 0)
    until(lambda: first.of(ResponseSubmitted, response=response))
    late = Collector()
    sub = subscribe(devnet.network, late, since_block=start, poll_interval=FAST)
    assert sub.poller is POLLERS.get(devnet.network) and sub.poller.subscribers == 2
    until(lambda: late.of(ResponseSubmitted, response=response))
    assert late.of(TaskPublished, task=task)  # before the first subscriber's start
    assert not first.of(TaskPublished, task=task)
    more = devnet.respond(task, 1)
    until(
        lambda: (
            late.of(ResponseSubmitted, response=more) and first.of(ResponseSubmitted, response=more)
        )
    )
    for got in (first, late):
        assert len(got.keys()) == len(set(got.keys()))


# ---- cost and sharing ------------------------------------------------------------------------


@pytest.mark.parametrize("subscribers", [1, 100])
def test_an_idle_poll_costs_two_requests(devnet, subscribers):
    interval = 0.25
    with Proxy(devnet.rpc_url, lambda payload, n: None) as proxy:
        net = devnet.network.with_settings(rpc_url=proxy.url)
        subs = [subscribe(net, Collector(), poll_interval=interval) for _ in range(subscribers)]
        poller = subs[0].poller
        assert {s.poller for s in subs} == {poller} and poller.subscribers == subscribers
        assert poller.wait_polls(2, 30)
        polls, count, made = poller.polls, proxy.count, poller.requests  # it sleeps now
        assert poller.wait_polls(polls + 8, 30)
        for sub in subs:
            sub.close()  # the last one stops the poller and joins its thread
        assert not poller.running
        # every request was answered and every poll counted (one cut short by the stop too),
        # so the counts are read when nothing moves any more, never in the middle of a poll
        n = poller.polls - polls
        assert (proxy.count - count) <= 2 * n, (proxy.count - count, n)
        assert poller.requests - made == proxy.count - count
        assert poller.errors == 0


def test_a_hundred_subscriptions_opened_and_closed_leave_nothing(devnet):
    net = devnet.network
    subs = [subscribe(net, Collector(), poll_interval=FAST) for _ in range(100)]
    poller = subs[0].poller
    assert len(POLLERS.pollers()) == 1 and poller.running and poller.subscribers == 100
    assert [t.name for t in threading.enumerate()].count("ogpu-live-devnet") == 1
    assert poller.wait_polls(1, 30)
    for sub in subs[:50]:
        sub.close()
    assert poller.running and poller.subscribers == 50
    closers = [threading.Thread(target=s.close) for s in subs[50:]]
    for t in closers:
        t.start()
    for t in closers:
        t.join(30)
    assert all(s.closed for s in subs)
    assert not poller.running and poller.subscribers == 0
    assert POLLERS.pollers() == []
    assert not [t for t in threading.enumerate() if t.name.startswith("ogpu-live-")]
    subs[0].close()  # twice is fine
    again = subscribe(net, Collector(), poll_interval=FAST)  # a new poller, a new thread
    assert again.poller is not poller and again.poller.running
    again.close()
    assert not again.poller.running


def test_a_callback_that_raises_or_closes_does_not_stop_the_poller(devnet, caplog):
    source = devnet.publish_source("manual")
    task = devnet.publish_task(source)
    good = Collector()

    def bad(events):
        raise RuntimeError("a subscriber's bug")

    subscribe(devnet.network, bad, poll_interval=FAST)
    subscribe(devnet.network, good, poll_interval=FAST)
    holder: list = []

    def closing(events):
        holder[0].close()  # closing from the poller's own thread

    holder.append(subscribe(devnet.network, closing, poll_interval=FAST))
    with caplog.at_level(logging.ERROR, logger="ogpu_widgets.live"):
        r1 = devnet.respond(task, 0)
        until(lambda: good.of(ResponseSubmitted, response=r1))
    assert holder[0].closed
    assert "a live callback raised" in caplog.text
    r2 = devnet.respond(task, 1)
    until(lambda: good.of(ResponseSubmitted, response=r2))
    assert POLLERS.get(devnet.network).errors == 0


def test_set_interval_takes_the_shortest(devnet):
    sub = subscribe(devnet.network, Collector(), poll_interval=5.0)
    other = subscribe(devnet.network, Collector(), poll_interval=3.0)
    assert sub.poller.interval == 3.0
    sub.set_interval(FAST)
    assert sub.poller.interval == FAST
    polls = sub.poller.polls
    assert sub.poller.wait_polls(polls + 3, 10)  # woken at once, then every FAST seconds
    other.close()
    sub.close()


# ---- node faults -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message", ["query returned more than 10000 results", "block range too large"]
)
def test_a_node_refusing_wide_ranges_gets_narrower_ones_and_catches_up(devnet, message):
    source = devnet.publish_source("manual")
    start = head(devnet) + 1
    tasks = [devnet.publish_task(source) for _ in range(3)]
    responses = [devnet.respond(t, k) for k, t in enumerate(tasks) for _ in range(1)]
    devnet.mine(20)
    rule = log_range_limit(3, message, devnet.rpc_url)
    with Proxy(devnet.rpc_url, rule) as proxy:
        net = devnet.network.with_settings(rpc_url=proxy.url, log_window=64)
        got = Collector()
        sub = subscribe(net, got, since_block=start, poll_interval=FAST)
        poller = sub.poller
        until(lambda: len(got.of(ResponseSubmitted)) == 3, what="the catch-up")
        assert 1 <= poller.refusals <= rule.refused
        assert poller.window < 64
        assert [e.response for e in got.of(ResponseSubmitted)] == responses
        assert len(got.of(TaskPublished)) == 3
        assert len(got.keys()) == len(set(got.keys()))
        assert poller.errors == 0
        # a new response is found while the node still refuses wide ranges
        more = devnet.respond(tasks[0], 5)
        until(lambda: got.of(ResponseSubmitted, response=more))
        # once it takes them again, the window grows back, gradually
        rule_off = proxy.rule = lambda payload, n: None
        assert rule_off is proxy.rule
        until(lambda: poller.window == 64, what="the window to grow back")
        assert len(got.keys()) == len(set(got.keys()))
        sub.close()


def test_the_poller_reports_its_own_health_after_every_poll(devnet):
    outage = Outage()
    failing = outage.failing
    with Proxy(devnet.rpc_url, outage) as proxy:
        net = devnet.network.with_settings(rpc_url=proxy.url)
        reports = []
        cond = threading.Condition()

        def on_health(health):
            with cond:
                reports.append(health)
                cond.notify_all()

        def after(n, state):
            with cond:
                assert cond.wait_for(lambda: any(h.state == state for h in reports[n:]), 30)
                return len(reports)

        sub = subscribe(net, lambda events: None, poll_interval=FAST, on_health=on_health)
        poller = sub.poller
        poller.max_backoff = 0.3
        assert poller.health().state in (LiveState.CONNECTING, LiveState.LIVE)
        n = after(0, LiveState.LIVE)
        good = poller.health()
        assert good.last_success is not None and good.last_error == "" and good.head is not None
        failing.set()
        n = after(n, LiveState.RECONNECTING)
        bad = poller.health()
        assert "503" in bad.last_error and bad.errors >= 1
        assert bad.last_success >= good.last_success  # a failed poll is no success
        failing.clear()
        after(n, LiveState.LIVE)
        assert poller.health().last_success > good.last_success
        with cond:  # one report per poll, in order
            polls = [h.polls for h in reports]
        assert polls == sorted(polls) and len(set(polls)) == len(polls)
        sub.close()


def test_node_errors_are_counted_logged_and_the_poller_resumes(devnet, caplog):
    source = devnet.publish_source("manual")
    task = devnet.publish_task(source)
    outage = Outage()
    failing = outage.failing
    with Proxy(devnet.rpc_url, outage) as proxy:
        net = devnet.network.with_settings(rpc_url=proxy.url)
        got = Collector()
        sub = subscribe(net, got, poll_interval=FAST)
        poller = sub.poller
        poller.max_backoff = 0.3
        assert poller.wait_polls(1, 30)
        with caplog.at_level(logging.WARNING, logger="ogpu_widgets.live"):
            failing.set()
            response = devnet.respond(task, 0)  # straight to anvil: the chain moves on
            until(lambda: poller.errors >= 3, what="three failed polls")
            assert not got.of(ResponseSubmitted, response=response)
            assert "503" in poller.last_error and poller.running
            failing.clear()
            until(lambda: got.of(ResponseSubmitted, response=response), what="the resumption")
        assert "poll failed" in caplog.text and "resumed after" in caplog.text
        assert len(got.of(ResponseSubmitted, response=response)) == 1
        errors = poller.errors
        more = devnet.respond(task, 1)
        until(lambda: got.of(ResponseSubmitted, response=more))
        assert poller.errors == errors
        sub.close()


def test_a_lagging_replica_never_moves_the_cursor_back_nor_redelivers(devnet):
    source = devnet.publish_source("manual")
    task = devnet.publish_task(source)
    lagging = LaggingNode(devnet.rpc_url, every=3)
    with Proxy(devnet.rpc_url, lagging) as proxy:
        net = devnet.network.with_settings(rpc_url=proxy.url)
        got = Collector()
        heads: list[int] = []
        sub = subscribe(net, got, poll_interval=FAST)
        poller = sub.poller
        stop = threading.Event()

        def watch_head():
            while not stop.is_set():
                if poller.head is not None:
                    heads.append(poller.head)
                time.sleep(0.005)

        watcher = threading.Thread(target=watch_head)
        watcher.start()
        try:
            before = devnet.respond(task, 0)
            until(lambda: got.of(ResponseSubmitted, response=before))
            lagging.freeze()  # one replica stays at this block from now on
            responses = [devnet.respond(task, k) for k in (1, 2, 3)]
            devnet.confirm(responses[1])
            until(lambda: poller.lagged >= 2 and lagging.stale >= 6, what="stale answers")
            until(lambda: len(got.of(ResponseSubmitted)) == 4, what="every response")
            until(lambda: got.of(ResponseStatusChanged), what="the confirmation")
            lagging.thaw()
            assert poller.wait_polls(poller.polls + 3, 30)
        finally:
            stop.set()
            watcher.join()
        assert heads == sorted(heads), "the cursor moved backwards"
        keys = got.keys()
        assert len(keys) == len(set(keys)), "an event was delivered twice"
        assert [e.response for e in got.of(ResponseSubmitted)] == [before, *responses]
        statuses = [e.status for e in got.of(TaskStatusChanged, task=task)]
        assert statuses == [TaskStatus.ATTEMPTED, TaskStatus.RESPONDED, TaskStatus.FINALIZED]
        assert poller.errors == 0
        sub.close()
