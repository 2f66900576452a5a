"""The four Nexus events the live room reads, as typed values, and their decoding.

OpenGPU's events index no parameter, so a log carries its event's topic in ``topics[0]`` and
its two arguments as two ABI words in ``data`` (two addresses, or an address and a ``uint8``
status). Every event names where it was seen: ``block``, ``tx_hash`` and ``log_index``
(``(tx_hash, log_index)`` is the key the poller dedupes by).

An event a reorg took back after it was delivered is delivered again with ``removed=True``
(a retraction: the same event, no longer on chain); every other event has ``removed=False``.

A :class:`ResponseSubmitted` delivered by a :class:`~ogpu_widgets.live.ResponseWatcher`
carries the response as read (``record``, a :class:`~ogpu_widgets.records.TaskResponse`);
from the poller itself ``record`` is ``None``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any, TypeAlias

from ..chain.codec import address_of_word, keccak, word
from ..records import ResponseStatus, TaskResponse, TaskStatus

__all__ = [
    "EVENT_TOPICS",
    "Event",
    "ResponseStatusChanged",
    "ResponseSubmitted",
    "TaskPublished",
    "TaskStatusChanged",
    "decode_log",
    "event_key",
    "retracted",
]

log = logging.getLogger("ogpu_widgets.live")


@dataclass(frozen=True, slots=True)
class ResponseSubmitted:
    """A provider submitted ``response`` to ``task`` (``record``: see the module's docstring)."""

    response: str
    task: str
    block: int
    tx_hash: str
    log_index: int
    record: TaskResponse | None = field(default=None, compare=False)
    removed: bool = False


@dataclass(frozen=True, slots=True)
class ResponseStatusChanged:
    """``response`` moved to ``status`` (``ResponseStatus.CONFIRMED``: it was confirmed)."""

    response: str
    status: ResponseStatus
    block: int
    tx_hash: str
    log_index: int
    removed: bool = False


@dataclass(frozen=True, slots=True)
class TaskStatusChanged:
    """``task`` moved to ``status``."""

    task: str
    status: TaskStatus
    block: int
    tx_hash: str
    log_index: int
    removed: bool = False


@dataclass(frozen=True, slots=True)
class TaskPublished:
    """``task`` was published to ``source``."""

    task: str
    source: str
    block: int
    tx_hash: str
    log_index: int
    removed: bool = False


Event: TypeAlias = ResponseSubmitted | ResponseStatusChanged | TaskStatusChanged | TaskPublished


def retracted(event: Event) -> Event:
    """``event`` as a retraction (``removed=True``; a watcher's ``record`` is not carried)."""
    if isinstance(event, ResponseSubmitted):
        return replace(event, removed=True, record=None)
    return replace(event, removed=True)


def _topic(signature: str) -> str:
    return "0x" + keccak(signature.encode()).hex()


#: topic0 of each event the room reads -> its class.
EVENT_TOPICS: dict[str, type] = {
    _topic("ResponseSubmitted(address,address)"): ResponseSubmitted,
    _topic("ResponseStatusChanged(address,uint8)"): ResponseStatusChanged,
    _topic("TaskStatusChanged(address,uint8)"): TaskStatusChanged,
    _topic("TaskPublished(address,address)"): TaskPublished,
}


def event_key(entry: dict[str, Any]) -> tuple[str, int] | None:
    """(transaction hash, log index) of an ``eth_getLogs`` entry; None when it lacks them."""
    tx, index = entry.get("transactionHash"), entry.get("logIndex")
    if not isinstance(tx, str) or not isinstance(index, str | int):
        return None
    try:
        return tx.lower(), int(index, 16) if isinstance(index, str) else index
    except ValueError:
        return None


def decode_log(entry: Any, nexus: str) -> Event | None:
    """The event of one ``eth_getLogs`` entry, or None for an entry that is not one of the four
    events of Nexus ``nexus``, is ``removed`` (a reorg took it back), or does not decode (an
    out-of-range status, short data: logged at debug level)."""
    if not isinstance(entry, dict) or entry.get("removed") is True:
        return None
    address, topics = entry.get("address"), entry.get("topics")
    if not isinstance(address, str) or address.lower() != nexus.lower():
        return None
    if not isinstance(topics, list) or not topics or not isinstance(topics[0], str):
        return None
    kind = EVENT_TOPICS.get(topics[0].lower())
    key = event_key(entry)
    if kind is None or key is None:
        return None
    try:
        data = bytes.fromhex(str(entry.get("data", ""))[2:])
        block = int(entry["blockNumber"], 16)
        first = address_of_word(data[0:32])
        if len(data) < 64:
            raise ValueError("short data")
        if kind is ResponseSubmitted or kind is TaskPublished:
            second: Any = address_of_word(data[32:64])
        elif kind is ResponseStatusChanged:
            second = ResponseStatus(word(data, 32))
        else:
            second = TaskStatus(word(data, 32))
    except (KeyError, TypeError, ValueError) as exc:
        log.debug("skipped a %s log that does not decode (%s): %r", kind.__name__, exc, entry)
        return None
    tx, index = key
    return kind(first, second, block, tx, index)
