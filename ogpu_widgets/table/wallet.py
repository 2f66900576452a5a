"""The table side of signing in the browser's wallet (``ResponseTable(account="browser")``):
the messages to and from the front-end, the open requests by id with their time-outs, and what
the rows show (the confirmer's strategy :class:`WalletSigning`, see :mod:`.actions`).

A confirmation, on the confirmer's worker thread:

1. ``{"type": "wallet", "op": "connect"}``: the page asks the wallet for its account and chain
   (``eth_requestAccounts``, ``eth_chainId``) and answers with them;
2. :func:`ogpu_widgets.confirm.wallet.prepare` checks that account like a kernel key and
   registers the confirmation (a refusal ends here: the wallet is never asked to send);
3. ``{"type": "wallet", "op": "send", "tx", "chain"}``: the page switches (or adds) the chain
   if needed, refuses if the wallet's account is not ``tx.from``, sends with
   ``eth_sendTransaction`` and answers with the hash, or a typed error;
4. :func:`~ogpu_widgets.confirm.wallet.accept` hands the hash to the tracker; the row then goes
   pending → mined | reverted like any other. A rejection (4001) releases the task and returns
   the row to idle with "rejected in wallet".

See ``docs/widget-protocol.md`` ("Browser wallet").
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..chain.codec import to_address
from ..confirm.wallet import BrowserWallet, accept, estimate, prepare, release
from ..errors import (
    NoWalletError,
    OgpuWidgetsError,
    ResponseTableError,
    WalletAccountError,
    WalletError,
    WalletRejectedError,
    WalletTimeoutError,
)
from . import eligibility

if TYPE_CHECKING:
    from .core import TableCore

log = logging.getLogger("ogpu_widgets.table")

#: What the row says after the user rejected the request in the wallet.
REJECTED = "rejected in wallet"
#: What the row says when the page has no wallet.
NO_WALLET = "no browser wallet found: install one (e.g. MetaMask, Rabby) or pass account=…"
#: Longest wallet error text kept (the wallet's words are data, shown as text).
_TEXT_MAX = 300


class _Ask:
    """One wallet request waiting for the page's answer."""

    __slots__ = ("answered", "event", "reply")

    def __init__(self) -> None:
        self.event = threading.Event()  # set by the answer, or by the table's close()
        self.answered = False
        self.reply: dict[str, Any] = {}


class WalletSigning:
    """The confirmer's strategy when the page's wallet signs: the verdicts, the requests to the
    page (open ones by id, each with its typed time-out), one confirmation, the fee estimate."""

    def __init__(self, core: TableCore, wallet: BrowserWallet) -> None:
        self.core = core
        self.wallet = wallet
        self._lock = threading.Lock()
        self._open: dict[str, _Ask] = {}  # request id → the answer awaited
        self._checked: dict[str, str] = {}  # response → the wallet account pre-flight checked
        core.threads.on_close(self._wake_all)  # close() ends every open wait at once

    def _wake_all(self) -> None:
        with self._lock:
            asks = list(self._open.values())
        for ask in asks:
            ask.event.set()

    @property
    def signer(self) -> BrowserWallet:
        return self.wallet

    @property
    def address(self) -> str:
        return self.wallet.address or ""

    # ---- verdicts ----------------------------------------------------------------------------

    def controls(self, df: Any, pending: set[str]) -> tuple[np.ndarray, np.ndarray]:
        """Verdicts when the page's wallet signs: each row as if its own client signed (which
        account the wallet holds, and whether it is the client or an agent of it, is checked by
        pre-flight at confirm time, before the wallet is asked to send)."""
        n = len(df)
        can = np.zeros(n, dtype=bool)
        reasons = np.full(n, "", dtype=object)
        clients = df["client"].astype(str).to_numpy(dtype=object)
        for client in dict.fromkeys(clients.tolist()):
            mask = clients == client
            ok, why = eligibility.verdicts(df[mask], client, pending)
            can[mask], reasons[mask] = ok, why
        return can, reasons

    # ---- requests to the page ----------------------------------------------------------------

    def observe(self, df: Any) -> None:
        """Nothing to read at a snapshot: the wallet's account is checked at confirm time."""

    def _wallet_ask(self, op: str, payload: dict[str, Any], address: str) -> dict[str, Any]:
        """Send the page a wallet request and wait for its answer (typed time-out)."""
        timeout = self.wallet.timeout
        rid = uuid.uuid4().hex
        ask = _Ask()
        with self._lock:
            self._open[rid] = ask
        closed = self.core.threads.closed
        try:
            if closed.is_set():  # closed before this request was open: no wait at all
                ask.event.set()
            else:
                self.core.send({"type": "wallet", "id": rid, "op": op, **payload})
            # the table's close() wakes the wait: its worker never outlives the join
            answered = ask.event.wait(timeout) and ask.answered
            if closed.is_set() and not answered:
                raise WalletError(
                    f"the table was closed while the wallet request ({op}) for {address} was "
                    "open: nothing is followed any more; if the wallet sent it anyway, "
                    "pending_confirmation(task) and the chain show it",
                    response=address,
                )
            if not answered:
                raise WalletTimeoutError(
                    f"the page did not answer the wallet request ({op}) for {address} within "
                    f"{timeout:g} s: show the table in a browser page with a wallet and answer "
                    "the wallet's prompt; if the wallet sent it anyway, the row follows the "
                    "chain",
                    response=address,
                    timeout=timeout,
                )
            return ask.reply
        finally:
            with self._lock:
                self._open.pop(rid, None)

    def on_message(self, content: dict[str, Any]) -> None:
        """A wallet message from the page: an answer to an open request, or an event."""
        if content.get("event") == "account":
            self._wallet_account_event(content.get("account"))
            return
        rid = content.get("id")
        if not isinstance(rid, str):
            log.debug("ignored a wallet message without an id")
            return
        with self._lock:
            ask = self._open.get(rid)
            if ask is None or ask.event.is_set():  # unknown, timed out, or answered already
                log.debug("ignored a wallet answer to request %r", rid[:80])
                return
            ask.reply, ask.answered = content, True
            ask.event.set()

    def _wallet_account_event(self, account: Any) -> None:
        """The wallet's account changed (``accountsChanged``): show it. Nothing is sent on it:
        the page refuses to send from any account but the one pre-flight checked."""
        if account in ("", None):
            self._wallet_connected("")
            return
        try:
            self._wallet_connected(to_address(account, "wallet account"))
        except OgpuWidgetsError:
            log.debug("ignored a wallet account event that is not an address")

    def _wallet_connected(self, account: str) -> None:
        wallet = self.wallet
        if wallet.address == account:
            return
        wallet.address = account
        self.core.view.account = account
        label = account or "(not connected)"
        self.core.set_banner(f"signer: browser wallet {label}", "info")

    @staticmethod
    def _wallet_answer(reply: dict[str, Any], key: str, address: str, expected: str = "") -> Any:
        """The ``key`` of a successful answer, or the typed error the page reported."""
        if reply.get("ok") is True:
            return reply.get(key)
        code = reply.get("code")
        code = code if isinstance(code, int) and not isinstance(code, bool) else None
        text = reply.get("error")
        text = text[:_TEXT_MAX] if isinstance(text, str) else ""
        kind = reply.get("kind")
        data: dict[str, Any] = {"response": address, "code": code}
        if kind == "rejected" or code == 4001:
            raise WalletRejectedError(
                f"{REJECTED}: the confirmation of {address} was not sent", **data
            )
        if kind == "no_wallet":
            raise NoWalletError(NO_WALLET, **data)
        if kind == "account_mismatch":
            current = reply.get("account")
            current = current[:42] if isinstance(current, str) else ""
            raise WalletAccountError(
                f"the wallet's account is now {current or 'none'}, not {expected}, which the "
                f"kernel checked for {address}; nothing was sent: confirm again to check the "
                "wallet's current account",
                expected_account=expected or None,
                wallet_account=current or None,
                signer=expected or None,
                **data,
            )
        what = f"{text or 'no reason given'}" + (f" (code {code})" if code is not None else "")
        raise WalletError(f"the wallet did not send the confirmation of {address}: {what}", **data)

    # ---- one confirmation --------------------------------------------------------------------

    def confirm(self, address: str, on_update: Callable[[Any], Any]) -> Any:
        """Connect, check and register, ask the wallet to send, track the hash. Returns the
        pending ``Confirmation``; raises typed errors (nothing sent, or the hash refused)."""
        comm = getattr(self.core.view, "comm", None)
        if (
            comm is None
            or type(comm).__name__ == "DummyComm"
            or (hasattr(comm, "kernel") and comm.kernel is None)
        ):  # no kernel behind the widget: no page will ever answer
            raise WalletError(
                f"the table is not displayed, so no page can ask a wallet to confirm {address}: "
                "display it in a notebook (or pass account=… with a key)",
                response=address,
            )
        answer = self._wallet_answer(self._wallet_ask("connect", {}, address), "account", address)
        try:
            account = to_address(answer, "wallet account")
        except OgpuWidgetsError:
            raise WalletError(
                f"the wallet reported {repr(answer)[:80]} as its account, not an address; "
                "nothing was sent",
                response=address,
            ) from None
        self._wallet_connected(account)
        request = prepare(address, account, network=self.core.network, on_update=on_update)
        try:
            reply = self._wallet_ask(
                "send", {"response": address, "tx": request.tx, "chain": request.chain}, address
            )
            tx_hash = self._wallet_answer(reply, "tx_hash", address, expected=account)
        except BaseException as exc:
            release(request, exc)
            raise
        with self._lock:
            self._checked[address] = account
        return accept(request, tx_hash, unseen_timeout=self.wallet.unseen_timeout)

    def note(self, conf: Any) -> str:
        """What the row says of a mined confirmation that another account than the wallet's
        checked one signed (the chain's sender: an agent of the task's client, say)."""
        with self._lock:
            checked = self._checked.get(conf.response, "")
        if not checked or conf.signer == checked:
            return ""
        return (f"signed by {conf.signer}, not by the wallet account {checked} the kernel "
                "checked; the chain accepted it (the task's client or an agent of it)")  # fmt: skip

    # ---- the review panel's fee estimate -----------------------------------------------------

    def estimate(self, address: str) -> int:
        """The fee of confirming ``address``, as the wallet's account would pay it (before the
        wallet says who it is, as the task's client would)."""
        core = self.core
        with core.lock:
            if address not in core.df.index:
                raise ResponseTableError(f"{address} is not a row of this table")
            sender = self.wallet.address or str(core.df.at[address, "client"])
        return estimate(address, sender, network=core.network)
