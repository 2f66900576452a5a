"""Helpers shared by the confirmation tests (real anvil devnets only; no tests here)."""

from __future__ import annotations

import contextlib
import time
import traceback
from collections.abc import Callable
from typing import Any

from ogpu_widgets.devnet import Devnet


def nonce(dev: Devnet, address: str, tag: str = "pending") -> int:
    """The account's transaction count on chain (``pending`` includes unmined ones)."""
    return int(dev.rpc("eth_getTransactionCount", [address, tag]), 16)


def new_task(
    dev: Devnet, responses: int = 2, *, delivery: str = "manual", payment_ogpu: float = 2.0, **kw
) -> tuple[str, list[str]]:
    """A fresh task on ``dev`` with ``responses`` responses from providers 0.."""
    source = dev.publish_source(delivery)
    task = dev.publish_task(source, payment_ogpu=payment_ogpu, **kw)
    return task, [dev.respond(task, p) for p in range(responses)]


def wait_for(condition: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    """Poll ``condition`` until it is truthy (with backoff) or fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def key_forms(key: str) -> list[str]:
    """Lower-case texts whose presence would reveal ``key``."""
    digits = key.lower().removeprefix("0x")
    forms = [digits]
    with contextlib.suppress(ValueError):
        forms.append(repr(bytes.fromhex(digits)).lower()[2:-1])
    return forms


def assert_no_key(text: str, key: str) -> None:
    low = text.lower()
    for form in key_forms(key):
        assert form not in low, "the private key leaked"


def assert_exception_clean(exc: BaseException, key: str) -> None:
    """The key is in no message, repr, or local of a library frame along the exception chain
    (what ``traceback`` prints with ``capture_locals=True``)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        assert_no_key(str(exc), key)
        assert_no_key(repr(exc), key)
        tb = exc.__traceback__
        while tb is not None:
            frame = tb.tb_frame
            if "ogpu_widgets" in frame.f_code.co_filename:
                for name, value in frame.f_locals.items():
                    assert_no_key(f"{name}={value!r}", key)
            tb = tb.tb_next
        library_only = traceback.TracebackException.from_exception(exc, capture_locals=True)
        library_only.stack = traceback.StackSummary.from_list(
            [f for f in library_only.stack if "ogpu_widgets" in f.filename]
        )
        assert_no_key("".join(library_only.format()), key)
        exc = exc.__cause__ or exc.__context__
