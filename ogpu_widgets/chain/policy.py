"""The one retry policy and the one memory of node capabilities.

:class:`RetryPolicy` says how often and how patiently a request is tried; :func:`is_transient`
says which error replies mean "try again later"; :class:`Capabilities` (one instance,
:data:`CAPABILITIES`) remembers what nodes refused, for a while."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .rpc import RpcError

__all__ = ["CAPABILITIES", "Capabilities", "RetryPolicy", "is_transient"]


_TRANSIENT_TEXT = re.compile(
    r"rate.?limit|too many requests|try again|temporar|busy|overloaded|capacity|"
    r"service unavailable|bad gateway|gateway timeout|connection reset|header not found|"
    r"block .*not found|unknown block|missing trie node",
    re.I,
)
# -32005 "limit exceeded" also means "query too large": that is not for retrying
_TOO_LARGE_TEXT = re.compile(
    r"too large|too many (results|blocks|logs)|range|more than|exceed.*(results|blocks)", re.I
)
# what an execution failure (not a sick node) says: a definitive answer about the call
_EXECUTION_TEXT = re.compile(
    r"out ?of ?gas|gas required exceeds|gas limit|gas cap|gas too low|intrinsic gas|"
    r"contract ?size|code ?size|max ?code|initcode|CreateContractSizeLimit|invalid opcode|"
    r"stack (over|under)flow|OpcodeNotFound",
    re.I,
)
_REVERT_TEXT = re.compile(r"revert|invalid opcode|panic|bad instruction|invalid jump", re.I)


def is_transient(err: RpcError) -> bool:
    """Whether an error reply says "try again later": HTTP-like 429, rate limits, an
    overloaded or lagging node, -32005 unless it says the query is too large, and -32603
    (internal error) unless it is a revert."""
    if err.code == 429 or _TRANSIENT_TEXT.search(err.message):
        return True
    if err.code == -32005:
        return not _TOO_LARGE_TEXT.search(err.message)
    if err.code == -32603:
        return not (
            _REVERT_TEXT.search(err.message)
            or _hex_data(err.data)
            or _EXECUTION_TEXT.search(err.message)
        )
    return False


def _hex_data(data: Any) -> bool:
    return isinstance(data, str) and data.startswith("0x") and len(data) > 2


# ---- the retry policy ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a request is tried: ``attempts`` tries, the pause doubling
    from ``backoff`` seconds up to ``max_backoff``."""

    attempts: int = 4
    backoff: float = 0.25
    max_backoff: float = 4.0

    def pauses(self):
        """The pause before each retry (``attempts - 1`` of them)."""
        delay = self.backoff
        for _ in range(self.attempts - 1):
            yield delay
            delay = min(delay * 2, self.max_backoff)


# ---- remembered capabilities ---------------------------------------------------------------------


class Capabilities:
    """What nodes refused in this process (JSON-RPC batches, the deployless read lens), keyed
    by RPC URL (and, for the lens, the gas cap), each refusal remembered for ``ttl`` seconds and
    then probed again: one refusal of a flaky node does not turn a capability off for good. The
    one owner of this process-wide memory is :data:`CAPABILITIES`."""

    def __init__(self, ttl: float = 300.0, clock: Any = time.monotonic) -> None:
        self.ttl = ttl
        #: Seconds, monotonic (the ``time.monotonic`` of this process by default).
        self.clock = clock
        self._lock = threading.Lock()
        self._refused: dict[tuple[str, Any], float] = {}

    def refuse(self, capability: str, key: Any) -> None:
        with self._lock:
            self._refused[(capability, key)] = self.clock() + self.ttl

    def allowed(self, capability: str, key: Any) -> bool:
        with self._lock:
            until = self._refused.get((capability, key))
            if until is None:
                return True
            if self.clock() >= until:
                del self._refused[(capability, key)]
                return True
            return False

    def probe(self, capability: str, key: Any) -> None:
        """An explicit request for ``capability`` (``read_path="batch"``): its refusal is
        forgotten, so the next use asks the node again (a new refusal is remembered again)."""
        with self._lock:
            self._refused.pop((capability, key), None)

    def forget(self) -> None:
        """Forget every refusal (every capability is probed again on next use)."""
        with self._lock:
            self._refused.clear()


CAPABILITIES = Capabilities()
