"""``watch_responses`` and the waits on a real anvil: scopes, the iterator, callbacks, stop,
time-outs, FIRST_RESPONSE, and a confirmation sent from another process."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time

import pytest
from support import until

import ogpu_widgets as ow
from ogpu_widgets.live import (
    POLLERS,
    ResponseStatusChanged,
    ResponseSubmitted,
    TaskPublished,
    TaskStatusChanged,
)
from ogpu_widgets.records import ResponseStatus, TaskStatus

FAST = 0.05
WAIT = 30.0


pytestmark = pytest.mark.usefixtures("no_poller_left")


def events_until(watcher, done, timeout: float = WAIT) -> list:
    """Events of ``watcher`` until ``done(events)`` holds (AssertionError after ``timeout``)."""
    out: list = []
    deadline = time.monotonic() + timeout
    while not done(out):
        ev = watcher.get(timeout=max(0.0, deadline - time.monotonic()))
        if ev is None:
            raise AssertionError(f"timed out; got {out}")
        out.append(ev)
    return out


def once_subscribed(net, action) -> threading.Thread:
    """Run ``action()`` in a thread as soon as a wait has subscribed to ``net``'s poller and
    the poller has read once (no guessing with sleeps)."""

    def subscribed_and_read() -> bool:
        poller = POLLERS.get(net)
        return poller is not None and bool(poller.subscribers and poller.polls)

    def run():
        until(subscribed_and_read, WAIT, "a wait to subscribe", every=0.01)
        action()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


# ---- the watcher -------------------------------------------------------------------------------


def test_watching_tasks_iterates_their_events_with_records(devnet):
    source = devnet.publish_source("manual")
    task, other = devnet.publish_task(source), devnet.publish_task(source)
    with ow.watch_responses(tasks=[task], network=devnet, poll_interval=FAST) as watcher:
        assert watcher.tasks == {task} and watcher.poller.running
        devnet.respond(other, 0)  # out of scope
        response = devnet.respond(task, 1)
        got = events_until(watcher, lambda evs: len(evs) == 3)
        assert [type(e) for e in got] == [TaskStatusChanged, ResponseSubmitted, TaskStatusChanged]
        assert all(getattr(e, "task", task) == task for e in got)
        submitted = got[1]
        assert submitted.response == response
        record = submitted.record
        assert isinstance(record, ow.TaskResponse)
        assert (record.address, record.task, record.status) == (response, task, "submitted")
        assert record.provider == devnet.providers[1].address and record.data.startswith("http")
        devnet.confirm(response)
        got = events_until(watcher, lambda evs: len(evs) == 2)
        assert got[0] == ResponseStatusChanged(response, ResponseStatus.CONFIRMED, got[0].block,
                                               got[0].tx_hash, got[0].log_index)  # fmt: skip
        assert isinstance(got[1], TaskStatusChanged) and got[1].status is TaskStatus.FINALIZED
        # `other`'s response is in an earlier block than these events, so anything of it would
        # be queued by now; two more whole polls cover every block mined so far all the same
        poller = watcher.poller
        assert poller.wait_polls(poller.polls + 2, WAIT)
        assert watcher.get(timeout=0) is None  # nothing of `other` came through
    assert watcher.stopped and list(watcher) == []  # iteration ends once stopped
    assert POLLERS.get(devnet) is None


def test_a_source_scope_takes_in_tasks_published_later(devnet):
    source, elsewhere = devnet.publish_source("manual"), devnet.publish_source("manual")
    old = devnet.publish_task(source)
    watcher = ow.watch_responses(source=source, network=devnet, poll_interval=FAST)
    assert watcher.tasks == {old}
    new = devnet.publish_task(source)
    devnet.publish_task(elsewhere)
    response = devnet.respond(new, 0)
    got = events_until(watcher, lambda evs: any(isinstance(e, ResponseSubmitted) for e in evs))
    assert isinstance(got[0], TaskPublished) and (got[0].task, got[0].source) == (new, source)
    assert got[-1].response == response and got[-1].record.task == new
    assert watcher.tasks == {old, new}
    watcher.stop()
    watcher.stop()  # twice is fine
    rest = list(watcher)  # what was queued before the stop, then the end
    assert [(type(e), e.status) for e in rest] in ([], [(TaskStatusChanged, TaskStatus.RESPONDED)])
    assert watcher.get(timeout=0.1) is None


def test_a_client_scope_follows_its_new_sources(devnet):
    client = devnet.stranger.address
    devnet.deposit(client, 100)
    mine = devnet.publish_source("manual", client=client)
    theirs = devnet.publish_source("manual")
    first = devnet.publish_task(mine, client=client)
    watcher = ow.watch_responses(client=client, network=devnet, poll_interval=FAST)
    assert watcher.tasks == {first}
    devnet.publish_task(theirs)  # another client's task: left out
    later_source = devnet.publish_source("manual", client=client)  # after the watcher started
    task = devnet.publish_task(later_source, client=client)
    response = devnet.respond(task, 2)
    got = events_until(watcher, lambda evs: any(isinstance(e, ResponseSubmitted) for e in evs))
    assert [(e.task, e.source) for e in got if isinstance(e, TaskPublished)] == [
        (task, later_source)
    ]
    assert got[-1].response == response
    devnet.confirm(response, sender=client)
    got = events_until(watcher, lambda evs: any(isinstance(e, ResponseStatusChanged)
                                                for e in evs))  # fmt: skip
    assert got[-1].response == response
    watcher.stop()


def test_on_event_callbacks_and_a_callback_that_raises(devnet, caplog):
    source = devnet.publish_source("manual")
    task = devnet.publish_task(source)
    seen: list = []
    done = threading.Event()

    def on_event(ev):
        seen.append(ev)
        if isinstance(ev, ResponseSubmitted) and len(seen) < 3:
            raise RuntimeError("a bug in the user's callback")
        if isinstance(ev, ResponseSubmitted):
            done.set()

    with caplog.at_level(logging.ERROR, logger="ogpu_widgets.live"):
        watcher = ow.watch_responses(tasks=task, network=devnet, on_event=on_event,
                                     poll_interval=FAST)  # fmt: skip
        with pytest.raises(ow.InvalidArgumentError, match="on_event"):
            iter(watcher)
        devnet.respond(task, 0)
        devnet.respond(task, 1)
        assert done.wait(WAIT)
    assert "on_event callback of a ResponseWatcher raised" in caplog.text
    assert [type(e) for e in seen] == [
        TaskStatusChanged, ResponseSubmitted, TaskStatusChanged, ResponseSubmitted,
    ]  # fmt: skip
    assert watcher.poller.errors == 0
    watcher.stop()


def test_since_block_replays_the_past(devnet):
    source = devnet.publish_source("manual")
    task = devnet.publish_task(source)
    start = int(devnet.rpc("eth_blockNumber"), 16)
    response = devnet.respond(task, 0)
    with ow.watch_responses(tasks=[task], network=devnet, since_block=start,
                            poll_interval=FAST) as watcher:  # fmt: skip
        got = events_until(watcher, lambda evs: any(isinstance(e, ResponseSubmitted)
                                                    for e in evs))  # fmt: skip
        assert got[-1].response == response and got[-1].record.address == response
        assert watcher.since_block == start


def test_selectors_and_arguments_are_checked(devnet):
    source = devnet.publish_source("manual")
    task = devnet.publish_task(source)
    with pytest.raises(ow.SelectorError):
        ow.watch_responses(network=devnet)
    with pytest.raises(ow.SelectorError):
        ow.watch_responses(tasks=[task], source=source, network=devnet)
    with pytest.raises(ow.InvalidAddressError):
        ow.watch_responses(tasks=["0x123"], network=devnet)
    with pytest.raises(ow.NotATaskError):
        ow.watch_responses(tasks=[source], network=devnet)
    with pytest.raises(ow.NotAContractError):
        ow.watch_responses(tasks=["0x" + "12" * 20], network=devnet)
    with pytest.raises(ow.NotASourceError):
        ow.watch_responses(source=task, network=devnet)
    for bad in ({"poll_interval": 0}, {"since_block": -1}, {"on_event": 3}):
        with pytest.raises(ow.InvalidArgumentError):
            ow.watch_responses(tasks=[task], network=devnet, **bad)
    with pytest.raises(ow.InvalidArgumentError):
        ow.wait_for_responses(task, 0, network=devnet)
    with pytest.raises(ow.InvalidArgumentError):
        ow.wait_for_responses(task, network=devnet, timeout=-1)
    with pytest.raises(ow.NotATaskError):
        ow.wait_for_responses(source, network=devnet, timeout=1)
    assert POLLERS.pollers() == []  # nothing left subscribed by the refusals


# ---- the waits -----------------------------------------------------------------------------------


def test_wait_for_responses_returns_at_once_when_they_are_there(devnet):
    source = devnet.publish_source("manual")
    task = devnet.publish_task(source)
    responses = [devnet.respond(task, k) for k in (0, 1)]
    got = ow.wait_for_responses(task, 2, network=devnet, timeout=WAIT, poll_interval=5.0)
    assert [r.address for r in got] == responses
    assert POLLERS.pollers() == []


def test_wait_for_responses_waits_for_new_ones(devnet):
    source = devnet.publish_source("manual")
    task = devnet.publish_task(source)
    first = devnet.respond(task, 0)
    net = devnet.network
    later: list = []
    thread = once_subscribed(net, lambda: later.extend(devnet.respond(task, k) for k in (1, 2)))
    got = ow.wait_for_responses(task, 3, network=net, timeout=WAIT, poll_interval=FAST)
    thread.join()
    assert [r.address for r in got] == [first, *later]
    assert all(isinstance(r, ow.TaskResponse) and r.task == task for r in got)


def test_wait_for_responses_times_out_with_what_arrived(devnet):
    source = devnet.publish_source("manual")
    task = devnet.publish_task(source)
    first = devnet.respond(task, 0)
    with pytest.raises(ow.WatchTimeoutError) as info:
        ow.wait_for_responses(task, 2, network=devnet, timeout=0.5, poll_interval=FAST)
    err = info.value
    assert isinstance(err, TimeoutError) and isinstance(err, ow.OgpuWidgetsError)
    assert (err.task, err.expected, err.timeout) == (task, 2, 0.5)
    assert [r.address for r in err.found] == [first]
    assert POLLERS.pollers() == []


def test_wait_for_confirmed_response_of_a_first_response_task(devnet):
    source = devnet.publish_source("first")
    task = devnet.publish_task(source)
    net = devnet.network
    answered: list = []
    thread = once_subscribed(net, lambda: answered.append(devnet.respond(task, 3)))
    got = ow.wait_for_confirmed_response(task, network=net, timeout=WAIT, poll_interval=FAST)
    thread.join()
    assert got.address == answered[0] and got.confirmed and got.status == "confirmed"
    again = ow.wait_for_confirmed_response(task, network=net, timeout=WAIT)  # at once
    assert again.address == got.address


def test_wait_for_confirmed_response_times_out(devnet):
    source = devnet.publish_source("manual")
    task = devnet.publish_task(source)
    response = devnet.respond(task, 0)
    with pytest.raises(ow.WatchTimeoutError) as info:
        ow.wait_for_confirmed_response(task, network=devnet, timeout=0.5, poll_interval=FAST)
    err = info.value
    assert (err.task, err.expected, err.timeout) == (task, 1, 0.5)
    assert [r.address for r in err.found] == [response] and not err.found[0].confirmed


def test_a_confirmation_from_another_process_is_seen(devnet, tmp_path):
    source = devnet.publish_source("manual")
    task = devnet.publish_task(source)
    response = devnet.respond(task, 0)
    sibling = devnet.respond(task, 1)
    state = devnet.write_state(tmp_path / "devnet.json")
    watcher = ow.watch_responses(tasks=[task], network=devnet, poll_interval=FAST)
    code = (
        "import sys, ogpu_widgets as ow; "
        "c = ow.confirm_response(sys.argv[1], network=sys.argv[2]); print(c.state)"
    )
    env = {**os.environ, "CLIENT_PRIVATE_KEY": devnet.client.private_key}
    net = devnet.network
    result: list = []

    def confirm_elsewhere():
        result.append(
            subprocess.run(
                [sys.executable, "-c", code, response, str(state)],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )  # fmt: skip
        )

    thread = once_subscribed(net, confirm_elsewhere)
    got = ow.wait_for_confirmed_response(task, network=net, timeout=120, poll_interval=FAST)
    thread.join()
    assert result[0].returncode == 0, result[0].stderr
    assert result[0].stdout.strip().endswith("mined")
    assert got.address == response and got.confirmed
    evs = events_until(watcher, lambda evs: any(isinstance(e, ResponseStatusChanged)
                                                for e in evs))  # fmt: skip
    (changed,) = [e for e in evs if isinstance(e, ResponseStatusChanged)]
    assert changed.response == response and changed.status is ResponseStatus.CONFIRMED
    assert sibling not in {getattr(e, "response", None) for e in evs}
    watcher.stop()
