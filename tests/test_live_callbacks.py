"""Subscribers' callbacks never hold the shared poller: each runs in order on its subscriber's
own thread; a slow one delays no other subscriber, a ``BaseException`` ends its subscriber only,
falling behind is a typed error, a poller that dies is marked, replaced on the next subscribe and
shown as "error" by live tables; seconds arguments are bounded; a ``for`` loop over a watcher
left early unsubscribes (all on a real anvil)."""

from __future__ import annotations

import logging
import signal
import sys
import threading

import pytest
from support import Collector, Outage, Proxy, until

import ogpu_widgets as ow
from ogpu_widgets.live import POLLERS, ResponseSubmitted, subscribe
from ogpu_widgets.records import LiveState
from ogpu_widgets.table import ResponseTable, ResponseTableError

FAST = 0.05

pytestmark = pytest.mark.usefixtures("no_poller_left")


class Fatal(BaseException):
    """Not an Exception: what no ``except Exception`` takes (as SystemExit)."""


@pytest.fixture
def task(devnet):
    return devnet.publish_task(devnet.publish_source("manual"))


def no_subscriber_thread(sub) -> bool:
    return sub.thread is None or not sub.thread.is_alive()


# ---- a slow subscriber ---------------------------------------------------------------------------


def test_a_blocked_callback_delays_no_other_subscriber(devnet, task):
    release, entered = threading.Event(), threading.Event()
    slow_got = Collector()

    def slow(events):
        entered.set()
        release.wait()  # held until the end of the test
        slow_got(events)

    a = subscribe(devnet.network, slow, poll_interval=FAST)
    fast = Collector()
    b = subscribe(devnet.network, fast, poll_interval=FAST)
    health = []
    c = subscribe(devnet.network, lambda ev: None, poll_interval=FAST, on_health=health.append)
    try:
        r1 = devnet.respond(task, 0)
        until(lambda: entered.is_set(), what="the slow callback to be called", timeout=20)
        polls = a.poller.polls
        r2 = devnet.respond(task, 1)
        # B gets both while A's callback is still blocked, and the poller keeps polling
        until(lambda: {r1, r2} <= set(fast.responses()), what="B's events", timeout=20)
        assert a.poller.wait_polls(polls + 3, 20)
        until(lambda: len(health) >= 3, what="C's health reports", timeout=20)
        assert not release.is_set() and slow_got.responses() == []
    finally:
        release.set()
    until(lambda: set(slow_got.responses()) == {r1, r2}, what="A's events, in order, once")
    assert slow_got.responses() == [r1, r2] and a.error is None
    for sub in (a, b, c):
        sub.close()
        assert no_subscriber_thread(sub)


# ---- a callback raising a BaseException ----------------------------------------------------------


@pytest.mark.parametrize("fatal", [SystemExit, KeyboardInterrupt, Fatal])
@pytest.mark.parametrize("where", ["callback", "on_health"])
def test_a_base_exception_in_a_callback_ends_that_subscriber_only(
    devnet, task, caplog, fatal, where
):
    def boom(_):
        raise fatal("out of a callback")

    ends = []
    if where == "callback":
        bad = subscribe(devnet.network, boom, poll_interval=FAST, on_end=ends.append)
    else:
        bad = subscribe(devnet.network, lambda ev: None, poll_interval=FAST, on_health=boom,
                        on_end=ends.append)  # fmt: skip
    good = Collector()
    other = subscribe(devnet.network, good, poll_interval=FAST)
    with caplog.at_level(logging.ERROR, logger="ogpu_widgets.live"):
        r1 = devnet.respond(task, 0)
        until(lambda: ends, what="the bad subscriber to end", timeout=20)
    (error,) = ends
    assert isinstance(error, ow.SubscriptionEndedError) and error is bad.error
    assert fatal.__name__ in str(error) and error.network == devnet.network.name
    assert bad.closed and fatal.__name__ in caplog.text
    until(lambda: no_subscriber_thread(bad), what="its thread to end")
    poller = other.poller
    assert poller.running and not poller.dead and POLLERS.get(devnet.network) is poller
    until(lambda: r1 in good.responses(), what="the good subscriber's event")
    r2 = devnet.respond(task, 1)
    until(lambda: r2 in good.responses(), what="the next event")
    assert poller.errors == 0 and poller.subscribers == 1
    other.close()


def test_a_watchers_on_event_raising_system_exit_stops_that_watcher_only(devnet, task):
    def boom(event):
        raise SystemExit(3)

    doomed = ow.watch_responses(tasks=[task], network=devnet, poll_interval=FAST, on_event=boom)
    kept = ow.watch_responses(tasks=[task], network=devnet, poll_interval=FAST)
    r1 = devnet.respond(task, 0)
    first = kept.get(timeout=20)
    assert first is not None
    until(lambda: doomed.stopped and doomed.error is not None, what="the watcher to stop")
    assert isinstance(doomed.error, ow.SubscriptionEndedError)
    assert "SystemExit" in str(doomed.error)
    r2 = devnet.respond(task, 1)
    got = [first.response] if isinstance(first, ResponseSubmitted) else []
    while r2 not in got:
        ev = kept.get(timeout=20)
        assert ev is not None, "the kept watcher stopped receiving"
        if isinstance(ev, ResponseSubmitted):
            got.append(ev.response)
    assert got[:2] == [r1, r2] and not kept.stopped
    kept.stop()


# ---- falling behind --------------------------------------------------------------------------------


def test_a_subscriber_falling_behind_ends_with_events_lost(devnet, task, caplog, monkeypatch):
    monkeypatch.setattr("ogpu_widgets.live.delivery.MAX_PENDING", 3)
    release, entered = threading.Event(), threading.Event()
    got = Collector()

    def slow(events):
        entered.set()
        release.wait()
        got(events)

    ends = []
    sub = subscribe(devnet.network, slow, poll_interval=FAST, on_end=ends.append)
    other = Collector()
    keep = subscribe(devnet.network, other, poll_interval=FAST)
    try:
        with caplog.at_level(logging.ERROR, logger="ogpu_widgets.live"):
            responses = [devnet.respond(task, 0)]
            until(entered.is_set, what="the first call", timeout=20)
            for k in range(1, 6):  # one call per poll: the first blocked, 3 queued, one lost
                polls = sub.poller.polls
                responses.append(devnet.respond(task, k))
                assert sub.poller.wait_polls(polls + 2, 20)
                if sub.error is not None:
                    break
            until(lambda: sub.error is not None, what="the overflow", timeout=20)
        error = sub.error
        assert isinstance(error, ow.EventsLostError) and error.capacity == 3
        assert isinstance(error.since_block, int) and "since_block=" in str(error)
        assert "fell 3 callbacks behind" in caplog.text and sub.closed
        assert not ends  # told after what was queued before it
    finally:
        release.set()
    until(lambda: ends, what="on_end")
    assert ends == [error]
    delivered = got.responses()
    assert delivered == responses[: len(delivered)] and 1 <= len(delivered) < len(responses)
    until(lambda: no_subscriber_thread(sub), what="its thread to end")
    until(lambda: set(responses) <= set(other.responses()), what="the other subscriber's events")
    assert keep.poller.running and keep.error is None
    keep.close()


# ---- a poller that dies ----------------------------------------------------------------------------


def _kill(poller) -> None:
    """Make the poller's next poll raise what no ``except Exception`` takes."""

    def fatal():
        raise Fatal("the poller's own bug")

    poller._poll = fatal
    poller.wake()


def test_a_dead_poller_is_marked_its_subscribers_told_and_replaced(devnet, task, caplog):
    health, ends = [], []
    sub = subscribe(devnet.network, lambda ev: None, poll_interval=FAST, on_health=health.append,
                    on_end=ends.append)  # fmt: skip
    watcher = ow.watch_responses(tasks=[task], network=devnet, poll_interval=FAST)
    dead = sub.poller
    assert watcher.poller is dead and dead.wait_polls(1, 20)
    with caplog.at_level(logging.ERROR, logger="ogpu_widgets.live"):
        _kill(dead)
        until(lambda: ends, what="the subscriber to be told", timeout=20)
    assert "died" in caplog.text and "Fatal" in caplog.text
    assert dead.dead and not dead.running and dead.state is LiveState.ERROR
    assert health[-1].state is LiveState.ERROR and "Fatal" in health[-1].last_error
    assert isinstance(ends[0], ow.PollerDiedError) and ends[0] is sub.error and sub.closed
    # an iterating watcher of it raises the same error class, not a silent hang
    with pytest.raises(ow.PollerDiedError):
        for _ in watcher:
            pass
    assert watcher.stopped
    # the registry no longer hands it out: the next subscribe starts a new poller
    assert POLLERS.get(devnet.network) is None
    got = Collector()
    again = subscribe(devnet.network, got, poll_interval=FAST)
    assert again.poller is not dead and again.poller.running and not again.poller.dead
    response = devnet.respond(task, 0)
    until(lambda: response in got.responses(), what="events from the new poller", timeout=20)
    again.close()
    until(lambda: no_subscriber_thread(sub), what="the dead poller's subscriber thread to end")


def test_a_wait_whose_poller_dies_subscribes_again_and_still_finds_the_response(devnet):
    """The wait's subscription ends with the poller: it subscribes again (a new poller) and
    the response submitted afterwards is found, well before the wait's time-out."""
    from concurrent.futures import ThreadPoolExecutor

    t = devnet.publish_task(devnet.publish_source("manual"))
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(ow.wait_for_responses, t, 1, network=devnet, timeout=120,
                              poll_interval=FAST)  # fmt: skip
        until(lambda: POLLERS.get(devnet.network) is not None, what="the wait's poller")
        dead = POLLERS.get(devnet.network)
        assert dead.wait_polls(1, 20)
        _kill(dead)
        until(lambda: dead.dead, what="the death", timeout=20)
        until(lambda: (p := POLLERS.get(devnet.network)) is not None and p is not dead,
              what="the wait's new poller", timeout=20)  # fmt: skip
        response = devnet.respond(t, 0)
        found = waiting.result(timeout=60)
    assert [r.address for r in found] == [response]
    assert POLLERS.pollers() == []


def test_a_dead_poller_is_replaced_even_when_it_died_before_telling_the_registry(devnet):
    sub = subscribe(devnet.network, lambda ev: None, poll_interval=FAST)
    poller = sub.poller
    forget = POLLERS._forget
    try:
        POLLERS._forget = lambda p: None  # as if its death could not tell anyone
        _kill(poller)
        until(lambda: poller.dead and sub.closed, what="the death", timeout=20)
    finally:
        POLLERS._forget = forget
    again = subscribe(devnet.network, lambda ev: None, poll_interval=FAST)
    assert again.poller is not poller and again.poller.running
    again.close()
    assert POLLERS.pollers() == []


def test_a_live_table_of_a_dead_poller_says_error_and_resumes(devnet, task):
    devnet.respond(task, 0)
    table = ResponseTable(tasks=[task], network=devnet.network, poll_interval=FAST)
    try:
        until(lambda: table._live_status.get("state") == "live", what="live", timeout=30)
        dead = table.subscription.poller
        _kill(dead)
        until(lambda: table._live_status.get("state") == "error", what="error", timeout=20)
        assert "Fatal" in table._live_status["error"] and "Resume" in table._live_status["error"]
        assert table.live and isinstance(table.subscription.error, ow.PollerDiedError)
        assert table.wait_live() is False  # no longer live: no waiting forever
        missed = devnet.respond(task, 1)  # while the table had no poller
        table.live = False
        table.live = True  # a new subscription: a new poller, from where the dead one stopped
        assert table.subscription.poller is not dead
        until(lambda: table._live_status.get("state") == "live", what="live again", timeout=30)
        until(lambda: missed in table.df.index, what="the missed response", timeout=30)
    finally:
        table.close()


def test_a_live_table_that_fell_behind_says_error_and_resumes_from_the_lost_block(
    devnet, task, monkeypatch
):
    monkeypatch.setattr("ogpu_widgets.live.delivery.MAX_PENDING", 2)
    devnet.respond(task, 0)
    table = ResponseTable(tasks=[task], network=devnet.network, poll_interval=FAST)
    release = threading.Event()
    try:
        until(lambda: table._live_status.get("state") == "live", what="live", timeout=30)
        sub = table.subscription
        inner = sub.on_health

        def stuck(health):  # the table's thread held up (a kernel busy elsewhere)
            release.wait()
            inner(health)

        sub.on_health = stuck
        until(lambda: sub.error is not None, what="the overflow", timeout=30)
        assert isinstance(sub.error, ow.EventsLostError)
        lost = devnet.respond(task, 1)  # after the end: only a new subscription reads it
        release.set()
        until(lambda: table._live_status.get("state") == "error", what="error", timeout=20)
        assert "behind" in table._live_status["error"] and lost not in table.df.index
        assert table.wait_live(1) is False
        table.live = False
        table.live = True  # subscribes again from the first block whose events were lost
        until(lambda: table._live_status.get("state") == "live", what="live again", timeout=30)
        until(lambda: lost in table.df.index, what="the lost response", timeout=30)
    finally:
        release.set()
        table.close()


def test_a_long_outage_never_overflows_the_backoff(devnet):
    outage = Outage()
    with Proxy(devnet.rpc_url, outage) as proxy:
        net = devnet.network.with_settings(rpc_url=proxy.url)
        sub = subscribe(net, lambda ev: None, poll_interval=FAST)
        poller = sub.poller
        assert poller.wait_polls(1, 20)
        poller.max_backoff = float("inf")
        poller._failures = 5_000  # as after hours of failures: 2**5000 is no float
        outage.failing.set()
        errors = poller.errors
        until(lambda: poller.errors > errors, what="a failed poll", timeout=20)
        assert poller.running and not poller.dead and poller.state is LiveState.RECONNECTING
        poller.max_backoff = 0.1
        outage.failing.clear()
        poller.wake()
        until(lambda: poller.state is LiveState.LIVE, what="the resumption", timeout=30)
        sub.close()


# ---- seconds arguments ------------------------------------------------------------------------------

BAD_SECONDS = [float("inf"), 1e10, float("nan"), -1.0, 0, True, "2", None, 10**400]


@pytest.mark.parametrize("bad", BAD_SECONDS, ids=lambda v: repr(v)[:12])
def test_bad_seconds_get_a_typed_error_naming_the_argument_and_range(devnet, task, bad):
    def raises(call, argument, top):
        with pytest.raises(ow.InvalidArgumentError) as info:
            call()
        assert info.value.argument == argument and f"{top}]" in str(info.value)

    raises(lambda: subscribe(devnet.network, print, poll_interval=bad), "poll_interval", 3600)
    raises(lambda: ow.watch_responses(tasks=[task], network=devnet, poll_interval=bad),
           "poll_interval", 3600)  # fmt: skip
    raises(lambda: ow.wait_for_responses(task, network=devnet, timeout=bad), "timeout", 604800)
    raises(lambda: ow.wait_for_responses(task, network=devnet, timeout=1, poll_interval=bad),
           "poll_interval", 3600)  # fmt: skip
    raises(lambda: ow.wait_for_confirmed_response(task, network=devnet, timeout=bad),
           "timeout", 604800)  # fmt: skip
    with pytest.raises(ResponseTableError, match=r"poll_interval.*3600\]"):
        ResponseTable(tasks=[task], network=devnet.network, poll_interval=bad)
    sub = subscribe(devnet.network, print, poll_interval=1.0)
    raises(lambda: sub.set_interval(bad), "seconds", 3600)
    assert sub.interval == 1.0
    sub.close()
    table = ResponseTable(tasks=[task], network=devnet.network, live=False)
    if bad is not None and bad != 0:
        raises(lambda: table.wait_live(bad), "timeout", 604800)
    table.close()
    with ow.watch_responses(tasks=[task], network=devnet, poll_interval=1.0) as watcher:
        if bad is not None and bad != 0:
            raises(lambda: watcher.get(timeout=bad), "timeout", 604800)
        assert watcher.get(timeout=0) is None
    assert POLLERS.pollers() == []


@pytest.mark.parametrize("bad", [-1, 2**63, 10**5000, 1.5, True, "1", float("inf")],
                         ids=lambda v: repr(v)[:12] if not isinstance(v, int) or v < 2**64
                         else "huge")  # fmt: skip
def test_bad_blocks_get_a_typed_error(devnet, task, bad):
    for call in (
        lambda: subscribe(devnet.network, print, since_block=bad),
        lambda: ow.watch_responses(tasks=[task], network=devnet, since_block=bad),
    ):
        with pytest.raises(ow.InvalidArgumentError, match="since_block=.*block number") as info:
            call()
        assert info.value.argument == "since_block"
    assert POLLERS.pollers() == []


def test_bad_callbacks_get_a_typed_error(devnet):
    for name in ("on_health", "on_end"):
        with pytest.raises(ow.InvalidArgumentError) as info:
            subscribe(devnet.network, print, **{name: 3})
        assert info.value.argument == name
    assert POLLERS.pollers() == []


# ---- a for loop left early ----------------------------------------------------------------------------


@pytest.mark.parametrize("leave", [KeyboardInterrupt, RuntimeError, "break"])
def test_a_for_loop_left_early_unsubscribes(devnet, task, leave):
    watcher = ow.watch_responses(tasks=[task], network=devnet, poll_interval=FAST)
    devnet.respond(task, 0)

    def loop():
        for _ in watcher:
            if leave == "break":
                break
            raise leave("left from the body")

    if leave == "break":
        loop()
    else:
        with pytest.raises(leave):
            loop()
    assert watcher.stopped and watcher.subscription.closed
    assert POLLERS.get(devnet.network) is None


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_while_a_for_loop_waits_unsubscribes(devnet, task):
    watcher = ow.watch_responses(tasks=[task], network=devnet, poll_interval=FAST)
    main = threading.main_thread()
    assert threading.current_thread() is main

    def waiting() -> bool:
        frame = sys._current_frames().get(main.ident)
        names = []
        while frame is not None:
            names.append(frame.f_code.co_name)
            frame = frame.f_back
        return "get" in names and "wait" in names

    def press_ctrl_c():
        until(waiting, what="the loop to wait", timeout=20)
        signal.pthread_kill(main.ident, signal.SIGINT)

    presser = threading.Thread(target=press_ctrl_c, daemon=True)
    presser.start()
    with pytest.raises(KeyboardInterrupt):
        for _ in watcher:
            pass
    presser.join(20)
    assert watcher.stopped and POLLERS.get(devnet.network) is None


@pytest.mark.parametrize(
    "bad",
    [0, -1, True, 2.0, "3", None, 10**6 + 1, 10**5000],
    ids=["zero", "negative", "bool", "float", "str", "none", "too-many", "huge"],
)
def test_a_bad_count_of_a_wait_is_a_typed_error_with_a_short_message(devnet, task, bad):
    with pytest.raises(ow.InvalidArgumentError) as info:
        ow.wait_for_responses(task, bad, network=devnet, timeout=1)
    assert info.value.argument == "count" and len(str(info.value)) < 200
