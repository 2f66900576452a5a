"""The live ResponseTable: new responses become rows sent as patches of their own size, status
changes made anywhere patch rows (forward only), refresh, on_response, the live/paused switch,
and no thread or subscription left behind."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import threading
import time

import pandas as pd
import pyarrow as pa
import pytest
from support import until
from test_table import FakeComm, attach, custom_from_js, from_js, rows_of, unpack_address

import ogpu_widgets as ow
from ogpu_widgets.live import registry as live_poller
from ogpu_widgets.live.events import (
    ResponseStatusChanged,
    ResponseSubmitted,
    TaskPublished,
    TaskStatusChanged,
)
from ogpu_widgets.records import ResponseStatus, TaskResponse, TaskStatus
from ogpu_widgets.table import ResponseTable, ResponseTableError
from ogpu_widgets.table import live as table_live
from ogpu_widgets.table.livestatus import HEARTBEAT

FAST = 0.2  # seconds between polls in these tests


class Polls:
    """Counts the health reports a live table's poller sends it (one after every poll)."""

    def __init__(self, table) -> None:
        self.count = 0
        self.cond = threading.Condition()
        sub = table.subscription
        inner = sub.on_health

        def counted(health) -> None:
            inner(health)
            with self.cond:
                self.count += 1
                self.cond.notify_all()

        sub.on_health = counted

    def wait(self, n: int, timeout: float = 20.0) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: self.count >= n, timeout), f"{n} polls"


class Watcher:
    """Another subscriber of a network's poller: records the responses it is told of."""

    def __init__(self, devnet) -> None:
        self.seen: set[str] = set()
        self.cond = threading.Condition()
        self.sub = live_poller.subscribe(devnet.network, self._on, poll_interval=FAST)

    def _on(self, events) -> None:
        with self.cond:
            self.seen.update(e.response for e in events if isinstance(e, ResponseSubmitted))
            self.cond.notify_all()

    def wait_for(self, response: str, timeout: float = 20.0) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: response in self.seen, timeout), response

    def close(self) -> None:
        self.sub.close()


def patches(comm: FakeComm) -> list[dict]:
    """Every ``_patch`` sent, its binary parts (the appended rows) put back in place."""
    out = []
    for data, buffers in comm.sent:
        if data.get("method") != "update" or "_patch" not in data["state"]:
            continue
        patch = json.loads(json.dumps(data["state"]["_patch"]))
        for path, buf in zip(data.get("buffer_paths", []), buffers, strict=True):
            if path[0] == "_patch":
                target = patch
                for key in path[1:-1]:
                    target = target[key]
                target[path[-1]] = bytes(buf)
        out.append(patch)
    return out


def appended(comm: FakeComm) -> list[str]:
    """Addresses the front-end received as new rows (decoded from the Arrow appends)."""
    out = []
    for data, buffers in comm.sent:
        if data.get("method") != "update" or "_patch" not in data["state"]:
            continue
        for path, buf in zip(data.get("buffer_paths", []), buffers, strict=True):
            if path[:3] == ["_patch", "append", "rows"]:
                table = pa.ipc.open_stream(bytes(buf)).read_all()
                out += [unpack_address(a) for a in table.column("address").to_pylist()]
    return out


def front_row(table: ResponseTable, address: str) -> dict:
    """The front-end's view of a row: snapshot or appended rows, every patch applied."""
    snap = rows_of(table).to_pylist()
    rows = {unpack_address(r["address"]): r for r in snap}
    if address not in rows:
        rows[address] = {}
    current = dict(rows[address])
    current.update(table._overrides.get(address, {}))
    return current


def event(kind, *args, block=1, i=[0]):  # noqa: B006 (a counter for unique log keys)
    i[0] += 1
    return kind(*args, block, "0x" + f"{i[0]:064x}", 0)


@pytest.fixture
def task_world(devnet):
    src = devnet.publish_source("manual")
    task = devnet.publish_task(src, payment_ogpu=1)
    responses = [devnet.respond(task, k) for k in range(2)]
    return {"source": src, "task": task, "responses": responses}


@pytest.fixture
def live_table(devnet, task_world):
    """Builds live tables of ``task_world``'s task, polling every ``FAST`` s (``signed=True``:
    with the client's key), and closes them after the test."""
    made: list[ResponseTable] = []

    def build(signed: bool = False) -> ResponseTable:
        key = {"account": devnet.client.private_key} if signed else {}
        t = ResponseTable(
            tasks=[task_world["task"]], network=devnet.network, poll_interval=FAST, **key
        )
        made.append(t)
        return t

    yield build
    for t in made:
        t.close()


# ---- new rows --------------------------------------------------------------------------------


def test_a_new_response_arrives_as_a_patch_of_its_own_size(devnet, task_world, live_table):
    t = live_table()
    comm = attach(t)
    seen: list[TaskResponse] = []
    t.on_response(seen.append)
    assert t.live and t.subscription is not None
    late = devnet.respond(task_world["task"], 3)
    until(lambda: late in t.df.index, what="the new row")
    assert t.wait_live(10)
    assert appended(comm) == [late]
    assert "_rows" not in comm.sent_keys()  # never the whole table again
    append_msgs = [i for i, (d, _) in enumerate(comm.sent) if "append" in str(d)]
    assert len(append_msgs) == 1
    size = comm.size(append_msgs[0])
    assert size <= 6_000, size  # one row: a few kB (the Arrow schema is most of it)
    total = sum(comm.size(i) for i in range(len(comm.sent)))
    assert total <= 12_000, total
    # the row is complete in Python and in the front-end's store
    row = front_row(t, late)
    assert t.df.loc[late, "task"] == task_world["task"]
    assert t.df.loc[late, "provider"] == devnet.providers[3].address
    assert t._core.snapshot_keys[-1] == late and len(t._core.snapshot_keys) == 3
    assert isinstance(t.df["status"].dtype, pd.CategoricalDtype)
    assert row.get("can_confirm") is None  # verdicts travel in the appended rows
    assert [r.address for r in seen] == [late] and seen[0].task == task_world["task"]
    assert t._live_status["state"] in ("live", "connecting")
    assert t._live_status["updated"] > time.time() - 30


def test_appended_rows_carry_verdicts_and_reach_view_and_resync(devnet, task_world, live_table):
    t = live_table(signed=True)
    comm = attach(t)
    late = devnet.respond(task_world["task"], 4)
    until(lambda: late in t.df.index)
    assert t.wait_live(10)
    patch = next(p for p in patches(comm) if "append" in p)
    assert patch["append"]["start"] == 2 and patch["append"]["new"] is True
    rows = pa.ipc.open_stream(patch["append"]["rows"]).read_all().to_pylist()
    assert rows[0]["can_confirm"] is True and rows[0]["reason"] == ""
    assert rows[0]["status"] == "submitted" and rows[0]["task_status"] == "responded"
    # the front-end's view positions cover the appended row (index 2)
    import struct

    from_js(t, _view={"all": False, "positions": struct.pack("<2I", 2, 0)})
    assert list(t.view.index) == [late, task_world["responses"][0]]
    # a re-rendered front-end asks for everything since the snapshot
    custom_from_js(t, {"type": "resync"})
    last = patches(comm)[-1]
    assert last["append"]["start"] == 2 and last["append"]["new"] is False
    again = pa.ipc.open_stream(last["append"]["rows"]).read_all()
    assert [unpack_address(a) for a in again.column("address").to_pylist()] == [late]


def test_dataframe_scope_is_its_tasks(devnet, task_world):
    other = devnet.publish_task(task_world["source"], payment_ogpu=1)
    df = ow.load_responses(tasks=[task_world["task"]], network=devnet.network, progress=False)
    t = ResponseTable(df, network=devnet.network, poll_interval=FAST)
    try:
        comm = attach(t)
        outside = devnet.respond(other, 0)
        inside = devnet.respond(task_world["task"], 5)
        until(lambda: inside in t.df.index)
        assert t.wait_live(10)
        assert outside not in t.df.index
        assert appended(comm) == [inside]
    finally:
        t.close()


def test_source_scope_follows_tasks_published_later(devnet, task_world):
    t = ResponseTable(source=task_world["source"], network=devnet.network, poll_interval=FAST)
    try:
        elsewhere = devnet.publish_source("manual")
        later = devnet.publish_task(task_world["source"], payment_ogpu=1)
        foreign = devnet.publish_task(elsewhere, payment_ogpu=1)
        r_foreign = devnet.respond(foreign, 0)
        r_later = devnet.respond(later, 1)
        until(lambda: r_later in t.df.index, what="a response to a task published later")
        assert t.wait_live(10)
        assert r_foreign not in t.df.index
        assert later in t._core.live.scope.tasks and foreign in t._core.live.scope.outside
    finally:
        t.close()


# ---- statuses ----------------------------------------------------------------------------------


def test_a_confirmation_from_another_process_shows_in_the_open_table(
    devnet, task_world, live_table, tmp_path
):
    t = live_table(signed=True)
    comm = attach(t)
    winner, other = task_world["responses"]
    assert front_row(t, other)["can_confirm"] is True
    state = devnet.write_state(tmp_path / "devnet.json")
    code = (
        "import sys, ogpu_widgets as ow\n"
        "c = ow.confirm_response(sys.argv[1], account=sys.argv[2], network=sys.argv[3],"
        " wait=True)\n"
        "print(c.state)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, winner, devnet.client.private_key, str(state)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    until(lambda: t.df.loc[winner, "status"] == "confirmed", what="the confirmation")
    until(lambda: front_row(t, other).get("task_status") == "finalized")
    assert t.wait_live(10)
    assert bool(t.df.loc[winner, "confirmed"])
    assert set(t.df["task_status"]) == {"finalized"}
    assert front_row(t, winner)["status"] == "confirmed"
    assert front_row(t, other)["can_confirm"] is False
    assert front_row(t, other)["reason"] == "task finalized"
    assert "_rows" not in comm.sent_keys()


def test_first_response_auto_confirmation_arrives_final(devnet):
    src = devnet.publish_source("first")
    task = devnet.publish_task(src, payment_ogpu=1)
    t = ResponseTable(tasks=[task], network=devnet.network, poll_interval=FAST)
    try:
        assert len(t.df) == 0
        r = devnet.respond(task, 0)
        until(lambda: r in t.df.index)
        assert t.wait_live(10)
        assert t.df.loc[r, "status"] == "confirmed" and t.df.loc[r, "task_status"] == "finalized"
    finally:
        t.close()


def test_states_only_move_forward(devnet, task_world, monkeypatch):
    t = ResponseTable(tasks=[task_world["task"]], network=devnet.network, live=False)
    comm = attach(t)
    winner, other = task_world["responses"]
    task = task_world["task"]
    stale = ow.read_responses([winner, other], network=devnet.network)  # before confirming
    devnet.confirm(winner)
    t._core.live.apply(
        [
            event(ResponseStatusChanged, winner, ResponseStatus.CONFIRMED),
            event(TaskStatusChanged, task, TaskStatus.FINALIZED),
        ],
        [],
    )
    assert t.df.loc[winner, "status"] == "confirmed"
    assert set(t.df["task_status"]) == {"finalized"}
    n = len(patches(comm))
    # a lagging replica: an old event and an old read change nothing
    monkeypatch.setattr(table_live, "read_responses", lambda *a, **k: stale)
    t._core.live.apply(
        [
            event(TaskStatusChanged, task, TaskStatus.RESPONDED),
            event(ResponseStatusChanged, winner, ResponseStatus.CONFIRMED),
        ],
        [],
    )
    assert t.df.loc[winner, "status"] == "confirmed" and bool(t.df.loc[winner, "confirmed"])
    assert set(t.df["task_status"]) == {"finalized"}
    assert len(patches(comm)) == n  # nothing moved, nothing sent
    # refresh from a stale replica keeps them too
    monkeypatch.setattr(table_live, "load_responses", lambda *a, **k: stale)
    t.refresh()
    assert t.df.loc[winner, "status"] == "confirmed"
    assert set(t.df["task_status"]) == {"finalized"}
    # the pure rule
    f = table_live.forward_changes
    old = {"status": "confirmed", "confirmed": True, "task_status": "finalized"}
    assert f(old, {"status": "submitted", "confirmed": False, "task_status": "responded"}) == {}
    assert f({"status": "submitted", "confirmed": False, "task_status": "responded"},
             {"status": "confirmed", "task_status": "finalized"}) == {
        "status": "confirmed", "confirmed": True, "task_status": "finalized"}  # fmt: skip


def test_hand_made_events_add_rows_in_one_read(devnet, task_world, monkeypatch):
    t = ResponseTable(tasks=[task_world["task"]], network=devnet.network, live=False)
    comm = attach(t)
    reads = []
    real = table_live.read_responses
    monkeypatch.setattr(
        table_live, "read_responses", lambda a, **k: reads.append(a) or real(a, **k)
    )
    new = [devnet.respond(task_world["task"], k) for k in (6, 7)]
    foreign_task = devnet.publish_task(task_world["source"], payment_ogpu=1)
    foreign = devnet.respond(foreign_task, 0)
    t._core.live.apply(
        [event(ResponseSubmitted, r, task_world["task"]) for r in new]
        + [event(ResponseSubmitted, foreign, foreign_task)]
        + [event(ResponseSubmitted, new[0], task_world["task"])],  # a duplicate
        [],
    )
    assert len(reads) == 1 and sorted(reads[0]) == sorted(new)  # one read, in scope only
    assert list(t.df.index[-2:]) == new
    assert appended(comm) == new
    append_patches = [p for p in patches(comm) if "append" in p]
    assert len(append_patches) == 1


def test_a_failed_read_is_tried_again(devnet, task_world, monkeypatch):
    t = ResponseTable(tasks=[task_world["task"]], network=devnet.network, live=False)
    late = devnet.respond(task_world["task"], 8)
    real = table_live.read_responses
    calls = []

    def flaky(addresses, **kw):
        calls.append(addresses)
        if len(calls) == 1:
            raise ow.errors.NodeUnavailableError("the node lags")
        return real(addresses, **kw)

    monkeypatch.setattr(table_live, "read_responses", flaky)
    t._core.live.apply([event(ResponseSubmitted, late, task_world["task"])], [])
    assert late not in t.df.index and late in t._core.live.retry
    t._core.live.apply([], list(t._core.live.retry))
    assert late in t.df.index and not t._core.live.retry


# ---- refresh, toggles, errors, cleanup -----------------------------------------------------------


def test_refresh_finds_new_responses_of_a_dataframe_table(devnet, task_world):
    df = ow.load_responses(tasks=[task_world["task"]], network=devnet.network, progress=False)
    t = ResponseTable(df, network=devnet.network, live=False)
    seen = []
    t.on_response(seen.append)
    comm = attach(t)
    late = devnet.respond(task_world["task"], 9)
    assert late not in t.df.index
    t.refresh()
    assert late in t.df.index and [r.address for r in seen] == [late]
    assert "_rows" in comm.sent_keys()  # refresh re-sends the snapshot
    # the refresh button does the same, off the comm thread
    late2 = devnet.respond(task_world["task"], 8)
    custom_from_js(t, {"type": "refresh"})
    until(lambda: late2 in t.df.index, what="the refresh button's rows")
    until(lambda: not t._live_status.get("refreshing"))
    with pytest.raises(ResponseTableError):
        t.on_response("not callable")


def test_live_switch_from_python_and_the_front_end(devnet, task_world, live_table):
    t = live_table()
    comm = attach(t)
    first = t.subscription
    t.live = False
    assert t.subscription is None and first.closed
    assert t.wait_live(1) is False  # paused: not following
    assert t._live_status["state"] == "paused"
    # paused: the chain's event reaches another subscriber of the same poller, not the table
    other = Watcher(devnet)
    try:
        missed = devnet.respond(task_world["task"], 5)
        other.wait_for(missed)
        assert missed not in t.df.index and not t._core.live.events
    finally:
        other.close()
    sent = len(comm.sent)
    from_js(t, live=True)  # the toolbar's switch
    assert t.subscription is not None and not t.subscription.closed
    until(lambda: t._live_status["state"] == "live", what="live again")
    # resuming catches up with what happened while paused, then follows on
    until(lambda: missed in t.df.index, what="the response missed while paused")
    later = devnet.respond(task_world["task"], 6)
    until(lambda: later in t.df.index)
    assert list(t.df.index[-2:]) == [missed, later]
    news = [d["state"] for d, _ in comm.sent[sent:] if d.get("method") == "update"]
    assert not any("live" in s for s in news)  # no echo of the front-end's value
    with pytest.raises(ResponseTableError):
        ResponseTable(tasks=[task_world["task"]], network=devnet.network, live="yes")
    with pytest.raises(ResponseTableError):
        ResponseTable(tasks=[task_world["task"]], network=devnet.network, poll_interval=0)
    t.close()
    assert t.subscription is None


def test_node_errors_show_as_reconnecting_and_never_crash(devnet, task_world):
    df = ow.load_responses(tasks=[task_world["task"]], network=devnet.network, progress=False)
    dead = dataclasses.replace(devnet.network, rpc_url="http://127.0.0.1:9", request_timeout=1.0)
    t = ResponseTable(df, network=dead, poll_interval=FAST)
    try:
        until(
            lambda: t._live_status.get("state") == "reconnecting", what="reconnecting", timeout=30
        )
        assert t._live_status["error"]
        assert len(t.df) == 2 and t.live
    finally:
        t.close()
    assert t.subscription is None


def test_close_unsubscribes_and_100_tables_leave_nothing_behind(devnet, task_world):
    df = ow.load_responses(tasks=[task_world["task"]], network=devnet.network, progress=False)
    # the same node under another name: a poller of its own, whatever other tests left open
    net = dataclasses.replace(
        devnet.network, name="devnet-100", rpc_url=devnet.rpc_url.replace("127.0.0.1", "localhost")
    )
    assert live_poller.POLLERS.get(net) is None
    threads_before = set(threading.enumerate())
    tables = [ResponseTable(df, network=net, poll_interval=FAST) for _ in range(100)]
    poller = tables[0].subscription.poller
    assert poller.subscribers == 100 and poller.running
    assert all(t.subscription.poller is poller for t in tables)  # one shared poller
    assert poller.wait_polls(poller.polls + 2, 10)
    for t in tables:
        t.close()
    assert all(t.subscription is None for t in tables)
    assert poller.subscribers == 0 and not poller.running
    assert live_poller.POLLERS.get(net) is None
    assert not any(t._core.threads.alive() for t in tables)  # every table thread joined

    def leftovers():
        return [
            t.name
            for t in set(threading.enumerate()) - threads_before
            if t.is_alive() and t.name.startswith(("ogpu-live-", "ogpu-table-live"))
        ]

    until(lambda: not leftovers(), what="no thread left", timeout=10)
    tables[0].close()  # closing twice is harmless
    assert not tables[0].live or tables[0].subscription is None


def test_status_payload_is_small_and_the_heartbeat_rare(devnet, task_world, live_table):
    t = live_table()
    comm = attach(t)
    start = time.monotonic()
    polls = Polls(t)  # the health reports the table received from its poller
    polls.wait(10)  # ten polls, each one a health report (about 2 s at FAST)
    elapsed = time.monotonic() - start
    statuses = [s for s in comm.states() if "_live_status" in s]
    # connecting, then live; after that only a heartbeat every HEARTBEAT s, not every poll
    assert len(statuses) <= 2 + int(elapsed // HEARTBEAT), (elapsed, statuses)
    assert all(len(json.dumps(s)) < 400 for s in statuses)


def test_published_event_for_unknown_source_is_ignored_by_fixed_scopes(devnet, task_world):
    t = ResponseTable(tasks=[task_world["task"]], network=devnet.network, live=False)
    t._core.live.apply([event(TaskPublished, task_world["responses"][0], task_world["source"])], [])
    assert len(t.df) == 2
