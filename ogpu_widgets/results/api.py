"""The public calls: :func:`fetch_results`, :func:`fetch_one` (``TaskResponse.fetch_data``) and
:func:`with_results` (``load_responses(..., results=True)``)."""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from .._strict import reject_unknown
from ..errors import InvalidArgumentError, ResultError
from ..records import TaskResponse
from .cache import open_cache
from .fetch import Fetcher, describe
from .options import check_flag, check_numbers
from .outcome import KINDS, RESULT_COLUMNS, Outcome, classify, frame
from .policy import UrlPolicy, resolve_gateway
from .workers import run as workers_run

__all__ = [
    "KINDS",
    "RESULT_COLUMNS",
    "ResultVerificationWarning",
    "classify",
    "fetch_one",
    "fetch_outcomes",
    "fetch_results",
    "with_results",
]

log = logging.getLogger("ogpu_widgets.results")

#: A progress bar appears from this many results to fetch (``progress=True``).
PROGRESS_MIN_RESULTS = 50
#: ``with_results`` flattens JSON objects into at most this many ``result.<field>`` columns
#: (the fields most results have) and this many levels deep.
FLATTEN_MAX_COLUMNS = 200
FLATTEN_MAX_LEVEL = 8


class ResultVerificationWarning(UserWarning):
    """Content served for a CID did not match it: the result was dropped (``result_kind``
    "error", ``result_verified`` False)."""


# ---- the inputs --------------------------------------------------------------------------------


def _pairs(responses: Any, network: Any) -> list[tuple[str, Any]]:
    """(response address, data) per row of what ``responses`` names, in order."""
    if isinstance(responses, pd.DataFrame):
        if "data" not in responses.columns:
            raise InvalidArgumentError(
                "responses is a DataFrame without a 'data' column; pass one from "
                "load_responses() (indexed by response address)",
                argument="responses",
            )
        return [(str(a), d) for a, d in zip(responses.index, responses["data"], strict=True)]
    if isinstance(responses, TaskResponse):
        return [(responses.address, responses.data)]
    if (
        responses is None
        or isinstance(responses, int | float | Mapping)
        or not (isinstance(responses, str | bytes | bytearray | Iterable))
    ):
        shown = "None" if responses is None else f"a {type(responses).__name__}"
        raise InvalidArgumentError(
            f"responses is {shown}: pass a DataFrame from load_responses(), response "
            "addresses, or TaskResponses (one or a list)",
            argument="responses",
        )
    items = [responses] if isinstance(responses, str | bytes | bytearray) else list(responses)
    records = [r for r in items if isinstance(r, TaskResponse)]
    if records and len(records) != len(items):
        raise InvalidArgumentError(
            "responses mixes TaskResponses and other values; pass one kind",
            argument="responses",
        )
    if records:
        return [(r.address, r.data) for r in records]
    if not items:
        return []
    from ..read import read_responses

    frame = read_responses(items, network=network)
    return [(str(a), d) for a, d in zip(frame.index, frame["data"], strict=True)]


# ---- fetch_results -----------------------------------------------------------------------------


def fetch_results(
    responses: Any,
    *,
    network: Any = None,
    gateway: str | None = None,
    timeout: float = 10.0,
    max_bytes: int = 10_000_000,
    budget: float | None = None,
    progress: bool = True,
    workers: int = 16,
    cache: Any = True,
    allow_urls: bool = False,
    allow_private: bool = False,
) -> pd.DataFrame:
    """Fetch the result behind each response's ``data``, verified against its IPFS CID.

    ``responses``: a DataFrame from ``load_responses`` (index: response addresses; column
    ``data``), response addresses (read with ``read_responses``), or ``TaskResponse``s; or one
    of these alone. Returns a DataFrame indexed by response address, in the same order, with

    - ``result``: the parsed JSON value, the text (str) or the bytes (image, binary);
    - ``result_kind``: categorical ``json``, ``text``, ``image``, ``binary`` or ``error``;
    - ``result_cid``: the CID ``data`` names (<NA> for none);
    - ``result_verified``: True when every block was checked against the CID, False when the
      check failed (the content is dropped, the row is an error, and a
      :class:`ResultVerificationWarning` is issued), <NA> when it could not be checked
      (``result_error`` says why);
    - ``result_error``: why there is no result ("" when there is one): "not fetched: …",
      "verification failed: …", "too large: …", "timed out…", …;
    - ``result_size``: the content's size in bytes.

    IPFS content is fetched only through the gateway (``gateway=``, else
    ``$OGPU_IPFS_GATEWAY``, else the network's ``ipfs_gateway``), trustlessly where it can
    (CAR, then raw blocks), never from the host named in ``data``. Other URLs are fetched only
    with ``allow_urls=True``, and never at loopback, private or link-local addresses unless
    ``allow_private=True``. A gateway that ignores the trustless request is checked too: its
    plain content is imported again with the CID's profile and compared. ``timeout`` (seconds,
    up to 86,400) bounds each result, connect, headers and body however slowly they arrive;
    ``budget`` the whole call (results not done by then are errors "timed out"); ``max_bytes``
    (up to 1 GiB) each result's size. ``workers`` (up to 256) fetches run at once, on daemon
    threads; a progress bar appears from 50 results unless ``progress=False``.
    Verified results are kept in an on-disk cache (``cache=True``: ``$OGPU_WIDGETS_CACHE`` or
    the user's cache directory; a directory; ``False`` to bypass it).
    """
    addresses, rows = fetch_outcomes(
        responses,
        network=network,
        gateway=gateway,
        timeout=timeout,
        max_bytes=max_bytes,
        budget=budget,
        progress=progress,
        workers=workers,
        cache=cache,
        allow_urls=allow_urls,
        allow_private=allow_private,
    )
    _warn_failed(list(zip(addresses, rows, strict=True)), stacklevel=2)
    return frame(addresses, rows)


#: The options of :func:`fetch_outcomes` and their defaults (those of :func:`fetch_results`,
#: but no progress bar).
_DEFAULTS: dict[str, Any] = {
    "network": None, "gateway": None, "timeout": 10.0, "max_bytes": 10_000_000, "budget": None,
    "progress": False, "workers": 16, "cache": True, "allow_urls": False, "allow_private": False,
}  # fmt: skip


def fetch_outcomes(responses: Any, **options: Any) -> tuple[list[str], list[Outcome]]:
    """(response addresses, their :class:`~ogpu_widgets.results.outcome.Outcome`) in order:
    what :func:`fetch_results` makes its DataFrame of (the same options; no warning issued)."""
    reject_unknown("fetch_outcomes()", options, _DEFAULTS)
    o = {**_DEFAULTS, **options}
    network, gateway, cache = o["network"], o["gateway"], o["cache"]
    progress, allow_urls, allow_private = (
        check_flag(o[k], k) for k in ("progress", "allow_urls", "allow_private")
    )
    timeout, max_bytes, budget, workers = check_numbers(
        o["timeout"], o["max_bytes"], o["budget"], o["workers"]
    )
    budget_end = time.monotonic() + budget if budget is not None else None
    pairs = _pairs(responses, network)
    gw = resolve_gateway(gateway, network) if pairs else ""
    fetcher = Fetcher(
        policy=UrlPolicy(gw, bool(allow_urls), bool(allow_private)),
        timeout=timeout,
        max_bytes=max_bytes,
        cache=open_cache(cache),
        budget_end=budget_end,
    )
    try:
        outcomes = _run(fetcher, list(dict.fromkeys(_key(d) for _, d in pairs)), progress, workers)
    finally:
        fetcher.close()
    return [a for a, _ in pairs], [outcomes[_key(d)] for _, d in pairs]


def _key(data: Any) -> Any:
    return data if isinstance(data, str) else repr(data)


def _run(fetcher: Fetcher, datas: list[Any], progress: bool, workers: int) -> dict[Any, Outcome]:
    out: dict[Any, Outcome] = {}
    todo = []
    for data in datas:  # cache hits here, in this thread: no pool hand-off for them
        try:
            hit = fetcher.from_cache(data)
        except Exception:  # the cache never raises; if it did, the fetch below is the answer
            log.exception("reading the cached result of %s failed", describe(data))
            hit = None
        if hit is not None:
            out[data] = hit
        else:
            todo.append(data)
    if not todo:
        return out
    bar = None
    if progress and len(todo) >= PROGRESS_MIN_RESULTS:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), desc="results", unit="result", leave=False)
    try:
        out.update(
            workers_run(
                fetcher.fetch,
                fetcher.limits,
                todo,
                workers,
                fetcher.budget_end,
                bar.update if bar is not None else None,
            )
        )
    finally:
        fetcher.cancel.set()
        if bar is not None:
            bar.close()
    return out


def _warn_failed(rows: list[tuple[str, Outcome]], stacklevel: int) -> None:
    failed = [(a, o) for a, o in rows if o.verified is False]
    if not failed:
        return
    cids = list(dict.fromkeys(o.cid or "?" for _, o in failed))
    message = (
        f"{len(failed)} result(s) did not match their CID and were dropped (the gateway "
        f"served other content): {', '.join(cids[:5])}{' …' if len(cids) > 5 else ''}"
    )
    log.warning("%s; responses %s", message, ", ".join(a for a, _ in failed[:5]))
    warnings.warn(message, ResultVerificationWarning, stacklevel=stacklevel + 1)


# ---- one response ------------------------------------------------------------------------------


def fetch_one(response: TaskResponse, **options: Any) -> Any:
    """The parsed result of one response (``TaskResponse.fetch_data``): the JSON value, the
    text, or bytes; raises the typed :class:`~ogpu_widgets.errors.ResultError` (with
    ``response``, ``cid``, ``url``) when there is none."""
    reject_unknown("fetch_data()", options, _ONE_OPTIONS)
    if not isinstance(response, TaskResponse):
        raise InvalidArgumentError(
            f"fetch_data() needs a TaskResponse, not a {type(response).__name__}",
            argument="response",
        )
    defaults = {"network": None, "gateway": None, "timeout": 30.0, "max_bytes": 10_000_000,
                "cache": True, "allow_urls": False, "allow_private": False}  # fmt: skip
    _, (outcome,) = fetch_outcomes(
        response, budget=None, progress=False, workers=1, **{**defaults, **options}
    )
    if outcome.verified is False:
        _warn_failed([(response.address, outcome)], stacklevel=3)
    if outcome.kind != "error":
        return outcome.value
    err = outcome.error or ResultError("no result")
    data = {**err.data, "response": response.address}
    try:
        out = type(err)(str(err), **data)
    except TypeError:
        out = ResultError(str(err), **data)
    raise out


_ONE_OPTIONS = frozenset(
    {"network", "gateway", "timeout", "max_bytes", "cache", "allow_urls", "allow_private"}
)


# ---- load_responses(..., results=True) ---------------------------------------------------------


def with_results(df: pd.DataFrame, options: Any, *, network: Any, progress: bool) -> pd.DataFrame:
    """``df`` with the :func:`fetch_results` columns joined, and JSON objects flattened into
    ``result.<field>`` columns (``pandas.json_normalize``, sep "."). ``options``: True, or a
    dict of :func:`fetch_results` keywords."""
    kwargs: dict[str, Any] = {}
    if isinstance(options, Mapping):
        kwargs = dict(options)
        reject_unknown("load_responses(results={...})", kwargs, _MANY_OPTIONS)
    elif options is not True:
        raise InvalidArgumentError(
            f"results={options!r}: pass True, or a dict of fetch_results() options",
            argument="results",
        )
    kwargs.setdefault("network", network)
    kwargs.setdefault("progress", progress)
    fetched = fetch_results(df, **kwargs)
    fetched.index = df.index
    out = pd.concat([df, fetched], axis=1)
    return pd.concat([out, flatten(fetched)], axis=1)


_MANY_OPTIONS = frozenset(
    {
        "gateway",
        "timeout",
        "max_bytes",
        "budget",
        "progress",
        "workers",
        "cache",
        "allow_urls",
        "allow_private",
        "network",
    }  # fmt: skip
)


def flatten(fetched: pd.DataFrame) -> pd.DataFrame:
    """The JSON objects of ``fetched["result"]`` as ``result.<field>`` columns (at most
    :data:`FLATTEN_MAX_COLUMNS`, the fields most rows have; :data:`FLATTEN_MAX_LEVEL` deep)."""
    objects = [
        v if k == "json" and isinstance(v, dict) else {}
        for v, k in zip(fetched["result"], fetched["result_kind"], strict=True)
    ]
    if not any(objects):
        return pd.DataFrame(index=fetched.index)
    flat = pd.json_normalize(objects, sep=".", max_level=FLATTEN_MAX_LEVEL)
    flat = flat.loc[:, ~flat.columns.duplicated()]
    if flat.shape[1] > FLATTEN_MAX_COLUMNS:
        counts = flat.notna().sum().sort_values(ascending=False, kind="stable")
        keep = set(counts.index[:FLATTEN_MAX_COLUMNS])
        flat = flat[[c for c in flat.columns if c in keep]]
    flat.columns = [f"result.{c}" for c in flat.columns]
    flat.index = fetched.index
    return flat
