"""Reading OpenGPU tasks and responses fast, into records and pandas DataFrames.

Three read paths give the same results:

``lens``
    The creation code of ``contracts/ResponseLens.sol`` runs as a deployless ``eth_call`` (no
    ``to``): its constructor reads up to ~100 responses (or ~85 tasks) and returns them
    ABI-encoded. The output of a constructor is contract code to the node, so one call returns
    at most ``LENS_MAX_OUTPUT`` bytes (EIP-170); chunks are sized by estimated output and by
    estimated gas to stay under ``network.call_gas_cap``, and many lens calls travel in one
    JSON-RPC batch request when the node accepts batches (:mod:`.lens`).
``batch``
    Plain ``eth_call`` of each view function, ``BATCH_CALLS_PER_REQUEST`` per JSON-RPC batch
    (:mod:`.plain`).
``call``
    The same calls one HTTP request each, one after another (the official SDK's way).

``read_path="auto"`` (the default) tries the lens, falls back to plain batches when the node
refuses the deployless call, and to single calls when it refuses batches (:mod:`.session`); the
choice is logged at debug level on ``logging.getLogger("ogpu_widgets.read")``, and a refusal is
remembered per RPC URL for a while (``ogpu_widgets.chain.rpc.CAPABILITIES``), then probed
again. Every read of one public call is pinned to one block, so a frame is a consistent
snapshot. Transient failures are retried by the JSON-RPC client; a node that keeps failing
raises :class:`~ogpu_widgets.errors.NodeUnavailableError`, never a verdict about an address.
Every failure is an :class:`~ogpu_widgets.errors.OgpuWidgetsError`; nothing partial is
returned.

Modules: :mod:`.calls` (the public calls), :mod:`.logs` (``task_publications``,
``confirmation_txs``),
:mod:`.session`, :mod:`.lens`, :mod:`.plain`, :mod:`.rows`, :mod:`.validate`, :mod:`.frame`.
"""

from __future__ import annotations

from .calls import (
    get_confirmed_response,
    get_task_responses,
    load_responses,
    load_tasks,
    read_responses,
)
from .frame import (
    RESPONSE_COLUMNS,
    TASK_COLUMNS,
    empty_responses_frame,
    empty_tasks_frame,
    responses_frame,
    tasks_frame,
)
from .logs import confirmation_txs, task_publications
from .session import ReadPath

__all__ = [
    "RESPONSE_COLUMNS",
    "TASK_COLUMNS",
    "ReadPath",
    "confirmation_txs",
    "empty_responses_frame",
    "empty_tasks_frame",
    "get_confirmed_response",
    "get_task_responses",
    "load_responses",
    "load_tasks",
    "read_responses",
    "responses_frame",
    "task_publications",
    "tasks_frame",
]
