"""ogpu-widgets: OpenGPU task responses as pandas DataFrames and an interactive Jupyter table.

    import ogpu_widgets as ow
    df = ow.load_responses(client="0x...")          # every response of a client, fast
    ow.ResponseTable(df, account=key)                # sort, filter, select, confirm

The seed SDK's calls work the same: ``get_task_responses``, ``get_confirmed_response``,
``confirm_response``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .chain.network import (
    MAINNET,
    TESTNET,
    Network,
    get_default_network,
    set_default_network,
)
from .errors import *  # noqa: F403
from .errors import OgpuWidgetsError
from .records import DeliveryMethod, ResponseStatus, TaskResponse, TaskStatus

__version__ = "0.1.0"

# Heavier modules load on first use, so `import ogpu_widgets` stays quick.
_LAZY = {
    "get_task_responses": "reader",
    "get_confirmed_response": "reader",
    "load_responses": "reader",
    "load_tasks": "reader",
    "read_responses": "reader",
    "task_publications": "reader",
    "confirm_response": "confirm",
    "confirm_many": "confirm",
    "Confirmation": "confirm",
    "ResponseTable": "table",
}

if TYPE_CHECKING:
    from .confirm import Confirmation, confirm_many, confirm_response
    from .reader import (
        get_confirmed_response,
        get_task_responses,
        load_responses,
        load_tasks,
        read_responses,
        task_publications,
    )
    from .table import ResponseTable


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ogpu_widgets' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "MAINNET",
    "TESTNET",
    "Confirmation",
    "DeliveryMethod",
    "Network",
    "OgpuWidgetsError",
    "ResponseStatus",
    "ResponseTable",
    "TaskResponse",
    "TaskStatus",
    "confirm_many",
    "confirm_response",
    "get_confirmed_response",
    "get_default_network",
    "get_task_responses",
    "load_responses",
    "load_tasks",
    "read_responses",
    "set_default_network",
    "task_publications",
]
