"""Publication times of tasks, from Nexus's ``TaskPublished`` event log."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd
from eth_hash.auto import keccak

from ..chain.codec import address_of_word
from ..chain.rpc import RpcError
from ..errors import ReadError
from .frame import _times
from .session import BATCH_CALLS_PER_REQUEST, Session, log, node_bytes, node_int
from .validate import address_list, block_number

__all__ = ["task_publications"]

_TASK_PUBLISHED_TOPIC = "0x" + keccak(b"TaskPublished(address,address)").hex()


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
    window = max(1, int(net.log_window))
    found: dict[str, tuple[str, int]] = {}
    while lower <= upper and (wanted is None or len(found) < len(wanted)):
        hi = min(upper, lower + window - 1)
        query = {
            "address": net.nexus,
            "topics": [_TASK_PUBLISHED_TOPIC],
            "fromBlock": hex(lower),
            "toBlock": hex(hi),
        }
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
        for task, source, block in _published(logs, session.url):
            if wanted is None or task in wanted:
                found.setdefault(task, (source, block))
        lower = hi + 1
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


def _published(logs: Any, url: str) -> list[tuple[str, str, int]]:
    """(task, source, block) of each TaskPublished entry of an eth_getLogs result."""
    if logs is None:
        return []
    if not isinstance(logs, list) or not all(isinstance(e, dict) for e in logs):
        raise ReadError(f"the node at {url} answered eth_getLogs with something else than logs")
    out = []
    for entry in logs:
        data = node_bytes(entry.get("data"), "eth_getLogs (an entry's data)", url)
        if len(data) < 64:
            continue
        block = node_int(entry.get("blockNumber"), "eth_getLogs (an entry's block)", url)
        out.append((address_of_word(data[0:32]), address_of_word(data[32:64]), block))
    return out
