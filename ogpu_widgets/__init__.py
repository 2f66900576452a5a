"""ogpu-widgets: OpenGPU task responses as pandas DataFrames and an interactive Jupyter table.

    import ogpu_widgets as ow
    df = ow.load_responses(client="0x...")          # every response of a client, fast
    ow.ResponseTable(df, account=key)                # sort, filter, select, confirm

The seed SDK's calls work the same: ``get_task_responses``, ``get_confirmed_response``,
``confirm_response``; ``watch_responses``, ``wait_for_responses`` and
``wait_for_confirmed_response`` follow the chain as it changes. The layout of the package is
described in ``docs/architecture.md``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from . import errors as _errors
from . import records as _records
from .chain.network import (
    MAINNET,
    TESTNET,
    Network,
    NetworkLike,
    get_default_network,
    set_default_network,
)
from .errors import *  # noqa: F403  (every error class: errors.__all__)
from .records import (
    ConfirmationState,
    DeliveryMethod,
    LiveState,
    ResponseStatus,
    ResultState,
    SourceStatus,
    TaskInfo,
    TaskResponse,
    TaskStatus,
)

__version__ = "0.1.0"

# Heavier rooms load on first use, so `import ogpu_widgets` stays quick.
_LAZY = {
    "get_task_responses": "read",
    "get_confirmed_response": "read",
    "load_responses": "read",
    "load_tasks": "read",
    "read_responses": "read",
    "task_publications": "read",
    "confirmation_txs": "read",
    "ReadPath": "read",
    "confirm_response": "confirm",
    "confirm_many": "confirm",
    "preflight": "confirm",
    "estimate_fee": "confirm",
    "pending_confirmation": "confirm",
    "confirmations": "confirm",
    "resolve_signer": "confirm",
    "Confirmation": "confirm",
    "Preflight": "confirm",
    "AccountLike": "confirm",
    "BrowserWallet": "confirm",
    "AgentChange": "confirm",
    "authorize_agent": "confirm",
    "revoke_agent": "confirm",
    "is_agent_of": "confirm",
    "ResponseTable": "table",
    "fetch_results": "results",
    "ResultVerificationWarning": "results",
    "watch_responses": "live",
    "wait_for_responses": "live",
    "wait_for_confirmed_response": "live",
    "ResponseWatcher": "live",
}

if TYPE_CHECKING:
    from .confirm import (
        AccountLike,
        AgentChange,
        BrowserWallet,
        Confirmation,
        Preflight,
        confirm_many,
        confirm_response,
        confirmations,
        estimate_fee,
        pending_confirmation,
        preflight,
        resolve_signer,
    )
    from .confirm.agents import authorize_agent, is_agent_of, revoke_agent
    from .live import (
        ResponseWatcher,
        wait_for_confirmed_response,
        wait_for_responses,
        watch_responses,
    )
    from .read import (
        ReadPath,
        confirmation_txs,
        get_confirmed_response,
        get_task_responses,
        load_responses,
        load_tasks,
        read_responses,
        task_publications,
    )
    from .results import ResultVerificationWarning, fetch_results
    from .table import ResponseTable


def _fetch_one(response: Any, **options: Any) -> Any:
    from .results import fetch_one  # the results room loads on first use

    return fetch_one(response, **options)


_records.set_result_fetcher(_fetch_one)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ogpu_widgets' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "AccountLike",
    "AgentChange",
    "BrowserWallet",
    "Confirmation",
    "ConfirmationState",
    "DeliveryMethod",
    "LiveState",
    "MAINNET",
    "Network",
    "NetworkLike",
    "Preflight",
    "ReadPath",
    "ResponseStatus",
    "ResponseTable",
    "ResponseWatcher",
    "ResultState",
    "ResultVerificationWarning",
    "SourceStatus",
    "TESTNET",
    "TaskInfo",
    "TaskResponse",
    "TaskStatus",
    "authorize_agent",
    "confirm_many",
    "confirm_response",
    "confirmation_txs",
    "confirmations",
    "estimate_fee",
    "fetch_results",
    "get_confirmed_response",
    "get_default_network",
    "get_task_responses",
    "is_agent_of",
    "load_responses",
    "load_tasks",
    "pending_confirmation",
    "preflight",
    "read_responses",
    "resolve_signer",
    "revoke_agent",
    "set_default_network",
    "task_publications",
    "wait_for_confirmed_response",
    "wait_for_responses",
    "watch_responses",
]
__all__ += _errors.__all__  # every error class
