"""A live table through a reorg that undoes a confirmation (real anvil: ``evm_snapshot`` /
``evm_revert``, then a longer chain): the rows go back to the chain's states, marked
``reorged``; ``refresh()`` shows the chain as it is; a sibling can then be confirmed. A stale
read without a reorg still moves nothing back."""

from __future__ import annotations

import contextlib

import pytest
from support import until
from test_table import attach
from test_table_live import front_row

import ogpu_widgets as ow
from ogpu_widgets.records import TaskStatus
from ogpu_widgets.table import CONTROL_COLUMNS, ResponseTable

FAST = 0.1

pytestmark = pytest.mark.usefixtures("no_poller_left")


def _world(dev):
    task = dev.publish_task(dev.publish_source("manual"), payment_ogpu=1)
    return task, [dev.respond(task, k) for k in range(2)]


def _undo(dev, snapshot: str, blocks: int = 4) -> None:
    assert dev.rpc("evm_revert", [snapshot]) is True
    dev.mine(blocks)  # a longer chain without the confirmation


@contextlib.contextmanager
def _live_table(dev):
    """A live table signing with the client's key over a task with two responses: (the table,
    the task, the response to confirm, its sibling); closed after."""
    task, (winner, other) = _world(dev)
    t = ResponseTable(tasks=[task], network=dev.network, poll_interval=FAST,
                      account=dev.client.private_key)  # fmt: skip
    try:
        attach(t)
        yield t, task, winner, other
    finally:
        t.close()


def _sibling_confirmed(t, dev, task: str, other: str) -> None:
    c = t.confirm(other, wait=True)
    assert c.state == "mined" and dev.call("Task", task, "getStatus") == TaskStatus.FINALIZED


def _shown_back(t, winner: str, other: str) -> None:
    until(lambda: t.df.loc[winner, "status"] == "submitted", what="the row going back")
    assert not bool(t.df.loc[winner, "confirmed"])
    assert set(t.df["task_status"]) == {"responded"}
    assert front_row(t, winner)["reorged"] is True
    until(lambda: front_row(t, other).get("can_confirm") is True, what="the sibling confirmable")


def test_a_confirmation_made_elsewhere_that_a_reorg_undid_goes_back(fresh_devnet):
    dev = fresh_devnet
    with _live_table(dev) as (t, task, winner, other):
        snapshot = dev.rpc("evm_snapshot")
        dev.confirm(winner)
        until(lambda: front_row(t, other).get("task_status") == "finalized", what="finalized")
        assert front_row(t, other)["can_confirm"] is False
        _undo(dev, snapshot)
        _shown_back(t, winner, other)
        t.refresh()  # the chain as it is, and the mark kept
        assert t.df.loc[winner, "status"] == "submitted" and set(t.df["task_status"]) == {
            "responded"
        }
        assert front_row(t, winner)["reorged"] is True
        _sibling_confirmed(t, dev, task, other)
        until(lambda: t.df.loc[other, "status"] == "confirmed", what="the sibling confirmed")
        assert "reorged" in CONTROL_COLUMNS


def test_the_tables_own_confirmation_a_reorg_undid_goes_back(fresh_devnet):
    dev = fresh_devnet
    with _live_table(dev) as (t, task, winner, other):
        snapshot = dev.rpc("evm_snapshot")
        mine = t.confirm(winner, wait=True)
        assert mine.state == "mined"
        until(lambda: front_row(t, winner).get("action") == "mined", what="mined in the row")
        until(lambda: t.subscription.poller.head >= mine.block_number, what="its block read")
        _undo(dev, snapshot)
        _shown_back(t, winner, other)
        until(lambda: front_row(t, winner).get("action") == "reverted", what="the action")
        assert mine.reorged and "reorg" in front_row(t, winner)["action_error"]
        t.refresh()
        assert t.df.loc[winner, "status"] == "submitted"
        _sibling_confirmed(t, dev, task, other)


def test_refresh_after_a_reorg_the_table_missed_shows_the_chain(fresh_devnet):
    dev = fresh_devnet
    with _live_table(dev) as (t, task, winner, other):
        snapshot = dev.rpc("evm_snapshot")
        t.confirm(winner, wait=True)
        t.live = False  # paused: no events while the reorg happens
        _undo(dev, snapshot)
        t.refresh()
        assert t.df.loc[winner, "status"] == "submitted"
        assert set(t.df["task_status"]) == {"responded"}
        assert front_row(t, winner)["reorged"] is True
        assert front_row(t, other)["can_confirm"] is True


def test_a_paused_table_refreshed_after_a_reorg_it_did_not_follow_shows_the_chain(fresh_devnet):
    """A confirmation made elsewhere, seen live; the table pauses; a reorg undoes the
    confirmation while no event reaches the table: ``refresh()`` finds the block it stopped at
    replaced and shows every row as the chain is."""
    dev = fresh_devnet
    with _live_table(dev) as (t, task, winner, other):
        snapshot = dev.rpc("evm_snapshot")
        dev.confirm(winner)
        until(lambda: front_row(t, other).get("task_status") == "finalized", what="finalized")
        t.live = False
        _undo(dev, snapshot)
        t.refresh()
        assert t.df.loc[winner, "status"] == "submitted" and not bool(t.df.loc[winner, "confirmed"])
        assert set(t.df["task_status"]) == {"responded"}
        assert front_row(t, winner)["reorged"] is True
        assert front_row(t, other)["can_confirm"] is True
        _sibling_confirmed(t, dev, task, other)


def test_a_stale_refresh_on_the_same_chain_still_moves_nothing_back(fresh_devnet, monkeypatch):
    """The block the last refresh read at still has its hash: a replica answering an older
    state is lagging, not a reorg, and nothing goes back."""
    from ogpu_widgets.table import live as table_live

    dev = fresh_devnet
    task, (winner, other) = _world(dev)
    t = ResponseTable(tasks=[task], network=dev.network, live=False)
    try:
        attach(t)
        stale = ow.read_responses([winner, other], network=dev.network)  # before confirming
        t.refresh()
        dev.confirm(winner)
        dev.mine(2)
        t.refresh()
        assert t.df.loc[winner, "status"] == "confirmed"
        assert t._core.live.reorgs.read_at is not None
        monkeypatch.setattr(table_live, "load_responses", lambda *a, **k: stale)
        t.refresh()
        assert t.df.loc[winner, "status"] == "confirmed" and bool(t.df.loc[winner, "confirmed"])
        assert set(t.df["task_status"]) == {"finalized"}
        assert "reorged" not in front_row(t, winner) or not front_row(t, winner)["reorged"]
    finally:
        t.close()


def test_refresh_after_a_reorg_deeper_than_the_poller_follows_shows_the_chain(fresh_devnet):
    """The poller meets a fork deeper than its ``reorg_depth`` (a typed error in its health,
    nothing retracted below that depth): the next ``refresh()`` shows every row as it is."""
    dev = fresh_devnet
    with _live_table(dev) as (t, task, winner, other):
        poller = t.subscription.poller
        poller.reorg_depth = 2
        snapshot = dev.rpc("evm_snapshot")
        dev.confirm(winner)
        dev.mine(6)
        tip = int(dev.rpc("eth_blockNumber"), 16)
        until(lambda: front_row(t, other).get("task_status") == "finalized", what="finalized")
        until(lambda: poller.head is not None and poller.head >= tip, what="the tip read")
        _undo(dev, snapshot, blocks=12)
        until(lambda: poller.reorg_error is not None, what="the too-deep reorg")
        t.refresh()
        assert t.df.loc[winner, "status"] == "submitted" and not bool(t.df.loc[winner, "confirmed"])
        assert set(t.df["task_status"]) == {"responded"}
        assert front_row(t, winner)["reorged"] is True
        _sibling_confirmed(t, dev, task, other)
