"""Scans of Nexus's event log: publication times of tasks (``TaskPublished``) and the
transactions that confirmed responses (``ResponseStatusChanged``), through one paging loop
(:func:`_scan`: ``network.log_window`` blocks per ``eth_getLogs``, halved when the node refuses
a range)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd
from eth_hash.auto import keccak

from ..chain.codec import address_of_word
from ..chain.rpc import RpcError
from ..errors import InvalidArgumentError, ReadError
from .frame import _times
from .session import BATCH_CALLS_PER_REQUEST, Session, log, node_bytes, node_int
from .validate import address_list, block_number

__all__ = ["confirmation_txs", "task_publications"]

_TASK_PUBLISHED_TOPIC = "0x" + keccak(b"TaskPublished(address,address)").hex()
_STATUS_CHANGED_TOPIC = "0x" + keccak(b"ResponseStatusChanged(address,uint8)").hex()
#: ``ResponseStatus.CONFIRMED`` as the event's ``uint8``.
_CONFIRMED = 1


def task_publications(
    tasks: Iterable[str] | str | None = None,
    *,
    network: Any = None,
    from_block: int | None = None,
    to_block: int | None = None,
) -> pd.DataFrame:
    """When tasks were published: Nexus's ``TaskPublished`` events and their blocks' times.

    The chain stores no publication time in a task; this scans Nexus's event log (no event
    parameter is indexed, so the scan reads every TaskPublished event and filters here) from
    ``from_block`` (default ``network.start_block``) to ``to_block`` (default: the latest
    block), ``network.log_window`` blocks per ``eth_getLogs``, halving the window whenever the
    node refuses a range. With ``tasks`` (task addresses; one address string is one task) it
    stops as soon as all of them are found. On a public node with a long history this takes
    many requests: use it on purpose, e.g.
    ``df["task"].map(task_publications(df["task"].unique())["published"])``.

    Returns a frame indexed by task address (``address``) with ``source`` (str), ``block``
    (int64) and ``published`` (``datetime64[ns, UTC]``), in log order; requested tasks without
    an event in the range are left out.
    """
    wanted = None if tasks is None else set(address_list(tasks, "task address", "tasks"))
    first = block_number(from_block, "from_block")
    last = block_number(to_block, "to_block")
    session = Session(network, "auto")
    net = session.network
    lower = net.start_block if first is None else first
    upper = int(session.block, 16) if last is None else last
    found: dict[str, tuple[str, int]] = {}

    def take(logs: Any) -> bool:
        for task, source, block in _published(logs, session.url):
            if wanted is None or task in wanted:
                found.setdefault(task, (source, block))
        return wanted is not None and len(found) >= len(wanted)

    _scan(session, _TASK_PUBLISHED_TOPIC, lower, upper, take)
    blocks = sorted({b for _, b in found.values()})
    replies = session.many(
        [("eth_getBlockByNumber", [hex(b), False]) for b in blocks], BATCH_CALLS_PER_REQUEST
    )
    times = {}
    for b, reply in zip(blocks, replies, strict=True):
        if isinstance(reply, RpcError) or not isinstance(reply, dict):
            raise ReadError(f"block {b} did not read at {net.rpc_url}: {reply}")
        times[b] = node_int(reply.get("timestamp"), f"the time of block {b}", session.url)
    return pd.DataFrame(
        {
            "source": pd.array([v[0] for v in found.values()], dtype="str"),
            "block": pd.array([v[1] for v in found.values()], dtype="int64"),
            "published": _times(times[v[1]] for v in found.values()).array,
        },
        index=pd.Index(list(found), dtype="str", name="address"),
    )


def confirmation_txs(
    responses: Iterable[str] | str,
    *,
    network: Any = None,
    from_block: int | None = None,
    to_block: int | None = None,
    since: float | None = None,
) -> pd.DataFrame:
    """The transactions that confirmed ``responses``: Nexus's ``ResponseStatusChanged``
    events with status ``CONFIRMED``, found in ONE scan of the log for all of them.

    No event parameter is indexed, so the scan asks the node for every
    ``ResponseStatusChanged`` of Nexus (one topic, ``network.log_window`` blocks per
    ``eth_getLogs``, the window halved whenever the node refuses a range) from ``from_block``
    (default ``network.start_block``) to ``to_block`` (default: the latest block), and keeps the
    entries of ``responses`` after decoding; it stops as soon as all of them are found. The
    confirmations found are wherever they were made: this process, another kernel, a wallet,
    before any table existed. ``since`` (unix seconds, e.g. the earliest submission time of the
    responses: a response is confirmed after it was submitted) skips the blocks before that
    time, found by a binary search over block times when that costs fewer requests than the
    pages it saves. A node that keeps failing raises
    :class:`~ogpu_widgets.errors.NodeUnavailableError`; a range refused even at one block raises
    :class:`~ogpu_widgets.errors.ReadError`.

    Returns a frame indexed by response address (``address``, the ones found, in log order) with
    ``tx_hash`` (str, ``0x`` + 64 lower-case hex digits) and ``block`` (int64).
    """
    wanted = set(address_list(responses, "response address", "responses"))
    first = block_number(from_block, "from_block")
    last = block_number(to_block, "to_block")
    if since is not None and (
        isinstance(since, bool) or not isinstance(since, int | float) or not since == since
    ):
        raise InvalidArgumentError(f"since={since!r} is not unix seconds", argument="since")
    return _confirmation_txs(wanted, network, first, last, since)


def _confirmation_txs(
    wanted: set[str],
    network: Any,
    first: int | None = None,
    last: int | None = None,
    since: float | None = None,
) -> pd.DataFrame:
    """:func:`confirmation_txs` of checksummed addresses already checked (the table's index)."""
    found: dict[str, tuple[str, int]] = {}
    if wanted:
        session = Session(network, "auto")
        net = session.network
        lower = net.start_block if first is None else first
        upper = int(session.block, 16) if last is None else last
        if since is not None and lower < upper:
            lower = _first_block_since(session, int(since), lower, upper)

        def take(logs: Any) -> bool:
            for response, tx, block in _confirmed(logs, session.url):
                if response in wanted:
                    found.setdefault(response, (tx, block))
            return len(found) >= len(wanted)

        _scan(session, _STATUS_CHANGED_TOPIC, lower, upper, take)
    return pd.DataFrame(
        {
            "tx_hash": pd.array([v[0] for v in found.values()], dtype="str"),
            "block": pd.array([v[1] for v in found.values()], dtype="int64"),
        },
        index=pd.Index(list(found), dtype="str", name="address"),
    )


def _first_block_since(session: Session, since: int, lower: int, upper: int) -> int:
    """The first block of ``lower..upper`` whose time is at or after ``since`` (a binary search
    over block times), or ``lower`` when the search would cost more requests than the log pages
    it could save."""
    pages = (upper - lower) // max(1, int(session.network.log_window)) + 1
    if pages <= (upper - lower).bit_length() + 1:
        return lower
    lo, hi = lower, upper
    while lo < hi:
        mid = (lo + hi) // 2
        reply = session.call("eth_getBlockByNumber", [hex(mid), False])
        if not isinstance(reply, dict):
            raise ReadError(f"block {mid} did not read at {session.url}: {reply!r}")
        if node_int(reply.get("timestamp"), f"the time of block {mid}", session.url) < since:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _scan(
    session: Session, topic: str, lower: int, upper: int, take: Callable[[Any], bool]
) -> None:
    """Page ``eth_getLogs`` of Nexus's ``topic`` over blocks ``lower..upper`` in order,
    ``network.log_window`` blocks a request (halved while the node refuses a range), giving each
    page's entries to ``take``; stops early when ``take`` returns True. Transient failures are
    the client's retry policy's (ending in ``NodeUnavailableError``)."""
    net = session.network
    window = max(1, int(net.log_window))
    while lower <= upper:
        hi = min(upper, lower + window - 1)
        query = {"address": net.nexus, "topics": [topic], "fromBlock": hex(lower),
                 "toBlock": hex(hi)}  # fmt: skip
        try:
            logs = session.call("eth_getLogs", [query])
        except RpcError as exc:
            if window == 1:
                raise ReadError(
                    f"eth_getLogs of block {lower} failed at {net.rpc_url}: {exc}"
                ) from exc
            window = max(1, window // 2)
            log.debug(
                "eth_getLogs refused %d blocks (%s); window now %d", hi - lower + 1, exc, window
            )
            continue
        if take(logs):
            return
        lower = hi + 1


def _entries(logs: Any, url: str) -> list[dict]:
    if logs is None:
        return []
    if not isinstance(logs, list) or not all(isinstance(e, dict) for e in logs):
        raise ReadError(f"the node at {url} answered eth_getLogs with something else than logs")
    return logs


def _confirmed(logs: Any, url: str) -> list[tuple[str, str, int]]:
    """(response, tx hash, block) of each ResponseStatusChanged(CONFIRMED) entry."""
    out = []
    for entry in _entries(logs, url):
        if entry.get("removed") is True:
            continue
        data = node_bytes(entry.get("data"), "eth_getLogs (an entry's data)", url)
        if len(data) < 64 or int.from_bytes(data[32:64], "big") != _CONFIRMED:
            continue
        tx = entry.get("transactionHash")
        if not isinstance(tx, str) or len(tx) != 66:
            raise ReadError(f"the node at {url} answered eth_getLogs with an entry without a "
                            "transaction hash; try another RPC URL")  # fmt: skip
        block = node_int(entry.get("blockNumber"), "eth_getLogs (an entry's block)", url)
        out.append((address_of_word(data[0:32]), tx.lower(), block))
    return out


def _published(logs: Any, url: str) -> list[tuple[str, str, int]]:
    """(task, source, block) of each TaskPublished entry of an eth_getLogs result."""
    out = []
    for entry in _entries(logs, url):
        data = node_bytes(entry.get("data"), "eth_getLogs (an entry's data)", url)
        if len(data) < 64:
            continue
        block = node_int(entry.get("blockNumber"), "eth_getLogs (an entry's block)", url)
        out.append((address_of_word(data[0:32]), address_of_word(data[32:64]), block))
    return out
