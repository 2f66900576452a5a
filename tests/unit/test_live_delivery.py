"""A subscriber's Delivery (no devnet): calls in order on one thread of its own, bounded, an
Exception logged, any other BaseException handed to on_fault, the last call, stop joins."""

from __future__ import annotations

import logging
import threading

import pytest

from ogpu_widgets.live.delivery import Delivery


def wait_for(cond: threading.Condition, predicate, timeout: float = 10.0) -> None:
    with cond:
        assert cond.wait_for(predicate, timeout)


class Calls:
    def __init__(self) -> None:
        self.got: list = []
        self.threads: set[str] = set()
        self.cond = threading.Condition()

    def __call__(self, arg) -> None:
        with self.cond:
            self.got.append(arg)
            self.threads.add(threading.current_thread().name)
            self.cond.notify_all()


def test_calls_run_in_order_on_one_thread_of_their_own():
    faults: list = []
    d = Delivery("ogpu-live-test-subscriber", faults.append)
    calls = Calls()
    assert d.thread is None  # started by the first call only
    for i in range(200):
        assert d.put(calls, i)
    wait_for(calls.cond, lambda: len(calls.got) == 200)
    assert calls.got == list(range(200)) and calls.threads == {"ogpu-live-test-subscriber"}
    assert d.thread is not None and d.thread.daemon and d.thread is not threading.current_thread()
    d.stop()
    assert not d.thread.is_alive() and faults == []
    assert d.put(calls, "late") and calls.got[-1] == 199  # nothing is called after stop


def test_the_queue_is_bounded_and_a_full_one_refuses():
    release = threading.Event()
    d = Delivery("ogpu-live-test-subscriber", lambda exc: None, capacity=3)
    started = threading.Event()

    def blocked(arg):
        started.set()
        release.wait()

    assert d.put(blocked, 0)
    assert started.wait(10)
    assert all(d.put(blocked, i) for i in range(3)) and d.pending == 3
    assert not d.put(blocked, "one too many") and d.pending == 3
    release.set()
    d.stop()
    assert not d.thread.is_alive()


def test_an_exception_is_logged_and_the_next_call_runs(caplog):
    calls = Calls()
    faults: list = []
    d = Delivery("ogpu-live-test-subscriber", faults.append)

    def bad(arg):
        raise ValueError("a subscriber's bug")

    with caplog.at_level(logging.ERROR, logger="ogpu_widgets.live"):
        d.put(bad, 1)
        d.put(calls, 2)
        wait_for(calls.cond, lambda: calls.got == [2])
    assert "a live callback raised" in caplog.text and faults == []
    d.stop()


@pytest.mark.parametrize("fatal", [SystemExit, KeyboardInterrupt, GeneratorExit])
def test_a_base_exception_goes_to_on_fault_and_the_last_call_still_runs(fatal):
    calls = Calls()
    d = Delivery("ogpu-live-test-subscriber", lambda exc: d.finish(calls, exc, drop=True))

    def boom(arg):
        raise fatal("out")

    d.put(boom, 1)
    d.put(calls, "dropped")
    wait_for(calls.cond, lambda: calls.got)
    (exc,) = calls.got
    assert isinstance(exc, fatal)
    d.thread.join(10)
    assert not d.thread.is_alive()  # ended after its last call, without stop()
    assert d.put(calls, "after") and calls.got == [exc]


def test_finish_runs_after_what_is_queued_then_ends():
    calls = Calls()
    d = Delivery("ogpu-live-test-subscriber", lambda exc: None)
    for i in range(5):
        d.put(calls, i)
    d.finish(calls, "last")
    d.finish(calls, "ignored")
    wait_for(calls.cond, lambda: calls.got and calls.got[-1] == "last")
    d.thread.join(10)
    assert calls.got == [0, 1, 2, 3, 4, "last"] and not d.thread.is_alive()


def test_stop_from_its_own_thread_does_not_wait_for_itself():
    done = threading.Event()
    d = Delivery("ogpu-live-test-subscriber", lambda exc: None)

    def closing(arg):
        d.stop()
        done.set()

    d.put(closing, None)
    assert done.wait(10)
    d.thread.join(10)
    assert not d.thread.is_alive()
