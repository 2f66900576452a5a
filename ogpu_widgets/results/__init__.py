"""The results behind responses' ``data`` URLs: fetched, verified against their IPFS CIDs,
cached, and returned as DataFrame columns.

``fetch_results(responses)`` (:mod:`.api`) fetches concurrently on a bounded pool within an
overall time budget; :mod:`.fetch` fetches one result through the configured gateway's
trustless interface (CAR, then raw blocks; the plain path only as a marked-unverified
fallback) and checks every block (:mod:`.cid`, :mod:`.unixfs`, :mod:`.car`); :mod:`.policy`
decides what the kernel may contact (IPFS through the gateway only by default; never private
addresses unless allowed) and holds the one guarded ``GET`` (size cap, time-out, re-checked
redirects); :mod:`.cache` keeps verified results on disk as CAR files, verified again on read.

This room imports ``chain``, ``errors`` and ``records`` (and ``read`` lazily, to read response
addresses); ``read`` imports it lazily for ``load_responses(..., results=True)``.
"""

from __future__ import annotations

from .api import (
    KINDS,
    RESULT_COLUMNS,
    ResultVerificationWarning,
    classify,
    fetch_one,
    fetch_outcomes,
    fetch_results,
    with_results,
)
from .cache import CACHE_ENV, ResultCache, default_cache_dir
from .outcome import Outcome
from .policy import MAX_REDIRECTS, UrlPolicy, resolve_gateway

__all__ = [
    "CACHE_ENV",
    "KINDS",
    "MAX_REDIRECTS",
    "Outcome",
    "RESULT_COLUMNS",
    "ResultCache",
    "ResultVerificationWarning",
    "UrlPolicy",
    "classify",
    "default_cache_dir",
    "fetch_one",
    "fetch_outcomes",
    "fetch_results",
    "resolve_gateway",
    "with_results",
]
