"""The confirming transaction of confirmed rows: one bulk scan of Nexus's
``ResponseStatusChanged`` log for the whole table (``confirmation_txs``), confirmations made
elsewhere or before the table was built, live confirmations, and node faults (retried, then a
typed error; the table shows the history as unknown and keeps working)."""

from __future__ import annotations

import contextlib

import pytest
from support import Proxy, log_range_limit, until
from test_table import attach, row

import ogpu_widgets as ow
from ogpu_widgets.errors import InvalidAddressError, InvalidArgumentError, NodeUnavailableError
from ogpu_widgets.table import ResponseTable

pytestmark = pytest.mark.usefixtures("fast_retries")


@pytest.fixture
def history_world(devnet):
    """Four tasks of a manual source, two responses each; the first response of tasks 0-2
    confirmed (before any table exists), task 3 left open."""
    src = devnet.publish_source("manual")
    tasks = [devnet.publish_task(src, payment_ogpu=1) for _ in range(4)]
    responses = {t: [devnet.respond(t, k) for k in range(2)] for t in tasks}
    txs = {}
    for t in tasks[:3]:
        receipt = devnet.confirm(responses[t][0])
        txs[responses[t][0]] = _hash(receipt["transactionHash"])
    return {"source": src, "tasks": tasks, "responses": responses, "txs": txs}


def _hash(value) -> str:
    text = value.hex() if isinstance(value, bytes | bytearray) else str(value)
    return ("0x" + text.removeprefix("0x")).lower()


@contextlib.contextmanager
def logs_counted(devnet, fail=None, **settings):
    """(network, rule): the devnet's network (with ``settings``) through a proxy whose rule
    counts eth_getLogs requests (``rule.logs``); ``fail(n)`` may answer the n-th one itself
    (a fault)."""

    def rule(payload, _n):
        if isinstance(payload, list) or payload.get("method") != "eth_getLogs":
            return None
        rule.logs += 1
        return None if fail is None else fail(rule.logs)

    rule.logs = 0
    with Proxy(devnet.rpc_url, rule) as proxy:
        yield devnet.network.with_settings(rpc_url=proxy.url, **settings), rule


def test_one_scan_finds_every_confirmation(devnet, history_world):
    w = history_world
    everything = [r for rs in w["responses"].values() for r in rs]
    with logs_counted(devnet) as (net, rule):
        found = ow.confirmation_txs(everything, network=net)
    assert rule.logs == 1  # one eth_getLogs for eight responses (the devnet fits one window)
    assert dict(zip(found.index, found["tx_hash"], strict=True)) == w["txs"]
    assert (found["block"] > 0).all() and str(found["block"].dtype) == "int64"
    # lower-case input is fine; a bad address is a typed error; nothing asked, nothing read
    again = ow.confirmation_txs([a.lower() for a in w["txs"]], network=devnet.network)
    assert set(again.index) == set(w["txs"])
    with pytest.raises(InvalidAddressError):
        ow.confirmation_txs(["0x12"], network=devnet.network)
    assert ow.confirmation_txs([], network=devnet.network).empty


def test_a_refused_range_is_halved_and_still_one_series(devnet, history_world):
    w = history_world
    limit = log_range_limit(16)
    with Proxy(devnet.rpc_url, limit) as proxy:
        net = devnet.network.with_settings(rpc_url=proxy.url)
        found = ow.confirmation_txs(list(w["txs"]), network=net)
    assert limit.refused >= 1
    assert dict(zip(found.index, found["tx_hash"], strict=True)) == w["txs"]


def test_the_table_shows_confirmations_made_before_it_was_built(devnet, history_world):
    w = history_world
    with logs_counted(devnet) as (net, rule):
        t = ResponseTable(tasks=w["tasks"], network=net, live=False)
        assert t.wait_history(60)
        assert t._core.history.queries == 1 and rule.logs == 1  # one bulk query for the table
    for response, tx in w["txs"].items():
        fields = row(t, response)
        assert fields["confirm_tx"] == tx and fields["confirm_tx_state"] == "found"
        assert fields["confirm_block"] > 0
    open_row = row(t, w["responses"][w["tasks"][3]][0])
    assert "confirm_tx" not in open_row and "confirm_tx_state" not in open_row
    assert t.confirm_txs == w["txs"]
    assert "confirm_tx" not in t.df.columns and "confirm_tx" not in t.view.columns


def test_confirmed_elsewhere_after_the_table_was_built(devnet, history_world):
    w = history_world
    t = ResponseTable(tasks=w["tasks"], network=devnet.network, live=False)
    assert t.wait_history(60)
    target = w["responses"][w["tasks"][3]][1]
    tx = _hash(devnet.confirm(target)["transactionHash"])  # another kernel, a wallet
    t.refresh()
    assert t.wait_history(60)
    assert row(t, target)["confirm_tx"] == tx
    assert t._core.history.queries == 2  # the refresh looked up only the newly confirmed row
    # what was found before the refresh is re-sent with the new snapshot, not read again
    first = next(iter(w["txs"]))
    assert row(t, first)["confirm_tx"] == w["txs"][first]


def test_a_live_table_takes_new_confirmations_from_its_events(devnet, history_world):
    w = history_world
    t = ResponseTable(tasks=w["tasks"], network=devnet.network, poll_interval=0.2)
    try:
        comm = attach(t)
        assert t.wait_history(60)
        queries = t._core.history.queries
        target = w["responses"][w["tasks"][3]][0]
        tx = _hash(devnet.confirm(target)["transactionHash"])
        until(lambda: row(t, target).get("confirm_tx") == tx, what="the live confirm_tx")
        assert row(t, target)["status"] == "confirmed"
        assert t._core.history.queries == queries  # the event carried it: no log scan
        assert any(
            "confirm_tx" in s["_patch"]["rows"].get(target, {})
            for s in comm.states()
            if "_patch" in s
        )
    finally:
        t.close()


@pytest.mark.parametrize("status", [429, 503])
def test_node_faults_on_the_log_query(devnet, history_world, status):
    w = history_world

    def fail(_n):
        return status, {"error": "busy"}

    with logs_counted(devnet, fail) as (net, rule):
        with pytest.raises(NodeUnavailableError):
            ow.confirmation_txs(list(w["txs"]), network=net)
        assert rule.logs >= 2  # retried before giving up
        t = ResponseTable(tasks=w["tasks"], network=net, live=False)
        assert t.wait_history(60)
    some = next(iter(w["txs"]))
    fields = row(t, some)
    assert fields["confirm_tx_state"] == "unknown" and "confirm_tx" not in fields
    assert fields["confirm_tx_error"]
    assert len(t.df) == 8 and t.confirm_txs == {}  # the table works; the history is unknown


def test_a_passing_fault_is_retried_and_found(devnet, history_world):
    w = history_world

    def fail(n):
        return (503, {"error": "hiccup"}) if n == 1 else None

    with logs_counted(devnet, fail) as (net, rule):
        found = ow.confirmation_txs(list(w["txs"]), network=net)
    assert rule.logs == 2
    assert set(found.index) == set(w["txs"])


def test_nothing_is_read_before_the_first_paint(devnet, history_world):
    """The constructor sends its rows without a log scan; the front-end's first message
    (``painted``, after its first rows are on screen) starts the lookup."""
    from test_table import custom_from_js

    w = history_world
    with logs_counted(devnet) as (net, rule):
        t = ResponseTable(tasks=w["tasks"], network=net, live=False)
        assert (
            not t._core.history.worker.running and t._core.history.queries == 0 and rule.logs == 0
        )
        attach(t)
        custom_from_js(t, {"type": "resync"})
        assert t._core.history.queries == 0  # the state arrived; nothing painted yet
        custom_from_js(t, {"type": "painted"})
        until(lambda: t._core.history.queries == 1 and not t._core.history.worker.running,
              what="the lookup after the first paint")  # fmt: skip
    assert rule.logs == 1
    assert row(t, next(iter(w["txs"])))["confirm_tx_state"] == "found"


def test_since_skips_the_blocks_before_the_submissions(devnet, history_world):
    w = history_world
    since = int(ow.load_responses(tasks=w["tasks"][:1], network=devnet.network,
                                  progress=False)["timestamp"].min().timestamp())  # fmt: skip
    counts = {}
    for label, kw in (("all", {}), ("since", {"since": since})):
        with logs_counted(devnet, log_window=2) as (net, rule):
            found = ow.confirmation_txs(list(w["txs"]), network=net, **kw)
        assert dict(zip(found.index, found["tx_hash"], strict=True)) == w["txs"], label
        counts[label] = rule.logs
    assert counts["since"] < counts["all"], counts
    with pytest.raises(InvalidArgumentError):
        ow.confirmation_txs(list(w["txs"]), network=devnet.network, since="yesterday")
