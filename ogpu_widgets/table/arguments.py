"""The checks of ``ResponseTable``'s options and of its waits' time-outs: each a typed error
naming the argument (the one check of seconds is :func:`ogpu_widgets._strict.seconds`)."""

from __future__ import annotations

from typing import Any

from .._strict import seconds
from ..chain.network import gateway_url
from ..errors import InvalidArgumentError, NetworkConfigError, ResponseTableError
from ..live.subscription import MAX_TIMEOUT

__all__ = ["options", "wait_timeout"]


def options(
    confirm_timeout: Any, results: Any, gateway: Any, live: Any, progress: Any
) -> tuple[float, str | None]:
    """The checked ``confirm_timeout`` and ``gateway`` (a normalized URL, checked here rather
    than by every later fetch); :class:`ResponseTableError` for any bad option."""
    timeout = seconds(confirm_timeout, "confirm_timeout", ResponseTableError)
    assert timeout is not None
    if gateway is not None and not isinstance(gateway, str):
        raise ResponseTableError(f"gateway={gateway!r} is not a URL string")
    try:
        gateway = gateway if gateway is None else gateway_url(gateway, "gateway") or None
    except NetworkConfigError as exc:
        raise ResponseTableError(str(exc)) from None
    for name, flag in (("results", results), ("live", live), ("progress", progress)):
        if not isinstance(flag, bool):
            raise ResponseTableError(f"{name}={flag!r} is not True or False", argument=name)
    return timeout, gateway


def wait_timeout(value: Any) -> float | None:
    """A wait's ``timeout``: None (no limit) or seconds in [0, a week] (as every wait's)."""
    return seconds(value, "timeout", InvalidArgumentError, none=True, zero=True,
                   maximum=MAX_TIMEOUT)  # fmt: skip
