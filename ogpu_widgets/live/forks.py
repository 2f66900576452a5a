"""The poller's memory of the chain it read: block hashes, and where a reorg forked from it.

:class:`Forks` keeps the hash of the blocks the poller saw (each poll's head and tip, and the
``blockHash`` of every log read) over the last ``depth`` blocks. A poll asks the node for the
hash of the block it read last (in the same batch as its first ``eth_getLogs``: an idle poll
stays 2 HTTP requests). The hash chain makes that one comparison enough: when the tip's hash
is the one held, no block below it changed. When it differs (or the head fell back below a
block whose hash changed), :meth:`Forks.fork_point` asks for the held blocks below, in one
batch, and the highest one whose hash is still the same is the fork point: the poller reads
again from the block after it. A head that falls back onto a block whose hash is unchanged is
a lagging replica (or a chain that will grow back over it): nothing is re-read until a later
poll shows a hash that changed. A fork deeper than ``depth`` blocks cannot be located; the
poller then reads again from ``depth`` blocks below its tip and reports a
:class:`~ogpu_widgets.errors.DeepReorgError`.
"""

from __future__ import annotations

import logging
from typing import Any

from ..chain.network import Network
from ..chain.rpc import RpcClient, RpcError
from ..errors import DeepReorgError, InvalidArgumentError, ReadError

__all__ = ["REORG_DEPTH", "Forks", "block_call", "block_hash"]

log = logging.getLogger("ogpu_widgets.live")

#: Blocks below the last one read that a reorg is followed down to.
REORG_DEPTH = 64


def block_call(number: int) -> tuple[str, list[Any]]:
    """The ``eth_getBlockByNumber`` call of one header (transaction hashes only)."""
    return "eth_getBlockByNumber", [hex(number), False]


def block_hash(answer: Any, number: int, url: str) -> str | None:
    """The hash of block ``number`` from an ``eth_getBlockByNumber`` answer; None when the node
    does not have the block (null). Anything else that is not a header is a :class:`ReadError`."""
    if answer is None:
        return None
    if isinstance(answer, RpcError):
        raise ReadError(f"the node at {url} refused eth_getBlockByNumber({number}): "
                        f"{answer.message}")  # fmt: skip
    value = answer.get("hash") if isinstance(answer, dict) else None
    if not isinstance(value, str) or len(value) != 66 or value[:2] != "0x":
        raise ReadError(f"the node at {url} answered eth_getBlockByNumber({number}) with no "
                        "block hash")  # fmt: skip
    try:
        int(value, 16)
        got = int(answer.get("number"), 16)
    except (TypeError, ValueError):
        raise ReadError(f"the node at {url} answered eth_getBlockByNumber({number}) with a "
                        "malformed header") from None  # fmt: skip
    if got != number:
        raise ReadError(f"the node at {url} answered eth_getBlockByNumber({number}) with "
                        f"block {got}")  # fmt: skip
    return value.lower()


class Forks:
    """Block number -> hash of what was read, over the last ``depth`` blocks (see the module's
    docstring). Used by the poller's thread only."""

    def __init__(self, depth: int = REORG_DEPTH) -> None:
        self._depth = depth
        self.hashes: dict[int, str] = {}
        #: Reorgs followed, and the last fork too deep to locate (None: none).
        self.reorgs = 0
        self.error: DeepReorgError | None = None
        #: Every event delivered from the kept blocks, by (tx hash, log index).
        self.recent: dict[tuple[str, int], Any] = {}

    def fell_back(self, client: RpcClient, head: int, prev: int, network: Network) -> int | None:
        """The node's head ``head`` is below ``prev`` read before: the fork point when its block
        ``head`` is not the one held, else None (a lagging replica)."""
        (answer,) = client.batch([block_call(head)])
        if self.changed(head, block_hash(answer, head, network.rpc_url)):
            return self.locate(client, head, prev, network)
        log.debug("the node at %s answered head %d below %d read before, on the same chain; "
                  "ignored", network.rpc_url, head, prev)  # fmt: skip
        return None

    def locate(self, client: RpcClient, below: int, prev: int, network: Network) -> int:
        """The last block the chain held shares with the node's, once the hash of ``below``
        changed (the tip read was ``prev``). A fork deeper than ``depth`` is reported
        (``error``, a :class:`DeepReorgError`, logged) and read again from that depth."""
        url = network.rpc_url
        fork = self.fork_point(client, below, prev, url)
        self.reorgs += 1
        if fork is not None:
            log.warning("live events of %s at %s: a reorg replaced blocks %d..%d; reading them "
                        "again", network.name, url, fork + 1, prev)  # fmt: skip
            return fork
        fork = max(-1, prev - self.depth - 1)
        self.error = DeepReorgError(
            f"the chain at {url} was reorganized deeper than {self.depth} blocks below block "
            f"{prev}: events of replaced blocks below {fork + 1} may be missed; read again from "
            "there (raise the poller's reorg_depth to follow deeper reorgs)",
            depth=self.depth, tip=prev, resync_from=fork + 1,
        )  # fmt: skip
        log.error("live events of %s: %s", network.name, self.error)
        return fork

    @property
    def depth(self) -> int:
        """Blocks below the tip that a fork point is looked for."""
        return self._depth

    @depth.setter
    def depth(self, blocks: int) -> None:
        if isinstance(blocks, bool) or not isinstance(blocks, int) or not 1 <= blocks <= 10_000:
            raise InvalidArgumentError(
                f"reorg_depth={blocks!r} is not a whole number of blocks from 1 to 10000",
                argument="reorg_depth",
            )
        self._depth = blocks

    def note(self, number: int, value: str | None) -> None:
        if value is not None:
            self.hashes[number] = value.lower()

    def note_logs(self, logs: list[Any]) -> None:
        """Hold the ``blockHash`` of each log (what its events were read from)."""
        for entry in logs:
            if not isinstance(entry, dict):
                continue
            value, number = entry.get("blockHash"), entry.get("blockNumber")
            if isinstance(value, str) and isinstance(number, str):
                try:
                    self.hashes[int(number, 16)] = value.lower()
                except ValueError:
                    continue

    def prune(self, tip: int) -> None:
        floor = tip - self.depth
        for n in [n for n in self.hashes if n < floor or n > tip]:
            del self.hashes[n]

    def changed(self, number: int, value: str | None) -> bool:
        """Whether the node's hash ``value`` of ``number`` differs from the one held (a block
        not held, or not on the node, tells nothing)."""
        held = self.hashes.get(number)
        return held is not None and value is not None and value.lower() != held

    def fork_point(self, client: RpcClient, below: int, tip: int, url: str) -> int | None:
        """The highest block under ``below`` whose held hash the node still has (the last
        block both chains share), asking for every held block down to ``tip - depth`` in one
        batch; None when none of them is left (a fork deeper than ``depth``). The hashes that
        changed are forgotten."""
        floor = max(0, tip - self.depth)
        numbers = sorted((n for n in self.hashes if floor <= n < below), reverse=True)
        answers = client.batch([block_call(n) for n in numbers]) if numbers else []
        for n, answer in zip(numbers, answers, strict=True):
            value = block_hash(answer, n, url)
            if value is not None and value == self.hashes[n]:
                self.forget_above(n)
                return n
        self.forget_above(floor - 1)
        return None

    def forget_above(self, number: int) -> None:
        for n in [n for n in self.hashes if n > number]:
            del self.hashes[n]

    def gone(self, events: list[Any], lower: int, upper: int, since: int | None, kept: int
             ) -> tuple[list[Any], int]:  # fmt: skip
        """The events of blocks ``lower..upper`` delivered before that ``events`` (this answer)
        no longer holds: those at or above ``since`` (the first block a reorg replaced) are
        taken back (returned, forgotten); the others come from a replica that lags on the same
        chain (the tip's hash said so): counted (the int returned) and kept. ``events`` are
        remembered over the last ``kept`` blocks."""
        now = {(e.tx_hash, e.log_index): e for e in events}
        gone = [e for k, e in self.recent.items() if lower <= e.block <= upper and k not in now]
        taken = [e for e in gone if since is not None and e.block >= since]
        if len(gone) > len(taken):
            log.info("%d delivered event(s) of blocks %d..%d are missing from the answer of a "
                     "node on the same chain (a lagging replica); kept", len(gone) - len(taken),
                     lower, upper)  # fmt: skip
        if taken:
            log.info("%d delivered event(s) of blocks %d..%d were taken back by a reorg",
                     len(taken), lower, upper)  # fmt: skip
        for e in taken:
            del self.recent[(e.tx_hash, e.log_index)]
        self.recent.update(now)
        cutoff = upper - kept
        for k in [k for k, e in self.recent.items() if e.block <= cutoff]:
            del self.recent[k]
        return taken, len(gone) - len(taken)
