"""One read session: a verified network, a block every read is pinned to, and the path the reads
take (the lens, plain eth_call batches, or single eth_calls) with its fallbacks.

Retries are the JSON-RPC client's (:class:`~ogpu_widgets.chain.rpc.RpcClient`): a node that keeps
failing raises :class:`~ogpu_widgets.errors.NodeUnavailableError`, which passes through as is. A
refusal of the lens is remembered in :data:`~ogpu_widgets.chain.rpc.CAPABILITIES` (capability
``"lens"``, keyed by RPC URL and gas cap) for its ``ttl``, then probed again. That memory
steers ``read_path="auto"`` only: an explicit ``"lens"`` or ``"batch"`` is an explicit probe and
asks the node again (a new refusal is remembered again).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Literal

from ..chain.codec import address_of_word
from ..chain.network import Network, resolve_network
from ..chain.revert import is_revert
from ..chain.rpc import CAPABILITIES, BatchRefused, RetryPolicy, RpcClient, RpcError
from ..errors import InvalidArgumentError, ReadError
from . import lens, plain
from .lens import Op
from .rows import Range, Resp, SourceRow, TaskRow, split_range

log = logging.getLogger("ogpu_widgets.read")

ReadPath = Literal["auto", "lens", "batch", "call"]
PATHS = ("auto", "lens", "batch", "call")

#: How patiently reads retry what may pass (the policy itself is RpcClient's).
RETRY = RetryPolicy(attempts=4, backoff=0.25)
#: Plain eth_calls per JSON-RPC batch request.
BATCH_CALLS_PER_REQUEST = 500


class LensRefused(Exception):
    """The node does not run the lens (deployless call refused, or too little gas for an item)."""


def node_bytes(result: Any, what: str, url: str) -> bytes:
    """The bytes of a hex-data result, or :class:`ReadError` for a reply no faithful node gives."""
    if isinstance(result, str) and result[:2] in ("0x", "0X"):
        try:
            return bytes.fromhex(result[2:])
        except ValueError:
            pass
    shown = result if len(repr(result)) < 80 else f"{repr(result)[:77]}..."
    raise ReadError(
        f"the node at {url} answered {what} with {shown!r}, which is not hex data; it does not "
        "behave as an Ethereum JSON-RPC node: try another RPC URL"
    )


def node_int(result: Any, what: str, url: str) -> int:
    """The integer of a hex-quantity result, or :class:`ReadError`."""
    if isinstance(result, str) and result[:2] in ("0x", "0X") and len(result) > 2:
        try:
            return int(result, 16)
        except ValueError:
            pass
    raise ReadError(
        f"the node at {url} answered {what} with {result!r}, which is not a hex quantity; try "
        "another RPC URL"
    )


class Session:
    def __init__(
        self, network: Any, read_path: Any, progress: Callable[[int], None] | None = None
    ) -> None:
        if not isinstance(read_path, str) or read_path not in PATHS:
            raise InvalidArgumentError(
                f"read_path={read_path!r} is not a read path: use one of {', '.join(PATHS)}",
                argument="read_path",
            )
        self.network: Network = resolve_network(network)
        self.path = read_path
        self.url = self.network.rpc_url
        self.cap = int(self.network.call_gas_cap)
        self.lens_key = (self.url, self.cap)
        self.use_lens = read_path == "lens" or (
            read_path == "auto" and CAPABILITIES.allowed("lens", self.lens_key)
        )
        self.network.verify()
        if read_path == "batch":  # an explicit request is an explicit probe: ask the node
            CAPABILITIES.probe("batch", self.url)
        self.client: RpcClient = self.network.client(policy=RETRY, batching=read_path != "call")
        if read_path == "batch" and not self.client.batching:
            raise ReadError(
                f"the node at {self.url} refuses JSON-RPC batches; use read_path='call'"
            )
        self.block = hex(self.number("eth_blockNumber", []))
        self.progress = progress
        self._reported = 0  # progress units reported by the current lens read
        log.debug("reading at block %s of %s through %s", int(self.block, 16), self.network.name,
                  self.path_name())  # fmt: skip

    @property
    def requests(self) -> int:
        """HTTP requests made (for logs and tests)."""
        return self.client.requests

    def path_name(self) -> str:
        if self.use_lens:
            how = "JSON-RPC batches" if self.client.batching else "one request each"
            return f"the lens (deployless eth_call, {how})"
        return "plain eth_call batches" if self.client.batching else "plain eth_calls one by one"

    # -- running calls ---------------------------------------------------------------------------

    def call(self, method: str, params: list[Any]) -> Any:
        """One call's result; an error reply raises :class:`RpcError` (typed)."""
        return self.client.call(method, params)

    def number(self, method: str, params: list[Any]) -> int:
        try:
            result = self.call(method, params)
        except RpcError as exc:
            raise ReadError(f"{method} failed at {self.url}: {exc}") from exc
        return node_int(result, method, self.url)

    def many(self, calls: list[tuple[str, list[Any]]], per_request: int) -> list[Any]:
        """Each call's result, or its (non-transient) :class:`RpcError` in its place."""
        batching = self.client.batching
        try:
            replies = self.client.batch(calls, per_request=per_request,
                                        fallback=self.path != "batch")  # fmt: skip
        except BatchRefused:
            raise ReadError(
                f"the node at {self.url} refuses JSON-RPC batch requests; read with "
                "read_path='call' (or 'auto')"
            ) from None
        if batching and not self.client.batching:
            log.debug("batches refused; fell back to %s", self.path_name())
        return replies

    def eth_calls(self, calls: Sequence[tuple[str, str]]) -> list[bytes | None]:
        """Plain eth_calls (to, data) at the pinned block: the returned bytes, or None where
        the call reverted (a definitive answer). Any other error reply raises
        :class:`ReadError`: it says nothing about the address."""
        replies = self.many(
            [("eth_call", [{"to": to, "data": data}, self.block]) for to, data in calls],
            BATCH_CALLS_PER_REQUEST,
        )
        out: list[bytes | None] = []
        for (to, _), reply in zip(calls, replies, strict=True):
            if isinstance(reply, RpcError):
                if is_revert(reply):
                    out.append(None)
                    continue
                raise ReadError(f"eth_call to {to} failed at {self.url}: {reply}") from reply
            out.append(node_bytes(reply, f"eth_call to {to}", self.url))
        return out

    def has_code(self, addresses: Sequence[str]) -> dict[str, bool]:
        replies = self.many(
            [("eth_getCode", [a, self.block]) for a in addresses], BATCH_CALLS_PER_REQUEST
        )
        out = {}
        for a, r in zip(addresses, replies, strict=True):
            if isinstance(r, RpcError):
                raise ReadError(f"eth_getCode of {a} failed at {self.url}: {r}") from r
            empty = r in ("0x", "0x0")
            out[a] = not empty and bool(node_bytes(r, f"eth_getCode of {a}", self.url))
        return out

    # -- the lens, with the plain fallback --------------------------------------------------------

    def run(self, op: Op, items: list[Any], plain_read: Callable[[list[Any]], list[Any]]):
        """Each item's result, through the lens when it is on, else through ``plain_read``."""
        if not items:
            return []
        if self.use_lens:
            self._reported = 0
            try:
                return self._lens(op, items, plain_read)
            except LensRefused as exc:
                if self.progress and self._reported:
                    self.progress(-self._reported)  # the plain read starts over
                self.refuse_lens(exc)
        results = plain_read(items)
        if self.progress:
            self.progress(sum(op.weight(item) for item in items))
        return results

    def refuse_lens(self, exc: LensRefused) -> None:
        """The node refused the lens: raise for a forced lens, else fall back (remembered)."""
        if self.path == "lens":
            raise ReadError(
                f"the node at {self.url} does not run the read lens ({exc}); read with "
                "read_path='batch' or 'auto'"
            ) from None
        CAPABILITIES.refuse("lens", self.lens_key)
        self.use_lens = False
        log.debug("lens refused (%s); falling back to %s", exc, self.path_name())

    def lens_call(self, mode: int, words: list[int]) -> tuple[str, list[Any]]:
        return ("eth_call", [{"data": lens.lens_data(mode, words), "gas": hex(self.cap)},
                             self.block])  # fmt: skip

    def lens_result(self, reply: Any) -> tuple[int, int, lens.Cursor]:
        return lens.lens_output(node_bytes(reply, "a lens eth_call", self.url))

    def _lens(self, op: Op, items: list[Any], plain_read: Callable[[list[Any]], list[Any]]):
        # A range that does not fit one call is read in parts: results are kept per item as
        # (lower, part result) and combined in slot order at the end.
        parts: list[list[tuple[int, Any]]] = [[] for _ in items]
        work = list(enumerate(items))
        limit = len(items)  # most items per call; halves when the node reports a call too big

        def keep(i: int, item: Any, result: Any) -> None:
            parts[i].append((item.lower if isinstance(item, Range) else 0, result))
            if self.progress:
                self.progress(op.weight(item))
                self._reported += op.weight(item)

        while work:
            chunks = lens.plan(op, work, limit, self.cap)
            log.debug("lens mode %d: %d items in %d calls", op.mode, len(work), len(chunks))
            calls = [self.lens_call(op.mode, [op.word(it) for _, it in chunk]) for chunk in chunks]
            replies = self.many(calls, lens.LENS_CALLS_PER_REQUEST)
            work = []
            oversized: list[tuple[int, Any]] = []
            for chunk, reply in zip(chunks, replies, strict=True):
                if isinstance(reply, RpcError):
                    if is_revert(reply) or not lens.too_much(reply):
                        raise LensRefused(str(reply))
                    log.debug("a lens call of %d items was too much (%s); splitting",
                              len(chunk), reply.message)  # fmt: skip
                    if len(chunk) > 1:
                        limit = max(1, min(limit, len(chunk) // 2))
                        work += chunk
                    elif isinstance(chunk[0][1], Range) and chunk[0][1].size > 1:
                        work += [(chunk[0][0], half) for half in chunk[0][1].halves()]
                    else:
                        raise LensRefused(f"one item alone is too much for the node: {reply}")
                    continue
                _, done, cursor = self.lens_result(reply)
                if done > len(chunk):
                    raise ReadError("the lens reported more items than it was given")
                try:
                    for i, item in chunk[:done]:
                        keep(i, item, op.parse(cursor, item))
                except ValueError as exc:
                    raise ReadError(
                        f"the lens returned output that cannot be true: {exc}"
                    ) from None
                rest = chunk[done:]
                if done == 0:  # the first item alone does not fit in one call's output
                    i, item = rest.pop(0)
                    if isinstance(item, Range) and item.size > 1:
                        work += [(i, half) for half in item.halves()]
                    else:
                        oversized.append((i, item))
                work += rest
            if oversized:
                log.debug("%d items exceed one lens output; reading them plainly", len(oversized))
                got = plain_read([it for _, it in oversized])
                for (i, item), res in zip(oversized, got, strict=True):
                    keep(i, item, res)
        return [lens.combine(p) for p in parts]

    # -- what is read ------------------------------------------------------------------------------

    def tasks(self, addresses: list[str]) -> list[TaskRow]:
        return self.run(lens.TASKS_OP, addresses, lambda a: plain.tasks(self, a))

    def responses(self, addresses: list[str]) -> list[Resp]:
        return self.run(lens.RESPONSES_OP, addresses, lambda a: plain.responses(self, a))

    def slots(self, ranges: list[Range], detailed: bool) -> list[tuple[int, list[Any]]]:
        """Per range: (flags, non-zero response addresses) or, ``detailed``, (flags, [Resp])."""
        parts = self.slot_parts(ranges, detailed)
        results = self.run(lens.slots_op(detailed), parts,
                           lambda rs: plain.slots(self, rs, detailed))  # fmt: skip
        return _merge(parts, results, [r.key for r in ranges])

    def slot_parts(self, ranges: list[Range], detailed: bool) -> list[Range]:
        """``ranges`` cut into parts that each fit well in one lens call."""
        limit = lens.slot_limit(self.cap, detailed)
        return [p for r in ranges for p in split_range(r, limit)]

    def sources(self, addresses: list[str]) -> list[SourceRow]:
        return self.run(lens.SOURCES_OP, addresses, lambda a: plain.sources(self, a))

    def source_tasks(self, ranges: list[Range]) -> list[tuple[int, list[str]]]:
        """Per range of a source's task slots: (flags, task addresses)."""
        results = self.run(lens.SOURCE_TASKS_OP, ranges, lambda rs: plain.source_tasks(self, rs))
        return _merge(ranges, results, list(dict.fromkeys(r.key for r in ranges)))

    def client_sources(self, client: str) -> list[str]:
        """Every source whose getClient() is ``client`` (in Nexus order)."""
        nexus = self.network.nexus
        if self.use_lens:
            try:
                return self._lens_client_sources(nexus, client)
            except LensRefused as exc:
                self.refuse_lens(exc)
        return plain.client_sources(self, nexus, client)

    def _lens_client_sources(self, nexus: str, client: str) -> list[str]:
        lower, count, found = 0, None, []
        page = lens.client_source_page(self.cap)
        while count is None or lower < count:
            upper = min(lower + page - 1, lens.MAX_INDEX)
            method, params = self.lens_call(
                lens.CLIENT_SOURCES, [int(nexus, 16), int(client, 16), lower, upper]
            )
            try:
                result = self.call(method, params)
            except RpcError as exc:
                if is_revert(exc) or not lens.too_much(exc) or page == 1:
                    raise LensRefused(str(exc)) from None
                page //= 2
                continue
            _, done, cursor = self.lens_result(result)
            count = int.from_bytes(cursor.word(), "big")
            while cursor.wpos < len(cursor.words):
                found.append(address_of_word(cursor.word()))
            if done == 0 and lower < count:
                raise LensRefused("the lens made no progress over the Nexus sources")
            lower += done
        return found


def _merge(parts: list[Range], results: list[Any], keys: list[int]) -> list[Any]:
    """Per key, in ``keys`` order: the results of its parts joined, their flags and-ed."""
    merged: dict[int, tuple[int, list[Any]]] = {}
    for part, (flags, found) in zip(parts, results, strict=True):
        old = merged.get(part.key)
        merged[part.key] = (flags, found) if old is None else (old[0] & flags, old[1] + found)
    return [merged[k] for k in keys]
