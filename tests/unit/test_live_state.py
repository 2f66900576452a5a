"""The live room's pure parts: states only move forward, and the decoding of log entries."""

from __future__ import annotations

import pytest

from ogpu_widgets.errors import InvalidArgumentError
from ogpu_widgets.live import events as ev
from ogpu_widgets.live.state import is_final, newer_response_status, newer_task_status
from ogpu_widgets.records import ResponseStatus, TaskStatus

NEXUS = "0x2b0cC6058313801D5feb184a539e3a0C5A87a6a1"
A = "0x1111111111111111111111111111111111111111"
B = "0x2222222222222222222222222222222222222222"


def test_task_status_moves_forward_only():
    order = [TaskStatus.NEW, TaskStatus.ATTEMPTED, TaskStatus.RESPONDED]
    for i, old in enumerate(order):
        for j, new in enumerate(order):
            assert newer_task_status(old, new) == order[max(i, j)]
    finals = (TaskStatus.CANCELED, TaskStatus.EXPIRED, TaskStatus.FINALIZED)
    for final in finals:
        for new in TaskStatus:
            assert newer_task_status(final, new) == final  # a final state never changes
        for old in order:
            assert newer_task_status(old, final) == final
        assert is_final(final)
    assert not any(is_final(s) for s in order)


def test_statuses_by_name_value_or_none():
    assert newer_task_status("finalized", "responded") is TaskStatus.FINALIZED
    assert newer_task_status("RESPONDED", 1) is TaskStatus.RESPONDED
    assert newer_task_status(None, "attempted") is TaskStatus.ATTEMPTED
    assert newer_response_status("confirmed", "submitted") is ResponseStatus.CONFIRMED
    assert newer_response_status("submitted", ResponseStatus.CONFIRMED) is ResponseStatus.CONFIRMED
    assert newer_response_status(None, 0) is ResponseStatus.SUBMITTED
    assert newer_response_status(0, 0) is ResponseStatus.SUBMITTED
    with pytest.raises(InvalidArgumentError, match="not a task status"):
        newer_task_status("done", "new")
    with pytest.raises(InvalidArgumentError, match="not a response status"):
        newer_response_status(7, 0)
    with pytest.raises(InvalidArgumentError):
        newer_task_status(True, 0)


def _word(value: int | str) -> str:
    n = int(value, 16) if isinstance(value, str) else value
    return f"{n:064x}"


def _entry(topic: str, first: str, second: int | str, **kw) -> dict:
    entry = {
        "address": NEXUS.lower(),
        "topics": [topic],
        "data": "0x" + _word(first) + _word(second),
        "blockNumber": "0x10",
        "transactionHash": "0x" + "AB" * 32,
        "logIndex": "0x3",
        "removed": False,
    }
    entry.update(kw)
    return entry


TOPIC = {cls: topic for topic, cls in ev.EVENT_TOPICS.items()}


def test_each_event_decodes():
    tx = "0x" + "ab" * 32
    got = ev.decode_log(_entry(TOPIC[ev.ResponseSubmitted], A, B), NEXUS)
    assert got == ev.ResponseSubmitted(A, B, 16, tx, 3)
    assert got.record is None
    got = ev.decode_log(_entry(TOPIC[ev.TaskPublished], A, B), NEXUS)
    assert got == ev.TaskPublished(A, B, 16, tx, 3)
    got = ev.decode_log(_entry(TOPIC[ev.ResponseStatusChanged], A, 1), NEXUS)
    assert got == ev.ResponseStatusChanged(A, ResponseStatus.CONFIRMED, 16, tx, 3)
    assert got.status is ResponseStatus.CONFIRMED
    got = ev.decode_log(_entry(TOPIC[ev.TaskStatusChanged], B, 5), NEXUS)
    assert got == ev.TaskStatusChanged(B, TaskStatus.FINALIZED, 16, tx, 3)
    assert got.status is TaskStatus.FINALIZED


def test_what_does_not_decode_is_skipped():
    topic = TOPIC[ev.TaskStatusChanged]
    assert ev.decode_log(_entry(topic, B, 9), NEXUS) is None  # no such status
    assert ev.decode_log(_entry(topic, B, 1, removed=True), NEXUS) is None  # taken back
    assert ev.decode_log(_entry(topic, B, 1, address=A), NEXUS) is None  # another contract
    assert ev.decode_log(_entry("0x" + "00" * 32, B, 1), NEXUS) is None  # another event
    assert ev.decode_log(_entry(topic, B, 1, data="0x" + _word(B)), NEXUS) is None  # short
    assert ev.decode_log(_entry(topic, B, 1, logIndex=None), NEXUS) is None
    assert ev.decode_log("nonsense", NEXUS) is None


def test_event_key_and_immutability():
    entry = _entry(TOPIC[ev.TaskPublished], A, B)
    assert ev.event_key(entry) == ("0x" + "ab" * 32, 3)
    got = ev.decode_log(entry, NEXUS)
    with pytest.raises(AttributeError):
        got.task = B  # frozen


def test_reorg_changes_is_the_one_backward_move_and_marks_it():
    from ogpu_widgets.live.state import forward_changes, reorg_changes

    shown = {"status": "confirmed", "confirmed": True, "task_status": "finalized"}
    chain = {"status": "submitted", "confirmed": False, "task_status": "responded"}
    assert forward_changes(shown, chain) == {}
    assert reorg_changes(shown, chain) == {**chain, "reorged": True}
    assert reorg_changes(shown, shown) == {}  # nothing moved: no mark
    assert reorg_changes(chain, shown) == forward_changes(chain, shown)  # forward: no mark
    sibling = {"status": "submitted", "confirmed": False, "task_status": "finalized"}
    assert reorg_changes(sibling, chain) == {"task_status": "responded", "reorged": True}
