"""The shared JSON-RPC client against a real anvil, and through a real HTTP proxy that fails,
refuses or drops what a rule says: batches, fallbacks, retries, maybe-sent, revert reasons."""

from __future__ import annotations

import socket
import threading

import pytest
import requests
from eth_abi import encode as abi_encode
from support import Proxy

from ogpu_widgets.chain import rpc
from ogpu_widgets.chain.revert import revert_reason
from ogpu_widgets.chain.rpc import CAPABILITIES, BatchRefused, RpcClient, RpcError, Unreachable
from ogpu_widgets.errors import ConnectionError_, NodeUnavailableError, OgpuWidgetsError

pytestmark = pytest.mark.usefixtures("forget_capabilities")


def client(url: str, **kw) -> RpcClient:
    return RpcClient(url, timeout=10, attempts=kw.pop("attempts", 3), backoff=0.001, **kw)


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def reverting_initcode(reason: str) -> str:
    """Creation code that reverts with Error(reason): CODECOPY its tail, REVERT with it."""
    payload = bytes.fromhex("08c379a0") + abi_encode(["string"], [reason])
    n = len(payload)
    assert n < 256
    code = bytes([0x60, n, 0x60, 13, 0x60, 0, 0x39, 0x60, n, 0x60, 0, 0xFD]) + b"\x00" + payload
    return "0x" + code.hex()


CALLS = [("eth_chainId", []), ("eth_blockNumber", []), ("eth_nonsense", [])]


def test_single_call_and_batch_on_a_real_node(devnet):
    c = client(devnet.rpc_url)
    assert int(c.call("eth_chainId"), 16) == 31337
    chain, block, bad = c.batch(CALLS)
    assert int(chain, 16) == 31337 and block.startswith("0x")
    assert isinstance(bad, RpcError) and bad.method == "eth_nonsense" and bad.code is not None
    assert c.requests == 2  # one single call, one batch request
    with pytest.raises(RpcError) as info:
        c.call("eth_nonsense")
    assert info.value.method == "eth_nonsense"
    # more calls than one request takes: split into requests, results still in order
    many = c.batch([("eth_getBlockByNumber", [hex(b), False]) for b in range(5)], per_request=2)
    assert [int(b["number"], 16) for b in many] == list(range(5))
    assert c.requests == 3 + 3


def test_a_real_revert_is_decoded(devnet):
    c = client(devnet.rpc_url)
    err = c.single("eth_call", [{"data": reverting_initcode("no way")}, "latest"])
    assert isinstance(err, RpcError)
    assert revert_reason(err) == "no way"
    ok = c.single("eth_call", [{"to": devnet.contracts["nexus"], "data": "0x"}, "latest"])
    assert not isinstance(ok, RpcError) or revert_reason(ok) is not None


def test_each_thread_gets_its_own_session(devnet):
    c = client(devnet.rpc_url)
    sessions, results, errors = {}, {}, []

    def work(k):
        try:
            sessions[k] = rpc._session(devnet.rpc_url)
            for _ in range(10):
                got = c.batch([("eth_getBlockByNumber", [hex(0), False]), ("eth_chainId", [])])
                assert int(got[1], 16) == 31337
            results[k] = got[0]["hash"]
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len({id(s) for s in sessions.values()}) == 6
    assert len(set(results.values())) == 1
    assert c.requests == 60


def test_a_node_refusing_batches_is_asked_one_call_at_a_time(devnet):
    def refuse(payload, n):
        if isinstance(payload, list):
            error = {"code": -32600, "message": "batch requests are not supported"}
            return 200, {"jsonrpc": "2.0", "id": None, "error": error}
        return None

    with Proxy(devnet.rpc_url, refuse) as proxy:
        c = client(proxy.url)
        chain, block, bad = c.batch(CALLS)
        assert int(chain, 16) == 31337 and isinstance(bad, RpcError)
        assert not c.batching and c.requests == 1 + 3
        again = client(proxy.url)  # remembered for the URL
        assert not again.batching
        CAPABILITIES.forget()
        strict = client(proxy.url)
        with pytest.raises(BatchRefused, match="refuses JSON-RPC batch"):
            strict.batch(CALLS, fallback=False)


def test_a_batch_refused_by_http_status(devnet):
    def refuse(payload, n):
        return (413, b"payload too large") if isinstance(payload, list) else None

    with Proxy(devnet.rpc_url, refuse) as proxy:
        c = client(proxy.url)
        assert int(c.batch(CALLS)[0], 16) == 31337
        assert not c.batching


def test_items_dropped_from_a_batch_are_asked_again_alone(devnet):
    def drop_last(payload, n):
        if isinstance(payload, list):
            reply = requests.post(devnet.rpc_url, json=payload, timeout=30).json()
            return 200, reply[:-1]
        return None

    with Proxy(devnet.rpc_url, drop_last) as proxy:
        c = client(proxy.url)
        chain, block, bad = c.batch(CALLS)
        assert int(chain, 16) == 31337 and block.startswith("0x") and isinstance(bad, RpcError)
        assert c.batching and c.requests == 2


def test_a_rate_limited_batch_is_retried(devnet):
    error = {"code": -32005, "message": "rate limit exceeded"}

    def limited(payload, n):
        return (200, {"jsonrpc": "2.0", "id": None, "error": error}) if n == 1 else None

    with Proxy(devnet.rpc_url, limited) as proxy:
        c = client(proxy.url)
        chain, block, bad = c.batch(CALLS)
        assert int(chain, 16) == 31337 and isinstance(bad, RpcError) and not rpc.is_transient(bad)
        assert c.batching and c.requests == 2  # not a refusal: asked again

    with Proxy(devnet.rpc_url, lambda p, n: (200, {"jsonrpc": "2.0", "id": None,
                                                   "error": error})) as proxy:  # fmt: skip
        with pytest.raises(NodeUnavailableError, match="rate limit") as info:
            client(proxy.url).batch(CALLS)
        assert info.value.exhausted and proxy.count == 3


def test_transient_http_failures_are_retried_and_counted(devnet):
    def flaky(payload, n):
        return (503, {"error": "busy"}) if n <= 2 else None

    with Proxy(devnet.rpc_url, flaky) as proxy:
        c = client(proxy.url)
        assert int(c.call("eth_chainId"), 16) == 31337
        assert c.requests == 3 == proxy.count

    def down(payload, n):
        return 429, {"error": "slow down"}

    with Proxy(devnet.rpc_url, down) as proxy:
        c = client(proxy.url, name="devnet")
        with pytest.raises(Unreachable, match="cannot reach the devnet RPC node") as info:
            c.call("eth_sendRawTransaction", ["0x00"])
        err = info.value
        assert isinstance(err, ConnectionError_)
        assert err.exhausted and err.maybe_sent and err.attempts == 3 and proxy.count == 3
        assert err.what == "eth_sendRawTransaction" and err.detail == "HTTP 429"


def test_a_closed_port_was_certainly_not_sent():
    c = client(closed_port_url())
    with pytest.raises(Unreachable) as info:
        c.call("eth_sendRawTransaction", ["0x00"])
    assert not info.value.maybe_sent and info.value.exhausted and c.requests == 3


def test_an_answer_that_is_not_json_rpc_is_not_retried(devnet):
    def html(payload, n):
        return 403, b"<html>forbidden</html>"

    with Proxy(devnet.rpc_url, html) as proxy:
        c = client(proxy.url)
        with pytest.raises(Unreachable, match="not JSON-RPC") as info:
            c.call("eth_chainId")
        assert info.value.maybe_sent and not info.value.exhausted and proxy.count == 1

    def error_with_400(payload, n):
        error = {"code": -32602, "message": "invalid params"}
        return 400, {"jsonrpc": "2.0", "id": payload["id"], "error": error}

    with Proxy(devnet.rpc_url, error_with_400) as proxy:
        err = client(proxy.url).single("eth_chainId")
        assert isinstance(err, RpcError) and err.code == -32602


# ---- one retry policy: transient answers are retried, then a connectivity error ------------------


@pytest.mark.parametrize(
    "answer",
    [
        (200, {"jsonrpc": "2.0", "id": 1}),  # neither result nor error
        (200, b'{"jsonrpc": "2.0", "id": 1, "resu'),  # a truncated body
        (200, {"jsonrpc": "2.0", "id": 1, "error": {"code": -32603, "message": "internal"}}),
        (200, {"jsonrpc": "2.0", "id": 1, "error": {"code": -32005, "message": "limit"}}),
        (200, {"jsonrpc": "2.0", "id": 1, "error": {"code": 429, "message": "slow down"}}),
        (502, b"bad gateway"),
    ],
    ids=["no-result", "truncated", "internal", "limit", "429", "502"],
)
def test_transient_answers_are_retried_then_unavailable(devnet, answer):
    with Proxy(devnet.rpc_url, lambda p, n: answer if n <= 2 else None) as proxy:
        c = client(proxy.url)
        assert int(c.call("eth_chainId"), 16) == 31337  # the third attempt gets through
        assert proxy.count == 3
    with Proxy(devnet.rpc_url, lambda p, n: answer) as proxy:
        c = client(proxy.url)
        with pytest.raises(NodeUnavailableError) as info:
            c.call("eth_getCode", ["0x" + "11" * 20, "latest"])
        err = info.value
        assert isinstance(err, ConnectionError_) and isinstance(err, OgpuWidgetsError)
        assert err.exhausted and err.attempts == 3 and proxy.count == 3
        assert err.what == "eth_getCode"
        with pytest.raises(NodeUnavailableError):
            c.batch(CALLS)


def test_a_definitive_error_reply_is_not_retried(devnet):
    too_large = {"code": -32005, "message": "query returned more than 10000 results"}

    def rule(payload, n):
        return 200, {"jsonrpc": "2.0", "id": payload["id"], "error": too_large}

    with Proxy(devnet.rpc_url, rule) as proxy:
        err = client(proxy.url).single("eth_getLogs", [{}])
        assert isinstance(err, RpcError) and proxy.count == 1
        assert isinstance(err, OgpuWidgetsError) and err.code == -32005
        with pytest.raises(RpcError):
            client(proxy.url).call("eth_getLogs", [{}])


def test_a_revert_with_internal_error_code_is_not_transient():
    revert = RpcError("eth_call", {"code": -32603, "message": "execution reverted: NotOwner"})
    assert not rpc.is_transient(revert)
    assert rpc.is_transient(RpcError("eth_call", {"code": -32603, "message": "internal error"}))


def test_a_refused_batch_is_probed_again_after_the_memory_expires(devnet, monkeypatch):
    refusing = {"on": True}

    def refuse(payload, n):
        return (400, b"no batches") if isinstance(payload, list) and refusing["on"] else None

    now = [1000.0]
    monkeypatch.setattr(CAPABILITIES, "clock", lambda: now[0])
    with Proxy(devnet.rpc_url, refuse) as proxy:
        c = client(proxy.url)
        assert int(c.batch(CALLS)[0], 16) == 31337
        assert not c.batching  # refused: remembered for now
        refusing["on"] = False
        now[0] += CAPABILITIES.ttl - 1
        assert not c.batching
        now[0] += 2
        assert c.batching  # the memory expired: asked with a batch again
        before = proxy.count
        c.batch(CALLS)
        assert proxy.count == before + 1
