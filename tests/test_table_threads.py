"""The threads of a ResponseTable: a flood of front-end requests against a slow node reuses a
small pool (estimates) or coalesces (refresh), every request is still answered, and ``close()``
joins every thread the table started. The node is a real anvil behind a proxy that holds every
request until the test lets it through, so what runs while the node is stuck is counted, not
timed."""

from __future__ import annotations

import dataclasses
import threading

import pytest
from support import Proxy, until
from test_table import attach, custom_from_js, world  # noqa: F401

from ogpu_widgets.table import ResponseTable
from ogpu_widgets.table import live as table_live
from ogpu_widgets.table.messages import ESTIMATE_WORKERS

FLOOD = 300


@pytest.fixture
def stuck_node(devnet):
    """(network through the proxy, gate): requests wait while the gate is clear."""
    gate = threading.Event()
    gate.set()

    def rule(_payload, _n):
        assert gate.wait(60), "the test never let the node answer"
        return None  # forward to anvil

    with Proxy(devnet.rpc_url, rule) as proxy:
        yield dataclasses.replace(devnet.network, rpc_url=proxy.url), gate
        gate.set()


def table_threads(t: ResponseTable) -> list[threading.Thread]:
    return t._core.threads.alive()


def test_a_flood_uses_few_threads(devnet, world, stuck_node, monkeypatch):  # noqa: F811
    network, gate = stuck_node
    reads = []
    real = table_live.load_responses
    monkeypatch.setattr(
        table_live, "load_responses", lambda *a, **k: reads.append(1) or real(*a, **k)
    )
    t = ResponseTable(world["df"], network=network, account=devnet.client.private_key, live=False)
    comm = attach(t)
    before = threading.active_count()
    gate.clear()  # the node is stuck from here on
    rows = world["responses"]
    for i in range(FLOOD):
        custom_from_js(t, {"type": "estimate", "id": f"e{i}", "response": rows[i % len(rows)]})
    for _ in range(50):
        custom_from_js(t, {"type": "refresh"})
    # the comm thread only queued: nothing was answered, a few threads wait on the node
    names = sorted(x.name for x in table_threads(t))
    assert names == ["ogpu-table-estimate"] * ESTIMATE_WORKERS + ["ogpu-table-refresh"], names
    assert threading.active_count() - before <= len(names) + 3  # + the proxy's held requests
    assert not [c for c in comm.customs() if c.get("type") == "estimate"]
    gate.set()

    def answered():
        return {c["id"] for c in comm.customs() if c.get("type") == "estimate"}

    until(lambda: len(answered()) == FLOOD, timeout=60, what="every estimate answered")
    assert answered() == {f"e{i}" for i in range(FLOOD)}
    replies = [c for c in comm.customs() if c.get("type") == "estimate"]
    assert all(r["error"] == "" and int(r["fee_wei"]) > 0 for r in replies)
    # requests for a row that was still waiting were answered by the same run
    assert t._core.router.estimates.runs <= 2 * len(rows)
    until(lambda: not t._core.live.refresher.running, what="the refreshes done")
    assert len(reads) == 2  # 50 clicks: the one running, and one queued behind it
    t.close()
    assert table_threads(t) == []


def test_close_joins_every_thread_the_table_started(devnet, world, stuck_node):  # noqa: F811
    network, gate = stuck_node
    t = ResponseTable(world["df"], network=network, account=devnet.client.private_key)
    attach(t)
    gate.clear()
    for i in range(FLOOD):
        custom_from_js(t, {"type": "estimate", "id": f"c{i}", "response": world["responses"][0]})
    custom_from_js(t, {"type": "refresh"})
    custom_from_js(t, {"type": "painted"})
    assert table_threads(t)
    gate.set()  # what runs finishes its request; what is queued is dropped
    t.close()
    assert table_threads(t) == []
    assert t.subscription is None
    custom_from_js(t, {"type": "refresh"})  # a closed table starts nothing
    assert table_threads(t) == []
