"""Helpers shared by the confirmation tests (real anvil devnets only; no tests here). Waiting
on a condition is :func:`support.until`."""

from __future__ import annotations

import contextlib
import threading
import traceback
from collections.abc import Callable
from typing import Any

from eth_account import Account

from ogpu_widgets.chain.codec import calldata
from ogpu_widgets.chain.network import Network
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


def custom_network(
    dev: Devnet, *, chain_id: int | None = None, terminal: str | None = None
) -> Network:
    """The devnet's Nexus, Controller and Vault as a custom network said to be on ``chain_id``
    (default: the devnet's chain), with ``terminal`` (default: none)."""
    c = dev.contracts
    return Network.custom(dev.rpc_url, chain_id=chain_id or dev.chain_id, nexus=c["nexus"],
                          controller=c["controller"], vault=c["vault"],
                          terminal=terminal)  # fmt: skip


def run_together(n: int, fn: Callable[[int], Any]) -> list[tuple[Any, Exception | None]]:
    """Run ``fn(i)`` in ``n`` threads released at once; [(result, error)] by i."""
    barrier = threading.Barrier(n)
    out: list[Any] = [None] * n

    def worker(i: int) -> None:
        barrier.wait()
        try:
            out[i] = (fn(i), None)
        except Exception as exc:  # collected and asserted on by the caller
            out[i] = (None, exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    return out


def send_elsewhere(dev: Devnet, response: str) -> str:
    """Another process with the client's key sends confirmResponse(response): signed here,
    sent raw (left pending when automine is off); its hash."""
    acct = Account.from_key(dev.client.private_key)
    tx = {
        "chainId": dev.chain_id,
        "to": dev.contracts["controller"],
        "data": calldata("Controller", "confirmResponse", response),
        "value": 0,
        "gas": 500_000,
        "maxFeePerGas": 50 * 10**9,
        "maxPriorityFeePerGas": 10**9,
        "nonce": nonce(dev, acct.address, "pending"),
        "type": 2,
    }
    return dev.rpc(
        "eth_sendRawTransaction", [acct.sign_transaction(tx).raw_transaction.to_0x_hex()]
    )


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
