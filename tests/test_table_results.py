"""ResponseTable's results: the Result column, fetches on demand after the first paint (on worker
threads, never on the comm thread), row patches, and the ``{"type": "result"}`` answers of the
detail view, with front-end messages delivered the way the comm does (FakeComm).

Each table here is given a fake fetcher (its results loader's ``fetch``) in place of
``ogpu_widgets.results.fetch_outcomes``; the real one, through the devnet's gateway, is exercised
by tests/e2e."""

from __future__ import annotations

import base64
import json
import threading
import time

import pandas as pd
import pyarrow as pa
import pytest
from support import SVG, png, until
from test_table import attach, custom_from_js, row, rows_of

import ogpu_widgets as ow
from ogpu_widgets.results.outcome import from_row
from ogpu_widgets.table import CONTROL_COLUMNS, DEFAULT_COLUMNS, ResponseTable
from ogpu_widgets.table import results as tr

CID = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"


class FakeFetch:
    """Stands in for ``fetch_outcomes``: answers from ``payloads`` (by row position in the
    table), records each call and the thread it ran on; ``delay`` makes it slow."""

    def __init__(self, payloads: dict[int, dict], order: list[str], delay: float = 0.0) -> None:
        self.payloads, self.order, self.delay = payloads, order, delay
        self.calls: list[dict] = []
        self.threads: set[str] = set()
        self.fail: Exception | None = None
        self.lock = threading.Lock()

    def __call__(self, responses, **kwargs):
        with self.lock:
            self.calls.append({"addresses": list(responses.index), **kwargs})
            self.threads.add(threading.current_thread().name)
        if self.delay:
            time.sleep(self.delay)
        if self.fail is not None:
            raise self.fail
        outcomes = []
        for a in responses.index:
            p = self.payloads.get(self.order.index(a), {"result_kind": "json", "result": {"ok": 1}})
            outcomes.append(from_row({
                "result": p.get("result"),
                "result_kind": p.get("result_kind", "json"),
                "result_cid": p.get("result_cid", CID),
                "result_verified": p.get("result_verified", True),
                "result_error": p.get("result_error", ""),
                "result_size": p.get("result_size", 10),
            }))  # fmt: skip
        return list(responses.index), outcomes

    def fetched(self) -> list[str]:
        return [a for c in self.calls for a in c["addresses"]]


@pytest.fixture
def task_rows(devnet):
    """A manual task with 4 responses (read once for the module's tests)."""
    source = devnet.publish_source("manual")
    task = devnet.publish_task(source, payment_ogpu=1)
    responses = [devnet.respond(task, i, data=f"ipfs://{CID}?{i}") for i in range(4)]
    df = ow.load_responses(tasks=[task], network=devnet.network, progress=False)
    return {"task": task, "responses": responses, "df": df}


PAYLOADS = {
    0: {"result_kind": "json", "result": {"result": "positive", "confidence": 0.97}},
    1: {"result_kind": "text", "result": "a \x1b[31mred\x1b[0m line\nand \u202eevil", "result_verified": pd.NA},
    2: {"result_kind": "image", "result": png(64, 48), "result_size": 200},
    3: {"result_kind": "error", "result": None, "result_error": "not fetched: not an IPFS URL",
        "result_verified": pd.NA},
}  # fmt: skip


@pytest.fixture
def make(devnet, task_rows, monkeypatch):
    """A table over ``task_rows`` with a fake fetch; returns (table, comm, fake). The tables
    are closed after the test."""
    made: list[ResponseTable] = []

    def build(payloads=None, delay=0.0, **kw):
        df = task_rows["df"]
        fake = FakeFetch(PAYLOADS if payloads is None else payloads, list(df.index), delay)
        t = ResponseTable(df, network=devnet.network, **kw)
        made.append(t)
        t._core.results.fetch = fake  # the loader's fetcher, given before anything is asked
        comm = attach(t)
        return t, comm, fake

    yield build
    for t in made:
        t.close()


def answers(comm, rid=None):
    out = [c for c in comm.customs() if c.get("type") == "result"]
    return [c for c in out if rid is None or c["id"] == rid]


def wait_answer(comm, rid, timeout=5.0):
    return until(lambda: answers(comm, rid), timeout, f"the answer for {rid!r}")[-1]


# ---- the column and the first paint -----------------------------------------------------------


def test_the_result_column_follows_data_and_the_first_paint_fetches_nothing(make, task_rows):
    assert DEFAULT_COLUMNS.index("result") == DEFAULT_COLUMNS.index("data") + 1
    assert {"result_preview", "result_state", "result_kind"} <= set(CONTROL_COLUMNS)
    t, comm, fake = make()
    names = [c["name"] for c in t.columns]
    assert names[names.index("data") + 1] == "result"
    assert t.columns[names.index("result")] == {"name": "result", "label": "Result",
                                                 "kind": "result"}  # fmt: skip
    schema = rows_of(t).schema.names
    assert not any(n.startswith("result") for n in schema)  # patches only
    # nothing before the front-end has painted and asked: nothing queued, no worker started
    loader = t._core.results
    assert not loader.asked and not loader.pending and loader.workers == 0
    assert not [x for x in t._core.threads.alive() if x.name == "ogpu-results"]
    assert fake.calls == []
    off, _, _ = make(results=False)
    assert "result" not in [c["name"] for c in off.columns]


def test_rows_fill_in_as_patches_fetched_off_the_comm_thread(make, task_rows):
    t, comm, fake = make(delay=0.3)
    a = list(task_rows["df"].index)
    start = time.monotonic()
    custom_from_js(t, {"type": "results", "addresses": [a[0]]})
    assert time.monotonic() - start < 0.1  # the comm thread only queues
    assert t.wait_results(10)
    assert fake.threads and "MainThread" not in fake.threads
    assert all(c["progress"] is False for c in fake.calls)
    assert all(c["network"] is t.network for c in fake.calls)
    # a small table fetches every row after the first ask, the asked one first
    assert sorted(fake.fetched()) == sorted(a)
    r0, r1, r2, r3 = (row(t, x) for x in a)
    assert r0["result_state"] == "ok" and r0["result_kind"] == "json"
    assert r0["result_preview"] == '{"result":"positive","confidence":0.97}'
    assert r1["result_state"] == "unverified"
    assert r1["result_preview"] == "a ␛[31mred␛[0m line and \ufffdevil"  # inert, one line
    assert r2["result_state"] == "ok" and r2["result_preview"] == "image 64×48 PNG"
    assert r3["result_state"] == "none" and r3["result_preview"].startswith("not fetched")
    # the patches travelled in _patch, keyed by response address
    patched = {addr for s in comm.states() if "_patch" in s for addr in s["_patch"]["rows"]}
    assert patched == set(a)
    # the table's results as a DataFrame
    res = t.results
    assert res.loc[a[0], "result"] == {"result": "positive", "confidence": 0.97}
    assert res["result_verified"].dtype == "boolean"
    assert pd.isna(res.loc[a[1], "result_verified"])


def test_asked_rows_go_first_and_prefetched_ones_after(make, task_rows):
    t, comm, fake = make()
    a = list(task_rows["df"].index)
    with t._core.lock:  # the queue alone (no worker started): the last key is fetched first
        t._core.results.queue([a[0], a[1]], priority=False)
        t._core.results.queue([a[2], a[3]], priority=True)
        assert list(t._core.results.pending)[::-1] == [a[2], a[3], a[0], a[1]]
        t._core.results.queue([a[1]], priority=True)  # asked again: first
        assert list(t._core.results.pending)[-1] == a[1]
        t._core.results.pending.clear()


def test_known_rows_are_not_fetched_again_and_bad_entries_are_skipped(make, task_rows):
    t, comm, fake = make()
    a = list(task_rows["df"].index)
    custom_from_js(t, {"type": "results", "addresses": [a[0]]})
    assert t.wait_results(10)
    n = len(fake.fetched())
    custom_from_js(
        t,
        {"type": "results", "addresses": [a[0].lower(), "0x" + "12" * 20, "nonsense", 7, None]},
    )
    custom_from_js(t, {"type": "results", "addresses": "not a list"})
    custom_from_js(t, {"type": "results"})
    assert t.wait_results(10)
    assert len(fake.fetched()) == n


def test_a_large_table_fetches_only_what_is_asked_and_the_list_is_capped(make, task_rows):
    from ogpu_widgets.table import protocol

    many = ["0x" + f"{i:040x}" for i in range(tr.MAX_ADDRESSES + 100)]
    assert len(protocol.parse_result_addresses({"addresses": many}, tr.MAX_ADDRESSES)) == (
        tr.MAX_ADDRESSES
    )
    t, comm, fake = make()
    a = list(task_rows["df"].index)
    old = tr.PREFETCH_ALL
    try:
        tr.PREFETCH_ALL = 2  # this table is now "large"
        custom_from_js(t, {"type": "results", "addresses": [a[1], a[1].lower()]})
        assert t.wait_results(10)
    finally:
        tr.PREFETCH_ALL = old
    assert fake.fetched() == [a[1]]


def test_a_failing_fetch_marks_the_rows_and_is_tried_again_on_request(make, task_rows):
    t, comm, fake = make()
    fake.fail = RuntimeError("gateway exploded")
    a = list(task_rows["df"].index)
    custom_from_js(t, {"type": "results", "addresses": [a[0]]})
    assert t.wait_results(10)
    r = row(t, a[0])
    assert r["result_state"] == "error" and "gateway exploded" in r["result_preview"]
    fake.fail = None
    custom_from_js(t, {"type": "result", "id": "again", "response": a[0]})
    got = wait_answer(comm, "again")
    assert got["kind"] == "json" and got["value"] == {"result": "positive", "confidence": 0.97}
    assert t.wait_results(10)
    assert row(t, a[0])["result_state"] == "ok"


# ---- {"type": "result"}: the detail view's request -------------------------------------------


@pytest.mark.parametrize("rid", [None, "", "   ", 7, 7.0, True, ["x"], "x" * 500])
def test_a_result_request_without_a_usable_id_is_answered_with_an_error(make, task_rows, rid):
    t, comm, fake = make()
    message = {"type": "result", "response": task_rows["responses"][0]}
    if rid is not None:
        message["id"] = rid
    custom_from_js(t, message)
    got = answers(comm)[-1]
    assert got["id"] == (rid if isinstance(rid, str) and len(rid) <= 200 else "")  # as _reply
    assert got["kind"] == "error" and "request id" in got["error"]
    assert fake.calls == []


def test_result_requests_are_checked_and_answered_with_their_id(make, task_rows):
    t, comm, fake = make()
    a = list(task_rows["df"].index)
    custom_from_js(t, {"type": "result", "id": "u", "response": "0x" + "12" * 20})
    got = wait_answer(comm, "u")
    assert got["kind"] == "error" and "not a row" in got["error"]
    custom_from_js(t, {"type": "result", "id": "bad", "response": "<script>"})
    got = wait_answer(comm, "bad")
    assert got["kind"] == "error" and "not a valid address" in got["error"]
    # ids compared exactly: "7" is answered as "7", never as 7
    custom_from_js(t, {"type": "result", "id": "7", "response": a[0].lower()})
    got = wait_answer(comm, "7")
    assert got["id"] == "7" and got["kind"] == "json"
    assert got["value"] == {"result": "positive", "confidence": 0.97}
    assert got["verified"] is True and got["cid"] == CID and got["state"] == "ok"
    assert fake.fetched() == [a[0]]  # fetched on a worker, once
    custom_from_js(t, {"type": "result", "id": "7b", "response": a[0]})
    assert wait_answer(comm, "7b")["value"] == {"result": "positive", "confidence": 0.97}
    assert fake.fetched() == [a[0]]  # from the table's cache
    # every answer is plain JSON (what the comm can carry)
    for c in answers(comm):
        json.dumps(c, allow_nan=False)


def test_image_text_and_error_answers(make, task_rows):
    t, comm, fake = make()
    a = list(task_rows["df"].index)
    for i, x in enumerate(a):
        custom_from_js(t, {"type": "result", "id": f"r{i}", "response": x})
    img = wait_answer(comm, "r2")
    assert img["kind"] == "image" and img["mime"] == "image/png"
    assert (img["width"], img["height"]) == (64, 48)
    assert base64.b64decode(img["image"]) == PAYLOADS[2]["result"]
    text = wait_answer(comm, "r1")
    assert text["kind"] == "text" and text["value"] == PAYLOADS[1]["result"]
    assert text["verified"] is None and text["state"] == "unverified"
    none = wait_answer(comm, "r3")
    assert none["kind"] == "error" and none["state"] == "none"
    assert none["error"].startswith("not fetched")


def test_what_is_sent_to_the_browser_is_capped(make, task_rows):
    big_text = "x" * (tr.MAX_TEXT + 10)
    big_json = {"v": "y" * tr.MAX_TEXT}
    payloads = {
        0: {"result_kind": "text", "result": big_text},
        1: {"result_kind": "json", "result": big_json},
        2: {"result_kind": "image", "result": png(2, 2) + b"\x00" * tr.MAX_IMAGE},
        3: {"result_kind": "image", "result": SVG},
    }
    t, comm, fake = make(payloads)
    a = list(task_rows["df"].index)
    for i, x in enumerate(a):
        custom_from_js(t, {"type": "result", "id": f"c{i}", "response": x})
    text = wait_answer(comm, "c0")
    assert text["truncated"] is True and len(text["value"]) == tr.MAX_TEXT
    js = wait_answer(comm, "c1")
    assert js["truncated"] is True and js["value"] is None and len(js["text"]) == tr.MAX_TEXT
    img = wait_answer(comm, "c2")
    assert img["truncated"] is True and img["image"] == "" and "not shown" in img["error"]
    svg = wait_answer(comm, "c3")
    assert svg["image"] == "" and svg["mime"] == "" and "PNG, JPEG, GIF and WebP" in svg["error"]
    assert t.wait_results(10)
    assert row(t, a[3])["result_preview"].startswith("image,")  # an SVG is never an image
    assert len(row(t, a[0])["result_preview"]) <= tr.MAX_PREVIEW


def test_resync_and_refresh_carry_the_results(make, task_rows):
    t, comm, fake = make()
    a = list(task_rows["df"].index)
    custom_from_js(t, {"type": "results", "addresses": a})
    assert t.wait_results(10)
    custom_from_js(t, {"type": "resync"})
    assert t._patch["rows"][a[0]]["result_state"] == "ok"
    n = len(fake.fetched())
    t.refresh()  # a new snapshot: the results are patched again, not fetched again
    assert t._patch["rows"][a[0]]["result_state"] == "ok"
    assert len(fake.fetched()) == n


def test_results_off(make, task_rows):
    t, comm, fake = make(results=False)
    a = list(task_rows["df"].index)
    custom_from_js(t, {"type": "results", "addresses": a})
    custom_from_js(t, {"type": "result", "id": "off", "response": a[0]})
    assert "turned off" in wait_answer(comm, "off")["error"]
    assert fake.calls == []
    assert row(t, a[0])["result_state"] == "none"  # a Result column shown anyway never spins


# ---- previews and image headers ----------------------------------------------------------------


def test_snapshot_is_unchanged_in_size(make, task_rows):
    t, comm, fake = make()
    table = pa.ipc.open_stream(t._rows).read_all()
    assert "result_preview" not in table.schema.names


def test_values_beyond_the_memory_budget_are_dropped_and_fetched_again(
    make, task_rows, monkeypatch
):
    monkeypatch.setattr(tr, "MEMORY_BUDGET", 1)
    t, comm, fake = make()
    a = list(task_rows["df"].index)
    custom_from_js(t, {"type": "results", "addresses": a})
    assert t.wait_results(10)
    kept = list(t._core.results.values)
    assert len(kept) == 1  # only the latest value stays in memory
    # a[1] is unverified; a[3] has no value to keep: one of a[0], a[2] was dropped
    gone = next(x for x in (a[0], a[2]) if x not in kept)
    assert row(t, gone)["result_state"] == "ok"  # its preview stays
    assert t.results.loc[gone, "result_preview"] == row(t, gone)["result_preview"]
    n = len(fake.fetched())
    custom_from_js(t, {"type": "result", "id": "m", "response": gone})
    assert wait_answer(comm, "m")["state"] == "ok"
    assert fake.fetched()[n:] == [gone]


# ---- a hostile result never freezes the kernel --------------------------------------------------


class Ticker:
    """A thread that ticks as fast as it can (sleeping 1 ms, so it needs the GIL back every
    tick): the longest gap between its ticks is how long other threads were frozen."""

    def __init__(self) -> None:
        self.ticks: list[float] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        until(lambda: len(self.ticks) > 5, 5, "the ticker's first ticks")

    def _run(self) -> None:
        while not self.stop.is_set():
            self.ticks.append(time.monotonic())
            time.sleep(0.001)

    def longest_gap(self) -> float:
        self.stop.set()
        self.thread.join(5)
        return max(b - a for a, b in zip(self.ticks, self.ticks[1:], strict=False))


def test_previewing_a_hostile_row_does_not_freeze_other_threads(make, task_rows, monkeypatch):
    """A hostile result is classified in linear time on the table's worker, and the detail
    answers are serialized on the answering thread, never the comm thread: no thread is frozen
    for longer than a few serializations of a large answer take (on main: many seconds)."""
    from ogpu_widgets.results.outcome import Outcome

    # a verified result of 300 "[" and an unterminated string of \" (the report's, larger)
    hostile = b"[" * 300 + b'"' + b'\\"' * 100_000
    big = json.dumps(list(range(600_000))).encode()  # a large answer to serialize

    def fetch(responses, **kwargs):  # parses in the table's worker, as fetch_outcomes does
        blobs = {0: hostile, 1: big}
        order = list(task_rows["df"].index)
        return list(responses.index), [
            Outcome(blobs.get(order.index(a), b"{}"), True, CID) for a in responses.index
        ]

    serialized_on = []
    detail = tr.detail_message

    def recording(rid, outcome):
        serialized_on.append(threading.current_thread().name)
        return detail(rid, outcome)

    monkeypatch.setattr(tr, "detail_message", recording)
    t, comm, _ = make()
    t._core.results.fetch = fetch
    a = list(task_rows["df"].index)
    ticker = Ticker()
    custom_from_js(t, {"type": "results", "addresses": [a[0], a[1]]})
    assert t.wait_results(30)
    assert row(t, a[0])["result_kind"] == "text" and row(t, a[1])["result_kind"] == "json"
    for rid, address in (("h", a[0]), ("b", a[1])):
        custom_from_js(t, {"type": "result", "id": rid, "response": address})
        wait_answer(comm, rid, 30)
    gap = ticker.longest_gap()
    assert serialized_on == ["ogpu-result-answers"] * 2  # never the comm (this) thread
    begin = time.perf_counter()
    json.dumps(list(range(600_000)))
    serialize = time.perf_counter() - begin
    assert gap < max(1.0, 10 * serialize), (gap, serialize)
    assert answers(comm, "h")[-1]["value"] == hostile.decode()[: tr.MAX_TEXT]
