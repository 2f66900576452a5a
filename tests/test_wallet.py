"""Signing in the browser's wallet (``ResponseTable(account="browser")``) on the devnet.

The front-end is simulated the way ``js/src/wallet/wallet.ts`` behaves: it answers the kernel's
``connect`` request with the wallet's account and chain, and its ``send`` request by sending
exactly the requested transaction through anvil's unlocked account (``eth_sendTransaction`` on
the devnet's RPC), refusing when the wallet's account is not ``tx.from``. Nothing is mocked on
the chain side; the results are checked on chain."""

from __future__ import annotations

import threading

import pytest
from support import until
from test_confirm_support import new_task, nonce
from test_table import FakeComm, custom_from_js, from_js, row

import ogpu_widgets as ow
from ogpu_widgets.chain.codec import calldata, keccak
from ogpu_widgets.confirm import wallet as cw
from ogpu_widgets.confirm.process import PROCESS
from ogpu_widgets.errors import (
    ConfirmationError,
    ConfirmationInFlightError,
    ConfirmationPendingElsewhereError,
    NotTaskClientError,
    NoWalletError,
    WalletAccountError,
    WalletError,
    WalletRejectedError,
    WalletTimeoutError,
)
from ogpu_widgets.table import ResponseTable

WAIT = 60.0


class PageWallet(FakeComm):
    """The page and its wallet: a comm (recording what the kernel sends, as test_table's) that
    answers the kernel's wallet requests on its own thread (as the browser does), backed by one
    of anvil's unlocked accounts."""

    comm_id = "fake-wallet"

    def __init__(self, devnet, table: ResponseTable, account: str) -> None:
        super().__init__()
        self.devnet, self.table, self.account = devnet, table, account
        self.chain_id = hex(devnet.network.chain_id)
        self.requests: list[dict] = []  # every wallet request the kernel sent
        self.calls: list[str] = []  # every EIP-1193 method the wallet was asked for
        self.transactions: list[dict] = []  # eth_sendTransaction parameters
        self.reply_to_send: dict | None = None  # answer sends with this instead
        self.hold = threading.Event()  # while clear (and holding), sends wait
        self.holding = False
        self.waiting = threading.Event()  # a send request is waiting on `hold`
        self.no_wallet = False
        self.silent = False
        self.switch_account_to: str | None = None  # the user switches account after connect
        self.send_from: str | None = None  # a lying page: sends from this account instead
        self.sign_only = False  # the wallet signs and reports the hash, but never broadcasts
        self.raw: list[str] = []  # what it signed without broadcasting
        table.comm = self

    def send(self, data=None, buffers=None, **_):
        super().send(data, buffers)
        if data.get("method") == "custom" and data["content"].get("type") == "wallet":
            self.requests.append(data["content"])
            threading.Thread(target=self._answer, args=(data["content"],), daemon=True).start()

    # the wallet
    def _answer(self, req: dict) -> None:
        if self.silent:
            return
        reply = {"type": "wallet", "id": req["id"], **self._do(req)}
        custom_from_js(self.table, reply)

    def _do(self, req: dict) -> dict:
        if self.no_wallet:
            return {"ok": False, "kind": "no_wallet", "code": None,
                    "error": "no browser wallet found", "account": ""}  # fmt: skip
        if req["op"] == "connect":
            self.calls += ["eth_requestAccounts", "eth_chainId"]
            account = self.account
            if self.switch_account_to:
                self.account = self.switch_account_to
            return {"ok": True, "account": account, "chain_id": self.chain_id}
        tx = req["tx"]
        self.calls.append("eth_accounts")
        if self.send_from is not None:  # the page lies: another account signs
            tx = dict(tx, **{"from": self.send_from})
        elif tx["from"].lower() != self.account.lower():
            return {"ok": False, "kind": "account_mismatch", "code": None,
                    "error": "account changed", "account": self.account}  # fmt: skip
        if self.holding:
            self.waiting.set()
            self.hold.wait(WAIT)
        if self.reply_to_send is not None:
            return dict(self.reply_to_send)
        if self.sign_only:
            raw = self.devnet.rpc("eth_signTransaction", [tx])
            self.raw.append(raw)
            return {"ok": True, "tx_hash": "0x" + keccak(bytes.fromhex(raw[2:])).hex()}
        self.calls.append("eth_sendTransaction")
        self.transactions.append(tx)
        return {"ok": True, "tx_hash": self.devnet.rpc("eth_sendTransaction", [tx])}


@pytest.fixture
def task3(devnet):
    task, responses = new_task(devnet, 3)
    df = ow.load_responses(tasks=[task], network=devnet.network, progress=False)
    return {"task": task, "responses": responses, "df": df}


def browser_table(devnet, task3, **kw) -> ResponseTable:
    return ResponseTable(task3["df"], network=devnet.network, account="browser", live=False, **kw)


# ---- the happy path ----------------------------------------------------------------------------


def test_a_browser_table_holds_no_key_and_is_not_read_only(devnet, task3, monkeypatch):
    monkeypatch.delenv("CLIENT_PRIVATE_KEY", raising=False)
    t = browser_table(devnet, task3)
    assert isinstance(t._signer, ow.BrowserWallet)
    assert t.read_only is False and t.account == ""
    assert t.banner["message"] == "signer: browser wallet (not connected)"
    # confirmable before the wallet said who it is: pre-flight checks the account at confirm time
    assert all(row(t, r)["can_confirm"] for r in task3["responses"])
    assert repr(t._signer) == "BrowserWallet(not connected)"
    same = ResponseTable(task3["df"], network=devnet.network, account=ow.BrowserWallet(),
                         live=False)  # fmt: skip
    assert isinstance(same._signer, ow.BrowserWallet) and same.read_only is False


def test_confirm_through_the_wallet_pays_on_chain(devnet, task3):
    t = browser_table(devnet, task3)
    page = PageWallet(devnet, t, devnet.client.address)
    seen: list[str] = []
    t.observe(lambda ch: seen.extend(
        f.get("action", "") for a, f in ch["new"].get("rows", {}).items() if a == target
    ), names="_patch")  # fmt: skip
    target, provider = task3["responses"][1], devnet.providers[1].address
    before = devnet.call("Vault", devnet.contracts["vault"], "balanceOf", provider)

    from_js(t, _confirm_request={"id": "w-1", "response": target})
    assert t._reply == {"id": "w-1", "ok": True, "error": ""}
    assert t.wait_idle(WAIT)

    # on chain, not from our own state
    assert devnet.call("Task", task3["task"], "getStatus") == 5
    assert devnet.call("Response", target, "confirmedFinal") is True
    after = devnet.call("Vault", devnet.contracts["vault"], "balanceOf", provider)
    assert after - before == 2 * 10**18
    # the wallet was asked for its account first, then to send exactly the checked transaction
    assert [r["op"] for r in page.requests] == ["connect", "send"]
    (tx,) = page.transactions
    assert tx["from"] == devnet.client.address
    assert tx["to"] == devnet.network.controller
    assert tx["data"] == calldata("Controller", "confirmResponse", target)
    assert tx["value"] == "0x0" and tx["chainId"] == hex(devnet.network.chain_id)
    assert int(tx["gas"], 16) > 21_000
    assert "maxFeePerGas" in tx or "gasPrice" in tx
    assert page.requests[1]["chain"]["chainId"] == hex(devnet.network.chain_id)
    # the row went signing -> pending -> mined, like a kernel-signed one
    states = [s for s in seen if s]
    assert states[0] == "signing" and "pending" in states and states[-1] == "mined"
    conf = t.confirmations[target]
    assert conf.state == "mined" and conf.signer == devnet.client.address
    assert conf.raw_transaction is None  # only the wallet ever held the signed transaction
    assert t.account == devnet.client.address
    assert "browser wallet" in t.banner["message"]


# ---- refusals and wallet errors ----------------------------------------------------------------


def test_a_rejection_returns_the_row_to_idle_and_a_retry_works(devnet, task3):
    t = browser_table(devnet, task3)
    page = PageWallet(devnet, t, devnet.client.address)
    target = task3["responses"][0]
    page.reply_to_send = {"ok": False, "kind": "rejected", "code": 4001,
                          "error": "rejected in wallet", "account": ""}  # fmt: skip
    before = nonce(devnet, devnet.client.address, "latest")
    from_js(t, _confirm_request={"id": "rej-1", "response": target})
    assert t.wait_idle(WAIT)
    assert t._reply == {"id": "rej-1", "ok": False, "error": "rejected in wallet"}
    r = row(t, target)
    assert r["action"] == "" and r["action_error"] == "rejected in wallet"
    assert r["can_confirm"] is True
    assert all(row(t, x)["can_confirm"] for x in task3["responses"])
    # released: nothing registered, nothing sent, the task still open on chain
    assert ow.pending_confirmation(task3["task"], network=devnet.network) is None
    assert nonce(devnet, devnet.client.address, "latest") == before
    assert devnet.call("Task", task3["task"], "getStatus") != 5
    with pytest.raises(WalletRejectedError, match="rejected in wallet") as info:
        t.confirm(target)
    assert info.value.code == 4001

    page.reply_to_send = None  # the user accepts this time
    t.confirm(target, wait=True)
    assert devnet.call("Response", target, "confirmedFinal") is True
    assert row(t, target)["action"] == "mined"


def test_a_wallet_account_that_is_not_the_client_is_refused_before_any_send(devnet, task3):
    t = browser_table(devnet, task3)
    page = PageWallet(devnet, t, devnet.stranger.address)
    target = task3["responses"][0]
    with pytest.raises(NotTaskClientError) as info:
        t.confirm(target)
    assert info.value.signer == devnet.stranger.address
    assert [r["op"] for r in page.requests] == ["connect"]  # never asked to send
    assert "eth_sendTransaction" not in page.calls
    r = row(t, target)
    assert r["action"] == "refused" and devnet.stranger.address in r["action_error"]
    assert ow.pending_confirmation(task3["task"], network=devnet.network) is None


def test_a_bad_hash_from_the_front_end_is_a_typed_error(devnet, task3):
    t = browser_table(devnet, task3)
    page = PageWallet(devnet, t, devnet.client.address)
    target = task3["responses"][0]
    for bad in ["0x1234", "<img src=x>", 12, None, "0x" + "zz" * 32]:
        page.reply_to_send = {"ok": True, "tx_hash": bad}
        with pytest.raises(WalletError, match="not a transaction hash"):
            t.confirm(target)
        assert ow.pending_confirmation(task3["task"], network=devnet.network) is None
        assert row(t, target)["action"] == "refused"


def test_never_twice_while_a_wallet_request_is_open(devnet, task3):
    t = browser_table(devnet, task3)
    page = PageWallet(devnet, t, devnet.client.address)
    first, second = task3["responses"][0], task3["responses"][1]
    page.holding = True
    job = t._start_confirmation(first)
    assert page.waiting.wait(WAIT)  # the wallet's prompt is open
    # the table refuses another response of the task, and so does the confirm room
    with pytest.raises(ConfirmationInFlightError):
        t.confirm(second)
    with pytest.raises(ConfirmationInFlightError):
        t.confirm(first)
    with pytest.raises(ConfirmationInFlightError):
        cw.prepare(second, devnet.client.address, network=devnet.network)
    with pytest.raises(ConfirmationInFlightError):
        cw.prepare(first, devnet.client.address, network=devnet.network)
    assert len([r for r in page.requests if r["op"] == "send"]) == 1
    page.hold.set()
    assert job.done.wait(WAIT) and job.error is None
    assert devnet.call("Response", first, "confirmedFinal") is True
    assert len(page.transactions) == 1


def test_an_account_changed_after_the_check_is_not_sent(devnet, task3):
    t = browser_table(devnet, task3)
    page = PageWallet(devnet, t, devnet.client.address)
    page.switch_account_to = devnet.stranger.address  # the user switches in the wallet
    with pytest.raises(WalletAccountError) as info:
        t.confirm(task3["responses"][0])
    assert info.value.expected_account == devnet.client.address
    assert info.value.wallet_account == devnet.stranger.address
    assert "eth_sendTransaction" not in page.calls
    assert ow.pending_confirmation(task3["task"], network=devnet.network) is None


def test_no_wallet_in_the_page(devnet, task3):
    t = browser_table(devnet, task3)
    page = PageWallet(devnet, t, devnet.client.address)
    page.no_wallet = True
    target = task3["responses"][0]
    with pytest.raises(
        NoWalletError, match=r"install one \(e.g. MetaMask, Rabby\) or pass account="
    ):
        t.confirm(target)
    assert "no browser wallet found" in row(t, target)["action_error"]
    assert row(t, target)["can_confirm"] is True  # nothing is held: a retry is possible


def test_a_page_that_never_answers_times_out_typed(devnet, task3):
    t = browser_table(devnet, task3)
    t._signer = ow.BrowserWallet(timeout=0.3)
    page = PageWallet(devnet, t, devnet.client.address)
    page.silent = True
    with pytest.raises(WalletTimeoutError, match="did not answer") as info:
        t.confirm(task3["responses"][0])
    assert info.value.timeout == pytest.approx(0.3)
    # a late answer to the timed-out request is ignored
    custom_from_js(t, {"type": "wallet", "id": page.requests[0]["id"], "ok": True,
                       "account": devnet.client.address, "chain_id": "0x1"})  # fmt: skip
    assert t.account == "" and "not connected" in t.banner["message"]
    assert ow.pending_confirmation(task3["task"], network=devnet.network) is None


def test_a_table_that_is_not_displayed_says_so(devnet, task3):
    t = browser_table(devnet, task3)
    with pytest.raises(WalletError, match="not displayed"):
        t.confirm(task3["responses"][0])


def test_account_events_from_the_page(devnet, task3):
    t = browser_table(devnet, task3)
    PageWallet(devnet, t, devnet.client.address)
    custom_from_js(
        t, {"type": "wallet", "event": "account", "account": devnet.client.address.lower()}
    )
    assert t.account == devnet.client.address
    assert t.banner["message"] == f"signer: browser wallet {devnet.client.address}"
    custom_from_js(t, {"type": "wallet", "event": "account", "account": "<b>not an address</b>"})
    assert t.account == devnet.client.address
    custom_from_js(t, {"type": "wallet", "event": "account", "account": ""})
    assert t.account == "" and "not connected" in t.banner["message"]
    # stray answers are ignored
    custom_from_js(t, {"type": "wallet", "id": "nobody-asked", "ok": True})
    custom_from_js(t, {"type": "wallet", "id": 7})


def test_the_review_panel_estimate_works_without_a_key(devnet, task3):
    t = browser_table(devnet, task3)
    page = PageWallet(devnet, t, devnet.client.address)
    t._estimate({"type": "estimate", "id": "e1", "response": task3["responses"][0]})
    (reply,) = [c for c in page.customs() if c.get("type") == "estimate"]
    assert reply["id"] == "e1" and reply["error"] == "" and reply["fee_ogpu"] > 0
    t._estimate({"type": "estimate", "id": "e2", "response": "0x" + "12" * 20})
    assert "not a row" in page.customs()[-1]["error"]


# ---- the confirm room --------------------------------------------------------------------------


def test_a_wallet_hash_is_tracked_and_never_rebroadcast(devnet, task3):
    target = task3["responses"][2]
    request = cw.prepare(target, devnet.client.address, network=devnet.network)
    assert request.tx["from"] == devnet.client.address
    h = devnet.rpc("eth_sendTransaction", [request.tx])
    c = cw.accept(request, h.upper().replace("0X", "0x"))
    assert c.tx_hash == h.lower()
    c.wait(WAIT)
    assert c.state == "mined" and devnet.call("Response", target, "confirmedFinal") is True
    # a hash the node never saw stays pending (nothing to rebroadcast: the wallet holds it)
    other = devnet.publish_task(devnet.publish_source("manual"), payment_ogpu=1)
    resp = devnet.respond(other, 0)
    req2 = cw.prepare(resp, devnet.client.address, network=devnet.network)
    ghost = cw.accept(req2, "0x" + "ab" * 32)
    ghost.rebroadcast()
    assert ghost.state == "pending" and ghost.raw_transaction is None
    PROCESS.tracker.discard(ghost)
    PROCESS.registry.abandon(ghost, WalletError("test cleanup"))


def test_a_hash_of_another_transaction_is_never_taken_for_the_confirmation(devnet, task3):
    """The kernel did not sign a wallet's transaction, so it checks what the receipt is: a
    hash of some other transaction (a transfer, a confirmation of another response) never
    makes the row "mined"."""
    target, other = task3["responses"][0], task3["responses"][1]
    client = devnet.client.address
    transfer = devnet.rpc("eth_sendTransaction", [{"from": client, "to": client, "value": "0x1"}])
    # mined first: a transaction of the client still pending is (rightly) refused as elsewhere
    devnet.w3().eth.wait_for_transaction_receipt(transfer, timeout=WAIT)
    request = cw.prepare(target, client, network=devnet.network)
    c = cw.accept(request, transfer)
    c.wait(WAIT)
    assert c.state == "reverted" and "not this confirmation" in (c.error or "")
    assert devnet.call("Response", target, "confirmedFinal") is False
    assert devnet.call("Task", task3["task"], "getStatus") != 5

    # a real confirmResponse from the client, but of another response than the one asked for
    request = cw.prepare(target, client, network=devnet.network)
    tx = dict(request.tx, data=calldata("Controller", "confirmResponse", other))
    c = cw.accept(request, devnet.rpc("eth_sendTransaction", [tx]))
    c.wait(WAIT)
    assert c.state == "reverted" and "not this confirmation" in (c.error or "")
    assert devnet.call("Response", target, "confirmedFinal") is False


def test_a_wallet_holding_an_authorized_agent_confirms_and_a_revoked_one_is_refused(
    fresh_devnet,
):
    dev = fresh_devnet
    if not dev.contracts.get("terminal"):
        pytest.skip("this devnet has no Terminal (agents arrive with it)")
    src = dev.publish_source("manual")
    tasks = [dev.publish_task(src, payment_ogpu=1) for _ in range(2)]
    responses = [dev.respond(t, 0) for t in tasks]
    df = ow.load_responses(tasks=tasks, network=dev.network, progress=False)
    t = ResponseTable(df, network=dev.network, account="browser", live=False)
    page = PageWallet(dev, t, dev.agent.address)
    dev.set_agent(dev.agent.address, True)
    t.confirm(responses[0], wait=True)
    assert dev.call("Response", responses[0], "confirmedFinal") is True
    assert page.transactions[0]["from"] == dev.agent.address

    dev.set_agent(dev.agent.address, False)
    with pytest.raises(NotTaskClientError):
        t.confirm(responses[1])
    assert len(page.transactions) == 1  # refused before the wallet was asked to send
    assert [r["op"] for r in page.requests][-1] == "connect"


# ---- what the chain says the wallet's transaction is (issue 18) --------------------------------


def _balance(dev, account: str) -> int:
    return dev.call("Vault", dev.contracts["vault"], "balanceOf", account)


def test_a_confirmation_sent_by_an_agent_of_the_client_is_mined_and_paid_signed_by_it(
    fresh_devnet,
):
    """The page checked the client's account but the wallet sent from an agent of the client:
    the chain confirmed and paid, so the row says mined, signed by the agent (never "reverted
    ... nothing was paid"). The other way round (checked the agent, sent by the client) too."""
    dev = fresh_devnet
    if not dev.contracts.get("terminal"):
        pytest.skip("this devnet has no Terminal (agents arrive with it)")
    dev.set_agent(dev.agent.address, True)
    task, responses = new_task(dev, 2)
    other_task, other_responses = new_task(dev, 1)
    df = ow.load_responses(tasks=[task, other_task], network=dev.network, progress=False)
    t = ResponseTable(df, network=dev.network, account="browser", live=False)
    page = PageWallet(dev, t, dev.client.address)
    page.send_from = dev.agent.address
    target, provider = responses[1], dev.providers[1].address
    before = _balance(dev, provider)
    t.confirm(target, wait=True)
    conf = t.confirmations[target]
    assert conf.state == "mined" and conf.error is None
    assert conf.signer == dev.agent.address  # the chain's sender, not the page's claim
    assert dev.call("Response", target, "confirmedFinal") is True
    assert _balance(dev, provider) - before == 2 * 10**18
    r = row(t, target)
    assert r["action"] == "mined" and r["confirmed"] is True
    assert dev.agent.address in r["action_error"] and dev.client.address in r["action_error"]

    # checked as the agent, sent by the client itself: the client may always confirm
    page.account, page.send_from = dev.agent.address, dev.client.address
    t.confirm(other_responses[0], wait=True)
    conf = t.confirmations[other_responses[0]]
    assert conf.state == "mined" and conf.signer == dev.client.address
    assert dev.call("Response", other_responses[0], "confirmedFinal") is True


def test_a_confirmation_sent_by_an_account_that_may_not_confirm_is_reverted_truthfully(
    fresh_devnet,
):
    """A third account (nobody's agent, or an agent revoked before it sent) sends
    confirmResponse of that very response: the Controller refuses it, the row says reverted,
    by whom and why, nothing was paid, and the task may be confirmed again."""
    dev = fresh_devnet
    if not dev.contracts.get("terminal"):
        pytest.skip("this devnet has no Terminal (agents arrive with it)")
    task, responses = new_task(dev, 2)
    df = ow.load_responses(tasks=[task], network=dev.network, progress=False)
    t = ResponseTable(df, network=dev.network, account="browser", live=False)
    page = PageWallet(dev, t, dev.client.address)
    target, provider = responses[0], dev.providers[0].address
    before = _balance(dev, provider)
    dev.set_agent(dev.agent.address, False)  # not (or no longer) an agent
    for sender in (dev.stranger.address, dev.agent.address):
        page.send_from = sender
        t.confirm(target, wait=True)
        conf = t.confirmations[target]
        assert conf.state == "reverted" and conf.signer == dev.client.address
        assert sender in conf.error and "neither the wallet account" in conf.error
        assert "nothing was paid" in conf.error
        (tx,) = [x for x in page.transactions if x["from"] == sender]
        assert tx["data"] == calldata("Controller", "confirmResponse", target)
        receipt = dev.rpc("eth_getTransactionReceipt", [conf.tx_hash])
        assert int(receipt["status"], 16) == 0  # mined, refused by the Controller
        assert row(t, target)["action"] == "reverted"
        assert dev.call("Response", target, "confirmedFinal") is False
        assert ow.pending_confirmation(task, network=dev.network) is None
    assert _balance(dev, provider) == before
    page.send_from = None  # the client's own confirmation still works
    t.confirm(target, wait=True)
    assert t.confirmations[target].state == "mined"
    assert _balance(dev, provider) - before == 2 * 10**18


def test_a_hash_the_node_never_knows_times_out_and_releases_the_task(devnet, task3):
    t = browser_table(devnet, task3)
    t._signer = ow.BrowserWallet(unseen_timeout=0.5)
    page = PageWallet(devnet, t, devnet.client.address)
    target = task3["responses"][0]
    page.reply_to_send = {"ok": True, "tx_hash": "0x" + "cd" * 32}  # a random, unknown hash
    job = t._start_confirmation(target)
    assert job.done.wait(30), "a never-seen wallet hash blocked its task"
    assert isinstance(job.error, WalletError) and "has not known it for 0.5 s" in str(job.error)
    assert job.error.tx_hash == "0x" + "cd" * 32
    r = row(t, target)
    assert r["action"] == "refused" and "has not known it" in r["action_error"]
    assert r["can_confirm"] is True
    assert ow.pending_confirmation(task3["task"], network=devnet.network) is None
    with pytest.raises(WalletError, match="has not known it"):
        job.confirmation.wait(1)
    assert job.confirmation not in PROCESS.tracker.watching()
    page.reply_to_send = None  # the wallet sends for real this time
    t.confirm(target, wait=True)
    assert devnet.call("Response", target, "confirmedFinal") is True
    assert row(t, target)["action"] == "mined"


def test_a_hash_known_to_the_node_is_not_released(fresh_devnet):
    """In the pool (not mined yet) past the time-out: still pending, never released."""
    dev = fresh_devnet
    task, responses = new_task(dev, 1)
    request = cw.prepare(responses[0], dev.client.address, network=dev.network)
    dev.set_automine(False)
    try:
        h = dev.rpc("eth_sendTransaction", [request.tx])
        c = cw.accept(request, h, unseen_timeout=0.2)
        start = c.unseen_clock.known_at
        # the tracker saw it in the pool well after the time-out had passed
        until(
            lambda: c.unseen_clock.known_at - start > 0.6, 20, "the tracker asking the node again"
        )
        assert c.state == "pending" and not c.failed and c in PROCESS.tracker.watching()
        assert ow.pending_confirmation(task, network=dev.network) is c
    finally:
        dev.set_automine(True)
    dev.mine()
    c.wait(WAIT)
    assert c.state == "mined"


@pytest.mark.parametrize("order", ["old hash mined first", "new confirmation first"])
def test_a_released_hash_mined_later_never_pays_twice(fresh_devnet, order):
    """The wallet signed but its transaction reached no node before the time-out: the task was
    released. When that transaction is mined after all, the response is paid once: a new
    confirmation is refused by the chain's state (finalized), or, sent first, it uses the same
    nonce, so the old transaction can never be mined."""
    dev = fresh_devnet
    task, responses = new_task(dev, 2)
    df = ow.load_responses(tasks=[task], network=dev.network, progress=False)
    t = ResponseTable(df, network=dev.network, account=ow.BrowserWallet(unseen_timeout=0.3),
                      live=False)  # fmt: skip
    page = PageWallet(dev, t, dev.client.address)
    page.sign_only = True
    target, provider = responses[0], dev.providers[0].address
    before, before1 = _balance(dev, provider), _balance(dev, dev.providers[1].address)
    job = t._start_confirmation(target)
    assert job.done.wait(30) and isinstance(job.error, WalletError)
    old = job.confirmation
    assert ow.pending_confirmation(task, network=dev.network) is None
    (raw,) = page.raw
    page.sign_only = False
    if order == "old hash mined first":
        dev.rpc("eth_sendRawTransaction", [raw])
        assert old.refresh().state == "mined"  # the confirmation tells the chain's truth
        with pytest.raises(ConfirmationError):  # the chain says finalized: nothing is sent
            t.confirm(responses[1])
        assert len(page.transactions) == 0
        paid = target
    else:  # the user confirms the sibling instead (the same response would sign the same tx)
        t.confirm(responses[1], wait=True)
        assert t.confirmations[responses[1]].state == "mined"
        with pytest.raises(Exception, match="(?i)nonce"):
            dev.rpc("eth_sendRawTransaction", [raw])
        assert old.refresh().state == "pending" and old.failed
        assert old not in PROCESS.tracker.watching()  # released, unknown to the node: not watched
        paid = responses[1]
    assert [dev.call("Response", r, "confirmedFinal") for r in responses] == [
        r == paid for r in responses
    ]
    earned = [_balance(dev, p.address) for p in dev.providers[:2]]
    assert sum(earned) - before - before1 == 2 * 10**18  # paid once


@pytest.mark.parametrize("signed_by", ["client", "agent"])
def test_a_released_hash_in_the_pool_is_pending_elsewhere(fresh_devnet, signed_by):
    """Released, then the old transaction reaches the node's pool: a new confirmation of the
    task is refused as pending elsewhere (the pipeline asks the node about the released hash),
    whichever account signed the old one (an agent's is not in the client's nonce gap)."""
    dev = fresh_devnet
    if signed_by == "agent":
        if not dev.contracts.get("terminal"):
            pytest.skip("this devnet has no Terminal (agents arrive with it)")
        dev.set_agent(dev.agent.address, True)
    sender = dev.client.address if signed_by == "client" else dev.agent.address
    task, responses = new_task(dev, 2)
    request = cw.prepare(responses[0], dev.client.address, network=dev.network)
    raw = dev.rpc("eth_signTransaction", [dict(request.tx, **{"from": sender})])
    h = "0x" + keccak(bytes.fromhex(raw[2:])).hex()
    c = cw.accept(request, h, unseen_timeout=0.3)
    with pytest.raises(WalletError, match="has not known it"):
        c.wait(30)
    assert ow.pending_confirmation(task, network=dev.network) is None
    dev.set_automine(False)
    try:
        dev.rpc("eth_sendRawTransaction", [raw])
        for response in responses:
            with pytest.raises(ConfirmationPendingElsewhereError) as info:
                cw.prepare(response, dev.client.address, network=dev.network)
            assert info.value.pending_tx == h
    finally:
        dev.set_automine(True)
    dev.mine()
    assert c.refresh().state == "mined" and c.signer == sender
    assert dev.call("Response", responses[0], "confirmedFinal") is True


def test_close_ends_an_open_wallet_request(devnet, task3):
    """The page never answers the send (its prompt left open): close() ends the table's
    worker within the join, releases the task, and leaves no thread of the table behind."""
    t = browser_table(devnet, task3)
    page = PageWallet(devnet, t, devnet.client.address)
    page.holding = True
    job = t._start_confirmation(task3["responses"][0])
    assert page.waiting.wait(WAIT)
    assert ow.pending_confirmation(task3["task"], network=devnet.network) is not None
    t.close()
    assert t._core.threads.alive() == []
    assert job.done.is_set() and isinstance(job.error, WalletError)
    assert "closed" in str(job.error)
    assert ow.pending_confirmation(task3["task"], network=devnet.network) is None
    page.reply_to_send = {"ok": False, "kind": "rejected", "code": 4001, "error": "", "account": ""}
    page.hold.set()  # the page's own answer comes too late: ignored
    assert "eth_sendTransaction" not in page.calls


def test_a_huge_wallet_time_out_is_refused_and_the_longest_is_only_long(devnet, task3):
    """1e12 s is refused by the one check of seconds; the longest accepted time-out never
    overflows a wait."""
    from ogpu_widgets._strict import MAX_SECONDS

    for argument in ("timeout", "unseen_timeout"):
        with pytest.raises(ow.InvalidArgumentError, match=argument) as info:
            ow.BrowserWallet(**{argument: 1e12})
        assert info.value.argument == argument
    t = browser_table(devnet, task3)
    t._signer = ow.BrowserWallet(timeout=MAX_SECONDS, unseen_timeout=MAX_SECONDS)
    PageWallet(devnet, t, devnet.client.address)
    target = task3["responses"][2]
    t.confirm(target, wait=True)
    assert t.confirmations[target].state == "mined"
    assert devnet.call("Response", target, "confirmedFinal") is True
