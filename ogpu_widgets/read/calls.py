"""The public read calls: ``load_responses``, ``load_tasks``, ``read_responses``,
``get_task_responses`` and ``get_confirmed_response``.

Each call validates its arguments, opens one :class:`~ogpu_widgets.read.session.Session` (one
pinned block, so a frame is a consistent snapshot), reads, checks what it read and builds
records or a frame. Every failure is an :class:`~ogpu_widgets.errors.OgpuWidgetsError`, and
nothing partial is returned.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from ..chain.codec import to_address
from ..errors import InvalidArgumentError, ReadError
from ..records import ZERO_ADDRESS, TaskInfo, TaskResponse
from . import frame as _frame
from .rows import OK, Range, TaskRow, task_info
from .session import ReadPath, Session, log
from .validate import (
    address_list,
    check_responses,
    check_source,
    check_tasks,
    selector_value,
    slot_bounds,
)

__all__ = [
    "discover_tasks",
    "get_confirmed_response",
    "get_task_responses",
    "load_responses",
    "load_tasks",
    "read_responses",
]

#: A progress bar appears from this many tasks on (``progress=True``).
PROGRESS_MIN_TASKS = 100
#: Slots per range of a source's task list read in one lens call.
SOURCE_PAGE = 640


def discover_tasks(session: Session, kind: str, value: Any) -> list[str]:
    """The task addresses a selector names, in chain order."""
    if kind == "tasks":
        return value
    if kind == "source":
        sources = [value]
    else:
        sources = session.client_sources(value)
        if not sources:
            return []
    rows = session.sources(sources)
    for row in rows:
        check_source(row, session.network)
    page = SOURCE_PAGE
    ranges = [
        Range(k, row.address, lo, min(row.task_count, lo + page) - 1)
        for k, row in enumerate(rows)
        for lo in range(0, row.task_count, page)
    ]
    found = session.source_tasks(ranges)
    listed = [rows[k] for k in dict.fromkeys(r.key for r in ranges)]
    tasks: list[str] = []
    for row, (flags, addresses) in zip(listed, found, strict=True):
        if flags != OK:
            raise ReadError(
                f"the task list of source {row.address} ({row.task_count} tasks) did not read "
                "back; try again, or read with read_path='batch'"
            )
        tasks += addresses
    return list(dict.fromkeys(a for a in tasks if a != ZERO_ADDRESS))


def _progress_bar(n_tasks: int, total: int, progress: bool, desc: str):
    if not progress or n_tasks < PROGRESS_MIN_TASKS:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="attempt", leave=False)


def _read_tasks_and_slots(
    kind: str, value: Any, network: Any, progress: bool, read_path: str, detailed: bool
) -> tuple[list[TaskRow], list[tuple[int, list[Any]]]]:
    if not isinstance(progress, bool):
        raise InvalidArgumentError(f"progress={progress!r} is not True or False",
                                   argument="progress")  # fmt: skip
    session = Session(network, read_path)
    tasks = discover_tasks(session, kind, value)
    if not tasks:
        return [], []
    rows = session.tasks(tasks)
    if kind == "tasks":
        check_tasks(rows, session.network)
    elif any(r.flags != OK for r in rows):
        bad = next(r for r in rows if r.flags != OK)
        raise ReadError(f"task {bad.address} listed by its source does not read as a task")
    ranges = [Range(k, r.address, 0, r.attempts - 1) for k, r in enumerate(rows) if r.attempts]
    desc = f"{'responses' if detailed else 'tasks'} of {len(rows)} tasks"
    bar = _progress_bar(len(rows), sum(r.size for r in ranges), progress, desc)
    try:
        session.progress = bar.update if bar is not None else None
        found = session.slots(ranges, detailed) if ranges else []
    finally:
        if bar is not None:
            bar.close()
    slots: list[tuple[int, list[Any]]] = [(OK, [])] * len(rows)
    for r, result in zip(ranges, found, strict=True):
        if result[0] != OK:
            raise ReadError(f"the responses of task {rows[r.key].address} did not read back")
        slots[r.key] = result
    log.debug("read %d tasks in %d HTTP requests", len(rows), session.requests)
    return rows, slots


def load_responses(
    *,
    tasks: Iterable[str] | str | None = None,
    source: str | None = None,
    client: str | None = None,
    network: Any = None,
    progress: bool = True,
    read_path: ReadPath = "auto",
    results: Any = False,
) -> pd.DataFrame:
    """Every submitted response of the selected tasks, one row each, as a DataFrame.

    Pass exactly one selector: ``tasks`` (task addresses; one address string is one task),
    ``source`` (every task of that source) or ``client`` (every task of every source whose
    client is that address, found through Nexus's source list). ``network`` is a
    :class:`~ogpu_widgets.chain.network.Network`, ``"mainnet"``/``"testnet"``, a devnet state
    file or ``Devnet``, or None for the default.

    The index, ``address``, holds the response addresses. The columns, in this order, are
    ``task, provider, data, payment, payment_ogpu, status, confirmed, timestamp, task_status,
    delivery_method, task_expiry, source, client, task_first_attempt``. ``payment`` is exact
    wei as Python ``int`` in an ``object`` column (wei can exceed 2**64); ``payment_ogpu`` is a
    float. ``status``, ``task_status`` and ``delivery_method`` are categoricals listing every
    protocol value. Times are ``datetime64[ns, UTC]``; ``task_first_attempt`` is when a provider
    first attempted the task (the chain stores no publication time in the task). Addresses are
    checksummed; ``data`` is UTF-8 with U+FFFD where the chain's bytes are not UTF-8. Attempters
    that did not respond contribute no row; ``load_tasks`` gives one row per task. Rows follow
    the task order, then the attempt order within a task.

    ``read_path`` forces a path (``"lens"``, ``"batch"``, ``"call"``); ``"auto"`` picks the
    fastest the node allows. A progress bar appears for many tasks unless ``progress=False``.
    ``results=True`` (or a dict of :func:`~ogpu_widgets.fetch_results` options) also fetches
    the result behind each ``data`` and joins its columns (``result``, ``result_kind``,
    ``result_cid``, ``result_verified``, ``result_error``, ``result_size``), with JSON objects
    flattened into ``result.<field>`` columns. Raises :class:`~ogpu_widgets.errors.SelectorError`, ``InvalidAddressError``,
    ``NotAContractError``, ``NotATaskError``/``NotASourceError`` on bad input (only on a
    definitive answer of the node), ``WrongChainError``/``NodeUnavailableError`` for the node,
    ``ReadError`` when a read fails (no partial frame is ever returned).
    """
    kind, value = selector_value(tasks, source, client)
    rows, slots = _read_tasks_and_slots(kind, value, network, progress, read_path, True)
    infos: dict[str, TaskInfo] = {}
    responses: list[TaskResponse] = []
    for row, (_, found) in zip(rows, slots, strict=True):
        records = [rec for _, rec in found]
        if any(rec is None for rec in records):
            raise ReadError(f"a response of task {row.address} does not read as a response")
        infos[row.address] = task_info(row, len(records))
        responses += records  # type: ignore[arg-type]
    df = _frame.responses_frame(responses, infos)
    if results is False or results is None:
        return df
    from ..results import with_results

    return with_results(df, results, network=network, progress=progress)


def load_tasks(
    *,
    tasks: Iterable[str] | str | None = None,
    source: str | None = None,
    client: str | None = None,
    network: Any = None,
    progress: bool = True,
    read_path: ReadPath = "auto",
) -> pd.DataFrame:
    """One row per selected task (also those without responses), as a DataFrame.

    Selectors, ``network``, ``progress`` and ``read_path`` as in :func:`load_responses`. The
    index, ``address``, holds the task addresses; the columns are ``source, client, status,
    delivery_method, payment, payment_ogpu, expiry, attempt_count, response_count,
    winning_provider, config, first_attempt`` (see :mod:`ogpu_widgets.read.frame`).
    """
    kind, value = selector_value(tasks, source, client)
    rows, slots = _read_tasks_and_slots(kind, value, network, progress, read_path, False)
    return _frame.tasks_frame(
        [task_info(row, len(found)) for row, (_, found) in zip(rows, slots, strict=True)]
    )


def read_responses(
    addresses: Iterable[str] | str, *, network: Any = None, read_path: ReadPath = "auto"
) -> pd.DataFrame:
    """The given responses (one address string is one response), one row each in the given
    order (duplicates once), with the columns and dtypes of :func:`load_responses`: the widget
    refreshes rows with it."""
    wanted = address_list(addresses, "response address", "addresses")
    if not wanted:
        return _frame.empty_responses_frame()
    session = Session(network, read_path)
    got = session.responses(wanted)
    check_responses(got, wanted, session.network)
    records: list[TaskResponse] = [rec for _, rec in got]  # type: ignore[misc]
    task_addresses = list(dict.fromkeys(r.task for r in records))
    rows = session.tasks(task_addresses)
    check_tasks(rows, session.network)
    counts: dict[str, int] = {}
    for r in records:
        counts[r.task] = counts.get(r.task, 0) + 1
    infos = {row.address: task_info(row, counts[row.address]) for row in rows}
    return _frame.responses_frame(records, infos)


def get_task_responses(
    task_address: str,
    lower: int = 0,
    upper: int | None = None,
    *,
    network: Any = None,
    read_path: ReadPath = "auto",
) -> list[TaskResponse]:
    """The responses submitted to a task, as :class:`~ogpu_widgets.records.TaskResponse`
    (``data`` as text, ``data_bytes`` the exact bytes on chain).

    Like the official SDK's call: ``lower``/``upper`` select attempter slots, ``lower``
    inclusive and ``upper`` exclusive (None: all), and attempters without a response are left
    out, so the list may be shorter than ``upper - lower``.
    """
    task = to_address(task_address, "task address")
    lower, upper = slot_bounds(lower, upper)
    session = Session(network, read_path)
    (row,) = session.tasks([task])
    check_tasks([row], session.network)
    end = row.attempts if upper is None else min(upper, row.attempts)
    if end <= lower:
        return []
    ((flags, found),) = session.slots([Range(0, task, lower, end - 1)], detailed=True)
    if flags != OK or any(rec is None for _, rec in found):
        raise ReadError(f"the responses of task {task} did not read back")
    return [rec for _, rec in found]  # type: ignore[misc]


def get_confirmed_response(
    task_address: str, *, network: Any = None, read_path: ReadPath = "auto"
) -> TaskResponse | None:
    """The task's confirmed response, or None while no response is confirmed."""
    for response in get_task_responses(task_address, network=network, read_path=read_path):
        if response.confirmed:
            return response
    return None
