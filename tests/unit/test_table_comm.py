"""The comm thread of a ResponseTable (no chain: a table of made-up rows, its front-end messages
delivered as the comm does): every trait the front-end writes is checked by the same function
as a value set from Python, a bad one is refused (the last good value stays, the front-end gets
it back and is told), and every handler is linear and capped."""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import struct
import threading
import time

import pytest
from support import until
from test_table import attach, custom_from_js, from_js
from traitlets import TraitError

from ogpu_widgets.chain.codec import to_address
from ogpu_widgets.chain.network import Network
from ogpu_widgets.errors import InvalidArgumentError
from ogpu_widgets.read.frame import responses_frame
from ogpu_widgets.records import DeliveryMethod, TaskInfo, TaskResponse, TaskStatus
from ogpu_widgets.table import ResponseTable, messages
from ogpu_widgets.table.layout import normalize_layout
from ogpu_widgets.table.threads import Pool, Threads


def address(i: int, salt: str) -> str:
    return to_address("0x" + hashlib.sha256(f"{salt}{i}".encode()).hexdigest()[:40])


#: A network no test talks to (nothing here reads the chain).
NET = Network.custom(
    "http://127.0.0.1:9",
    nexus=address(1, "n"),
    controller=address(2, "n"),
    vault=address(3, "n"),
    chain_id=1337,
)


def frame(n: int, salt: str = "r"):
    """``n`` made-up responses (4 a task) with the columns and dtypes of load_responses."""
    tasks = [address(i, "t" + salt) for i in range(max(1, n // 4))]
    infos = {
        t: TaskInfo(
            address=t,
            source=address(0, "s"),
            client=address(0, "c"),
            config="",
            payment=10**18,
            expiry=2_000_000_000,
            status=TaskStatus.NEW,
            delivery_method=DeliveryMethod.MANUAL_CONFIRMATION,
            attempt_count=4,
            winning_provider=None,
            response_count=4,
        )  # fmt: skip
        for t in tasks
    }
    responses = [
        TaskResponse(
            address=address(i, salt),
            task=tasks[i % len(tasks)],
            provider=address(i % 7, "p"),
            data=f"d{i}",
            payment=10**18,
            status="submitted",
            confirmed=False,
            timestamp=1_700_000_000 + i,
        )  # fmt: skip
        for i in range(n)
    ]
    return responses_frame(responses, infos)


@pytest.fixture
def make():
    made = []

    def build(n: int = 8):
        t = ResponseTable(frame(n), network=NET, live=False, results=False)
        made.append(t)
        return t, attach(t)

    yield build
    for t in made:
        t.close()


def told(t) -> str:
    """The error the front-end was last told (a ``_reply`` answering no request)."""
    assert t._reply["id"] == "" and t._reply["ok"] is False
    return t._reply["error"]


def sent_back(comm, name: str):
    """The last value of ``name`` Python sent the front-end."""
    states = [s for s in comm.states() if name in s]
    assert states, f"{name} was not sent back"
    return states[-1][name]


# ---- column_layout -----------------------------------------------------------------------------

GOOD = {"order": ["task", "address"], "hidden": ["data"], "widths": {"task": 200}}


@pytest.mark.parametrize(
    "bad",
    [
        {"order": [f"c{i}" for i in range(50_000)]},  # the flood of the issue: 8.4 s before
        {"order": ["a"] * 1_000_000},  # duplicates of one name
        {"order": [["task"] * 3] * 3},  # nested lists
        {"hidden": [{"x": 1}]},
        {"order": "address"},
        {"widths": {"task": math.nan}},
        {"widths": {"task": "200px"}},
        {"widths": {"task": True}},
        {"widths": {f"c{i}": 100 for i in range(100_000)}},
        {"colors": [], "order": []},  # unknown keys
        {f"k{i}": 1 for i in range(10_000)},
        ["order"],
        "x" * 10_000_000,  # a huge string
        17,
    ],
)
def test_a_bad_layout_from_the_front_end_is_refused_and_told(make, bad):
    t, comm = make()
    t.column_layout = GOOD
    start = time.perf_counter()
    from_js(t, column_layout=bad)
    assert time.perf_counter() - start < 1.0  # linear and capped (quadratic took seconds)
    assert t.column_layout == GOOD  # the last good value stays
    assert sent_back(comm, "column_layout") == GOOD  # and the front-end gets it back
    error = told(t)
    assert error.startswith("column_layout: ") and len(error) < 600  # nothing echoed whole
    if isinstance(bad, dict):  # (a non-dict is refused by the trait's type from Python)
        with pytest.raises(InvalidArgumentError) as info:  # Python gets the same check
            t.column_layout = bad
        assert str(info.value) == error


def test_a_good_layout_from_the_front_end_is_stored_in_normal_form(make):
    t, comm = make()
    from_js(t, column_layout={"order": ["task", "task", "", "x" * 300], "widths": {"a": 1e9}})
    want = {"order": ["task"], "hidden": [], "widths": {"a": 1200}}
    assert t.column_layout == want == normalize_layout(t.column_layout)
    assert sent_back(comm, "column_layout") == want  # normalized: the front-end gets it


def test_the_layout_check_is_linear_up_to_its_cap():
    def cost(n: int) -> float:
        value = {"order": [f"c{i}" for i in range(n)], "widths": {"a": 100}}  # all distinct
        best = math.inf
        for _ in range(5):
            start = time.perf_counter()
            with contextlib.suppress(InvalidArgumentError):  # > MAX_NAMES: refused once counted
                normalize_layout(value)
            best = min(best, time.perf_counter() - start)
        return best

    small, large = cost(500), cost(2_000)  # 4x the input (the most entries looked at)
    assert large < 8 * small + 0.002


# ---- _view -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        {"all": False, "positions": struct.pack("<3I", 1, 1, 0)},  # a row twice
        {"all": False, "positions": struct.pack("<9I", *range(9))},  # more than the rows
        {"all": False, "positions": b"\x00" * 4_000_000},  # huge
        {"all": False, "positions": struct.pack("<I", 8)},  # past the snapshot
        {"all": False, "positions": b"\x01\x00"},
        {"all": False, "positions": list(range(8))},
        {"all": "no"},
        {"all": False, "positions": b"", "extra": 1},  # unknown key
        [1, 2],
    ],
)
def test_a_bad_view_is_refused_keeps_the_last_good_one_and_is_told(make, bad):
    t, comm = make()
    good = {"all": False, "positions": struct.pack("<2I", 1, 0)}
    from_js(t, _view=good)
    keys = list(t.df.index)
    assert list(t.view.index) == [keys[1], keys[0]]
    stored = dict(t._view)
    from_js(t, _view=bad)
    assert list(t.view.index) == [keys[1], keys[0]]
    assert t._view == stored  # not the bad value
    assert told(t).startswith("_view: ") and len(told(t)) < 400
    with pytest.raises((ValueError, TraitError)):  # Python gets the same check (and type)
        t._view = bad


# ---- selected_keys -----------------------------------------------------------------------------


def test_a_selection_is_normalized_in_one_pass(make):
    t, comm = make()
    keys = list(t.df.index)
    sent = [keys[2].lower(), keys[0], keys[2], 7, None, ["x"], "x" * 1_000_000, "0x" + "12" * 20]
    from_js(t, selected_keys=sent)
    assert t.selected_keys == [keys[2], keys[0]]
    assert sent_back(comm, "selected_keys") == [keys[2], keys[0]]


def test_a_huge_selection_is_refused_at_once(make):
    t, comm = make(8)
    keys = list(t.df.index)
    from_js(t, selected_keys=[keys[0]])
    flood = ["0x" + f"{i:040x}" for i in range(200_000)]  # each would need a checksum
    start = time.perf_counter()
    from_js(t, selected_keys=flood)
    assert time.perf_counter() - start < 1.0
    assert t.selected_keys == [keys[0]]
    assert sent_back(comm, "selected_keys") == [keys[0]]
    assert "selected_keys" in told(t) and str(8 + messages.SELECTION_SLACK) in told(t)


def test_selecting_every_row_of_a_large_table_is_quick(make):
    t, _ = make(20_000)
    keys = list(t.df.index)
    start = time.perf_counter()
    from_js(t, selected_keys=keys)
    assert time.perf_counter() - start < 2.0
    assert t.selected_keys == keys and len(t.selected) == 20_000


# ---- traits the front-end does not write -----------------------------------------------------


@pytest.mark.parametrize(
    "state",
    [
        {"read_only": False},
        {"account": "0x" + "12" * 20},
        {"banner": {"level": "error", "message": "pay now", "seq": 99}},
        {"columns": []},
        {"_reply": {"id": "x", "ok": True, "error": ""}},
        {"live": "yes"},
        {"_confirm_request": [1, 2]},
    ],
)
def test_what_the_front_end_may_not_write_is_refused(make, state):
    t, comm = make()
    ((name, value),) = state.items()
    before = getattr(t, name)
    from_js(t, **state)
    if name != "_reply":
        assert getattr(t, name) == before
        assert told(t).startswith(name)
    else:  # the refusal itself is a _reply: never the page's
        assert told(t).startswith("_reply")
    assert (
        json.dumps(sent_back(comm, name), default=str)
        == json.dumps(getattr(t, name) if name != "_reply" else before, default=str)
        or name == "_reply"
    )


# ---- requests --------------------------------------------------------------------------------


def test_request_ids_are_remembered_boundedly_with_their_first_outcome(make):
    t, _ = make()
    unknown = "0x" + "12" * 20
    for i in range(messages.MAX_SEEN + 50):
        from_js(t, _confirm_request={"id": f"r{i}", "response": unknown})
    router = t._core.router
    assert len(router.seen_requests) == messages.MAX_SEEN
    assert "r0" not in router.seen_requests and f"r{messages.MAX_SEEN + 49}" in router.seen_requests
    rid = f"r{messages.MAX_SEEN + 10}"
    from_js(t, _confirm_request={"id": rid, "response": t.df.index[0]})  # another row now
    assert t._reply["id"] == rid and not t._reply["ok"]
    assert "already handled" in t._reply["error"] and "not a row" in t._reply["error"]


def test_the_bounded_memory_is_linear(make):
    t, _ = make()
    unknown = "0x" + "12" * 20

    def cost(n: int, base: int) -> float:
        start = time.perf_counter()
        for i in range(n):
            from_js(t, _confirm_request={"id": f"{base}-{i}", "response": unknown})
        return time.perf_counter() - start

    small = cost(2_000, 1)
    large = cost(8_000, 2)  # 4x the requests, past the cap
    assert large < 8 * small


def test_an_estimate_request_with_a_huge_id_or_address_is_answered_at_once(make):
    t, comm = make()
    custom_from_js(t, {"type": "estimate", "id": "x" * 100_000, "response": t.df.index[0]})
    assert comm.customs()[-1]["id"] == "" and "string id" in comm.customs()[-1]["error"]
    custom_from_js(t, {"type": "estimate", "id": "e", "response": "0x" + "1" * 1_000_000})
    answer = comm.customs()[-1]
    assert answer["id"] == "e" and answer["fee_ogpu"] is None and len(answer["error"]) < 400


def test_a_waiting_job_takes_a_bounded_number_of_waiters():
    threads = Threads()
    release = threading.Event()
    pool = Pool(threads, "test-pool", 1, 10, waiters=5)
    try:
        assert pool.submit("busy", release.wait, lambda _r: None)  # runs, blocks the worker
        assert pool.submit("row", lambda: 1, lambda _r: None)  # waits behind it
        joined = [pool.submit("row", lambda: 1, lambda _r: None) for _ in range(10)]
        assert joined == [True] * 4 + [False] * 6  # 5 waiters in all, then "busy"
    finally:
        release.set()
        threads.close()


def test_an_unknown_message_type_is_ignored_cheaply(make):
    t, comm = make()
    before = len(comm.sent)
    custom_from_js(t, {"type": [[["x"] * 1000] * 100]})
    custom_from_js(t, {"type": "x" * 1_000_000})
    assert len(comm.sent) == before


def test_requests_waiting_for_one_result_are_capped():
    from ogpu_widgets.results.outcome import Outcome
    from ogpu_widgets.table.results import MAX_WAITERS

    release = threading.Event()

    def fetch(rows, **_):
        release.wait(10)
        return list(rows.index), [Outcome.failed("no gateway here") for _ in rows.index]

    t = ResponseTable(frame(4), network=NET, live=False)
    try:
        t._core.results.fetch = fetch
        comm = attach(t)
        target = t.df.index[0]
        for i in range(MAX_WAITERS + 20):
            custom_from_js(t, {"type": "result", "id": f"q{i}", "response": target})
        busy = [c for c in comm.customs() if c.get("type") == "result"]
        assert [c["id"] for c in busy] == [f"q{i}" for i in range(MAX_WAITERS, MAX_WAITERS + 20)]
        assert all("ask again" in c["error"] for c in busy)
        release.set()
        assert t.wait_results(10)
        done = until(
            lambda: (
                len([c for c in comm.customs() if c.get("type") == "result"]) >= MAX_WAITERS + 20
            ),
            what="every waiting request answered",
        )
        assert done
    finally:
        release.set()
        t.close()


def test_a_flood_of_resyncs_sends_one_patch_until_something_changes(make):
    t, comm = make(2_000)
    rows = list(t.df.index)
    t._core.patch_rows({a: {"action": "mined"} for a in rows})

    def sent_patches() -> int:
        return sum(1 for data, _ in comm.sent if "_patch" in data.get("state", {}))

    before = sent_patches()
    start = time.perf_counter()
    for _ in range(5_000):
        custom_from_js(t, {"type": "resync"})
    spent = time.perf_counter() - start
    assert sent_patches() == before + 1  # one resync patch: every view has it
    assert spent < 5.0
    t._core.patch_rows({rows[0]: {"action": "reverted"}})
    custom_from_js(t, {"type": "resync"})
    assert sent_patches() == before + 3  # the change, then a resync that carries it
