"""Every read failure is typed and true, against a real anvil behind a fault-injecting proxy:
nothing but OgpuWidgetsError escapes (1), a hiccup is never a verdict about an address (2),
a refused capability is probed again (3), data that is not UTF-8 reads on every path (4), and
arguments of the wrong type get typed errors (8)."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pandas as pd
import pytest
from eth_abi import encode as abi_encode
from support import Proxy, calls_of, is_deployless, per_call, until

from ogpu_widgets import read
from ogpu_widgets.chain.codec import function
from ogpu_widgets.chain.rpc import CAPABILITIES
from ogpu_widgets.errors import (
    InvalidAddressError,
    InvalidArgumentError,
    NodeUnavailableError,
    NotAContractError,
    NotAResponseError,
    NotATaskError,
    OgpuWidgetsError,
    ReadError,
    SelectorError,
)

pytestmark = pytest.mark.usefixtures("fast_retries")

PATHS = ("lens", "batch", "call")
RAW = b"ok \xff\xfe not utf-8 \xc3( \xe2\x82 end"  # invalid UTF-8 in three ways


@pytest.fixture(scope="module")
def world(devnet):
    dev = devnet
    w = SimpleNamespace(dev=dev, net=dev.network, eoa=dev.stranger.address)
    w.source = dev.publish_source("manual")
    w.task = dev.publish_task(w.source)
    w.responses = [dev.respond(w.task, k, data=f"ipfs://faults-{k}") for k in range(3)]
    # a response whose data is not UTF-8: the ABI layout of `string` and `bytes` is the same,
    # so submitResponse((address,address,bytes,uint256)) stores the raw bytes as the string
    w.bin_task = dev.publish_task(w.source)
    provider = dev.providers[3].address
    dev.attempt(w.bin_task, 3)
    payment = dev.call("Task", w.bin_task, "getPayment")
    sel = function("Nexus", "submitResponse")[0]
    args = abi_encode(["(address,address,bytes,uint256)"], [(w.bin_task, provider, RAW, payment)])
    dev.send(provider, dev.contracts["nexus"], sel + args.hex())
    w.bin_response = dev.call("Task", w.bin_task, "responseOf", provider)
    dev.confirm(w.bin_response)
    return w


# ---- proxy rules -------------------------------------------------------------------------------


def is_getter(call) -> bool:
    return call.get("method") == "eth_call" and "to" in call["params"][0]


def whole_request(matches, answer):
    """A rule giving ``answer`` (status, body) to every request holding a call ``matches``."""

    def rule(payload, n):
        return answer if any(matches(c) for c in calls_of(payload)) else None

    return rule


def result_of(matches, value):
    """A rule answering calls that ``matches`` with the result ``value`` (garbage)."""

    def rule(payload, n):
        calls = calls_of(payload)
        if not any(matches(c) for c in calls):
            return None
        out = [{"jsonrpc": "2.0", "id": c["id"], "result": value} for c in calls]
        return 200, out if isinstance(payload, list) else out[0]

    return rule


def proxied(w, rule):
    proxy = Proxy(w.dev.rpc_url, rule)
    return proxy, w.net.with_settings(rpc_url=proxy.url)


def every_public_read(w, net, path="auto"):
    """Each public read call, as a thunk."""
    return {
        "load_responses": lambda: read.load_responses(
            tasks=[w.task], network=net, progress=False, read_path=path
        ),
        "load_tasks": lambda: read.load_tasks(tasks=[w.task], network=net, read_path=path),
        "read_responses": lambda: read.read_responses(w.responses, network=net, read_path=path),
        "get_task_responses": lambda: read.get_task_responses(w.task, network=net, read_path=path),
        "get_confirmed_response": lambda: read.get_confirmed_response(
            w.bin_task, network=net, read_path=path
        ),
        "task_publications": lambda: read.task_publications(network=net),
    }


# ---- 1. nothing but OgpuWidgetsError escapes -----------------------------------------------------

FAULTS = {
    # a JSON-RPC error reply that is neither transient nor a revert
    "error reply": lambda up: per_call(
        up,
        lambda c: (
            {"code": -32601, "message": "the method is not available"}
            if c["method"] in ("eth_call", "eth_getLogs")
            else None
        ),
    ),
    # HTTP 200 bodies with neither result nor error (retried, then NodeUnavailableError)
    "neither result nor error": lambda up: whole_request(
        lambda c: c["method"] in ("eth_call", "eth_getLogs"), (200, {"jsonrpc": "2.0", "id": 1})
    ),
    "garbage body": lambda up: whole_request(
        lambda c: c["method"] in ("eth_call", "eth_getLogs"), (200, b"\x00garbage{")
    ),
    "garbage result": lambda up: result_of(
        lambda c: c["method"] in ("eth_call", "eth_getLogs"), {"not": "hex"}
    ),
    "not hex": lambda up: result_of(lambda c: c["method"] in ("eth_call", "eth_getLogs"), "0xzz"),
    "number result": lambda up: result_of(lambda c: c["method"] in ("eth_call", "eth_getLogs"), 7),
    "garbage block number": lambda up: result_of(
        lambda c: c["method"] == "eth_blockNumber", "latest"
    ),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_nothing_but_typed_errors_escape_a_public_read(world, fault):
    w = world
    proxy, net = proxied(w, FAULTS[fault](w.dev.rpc_url))
    with proxy:
        for path in ("auto", "batch", "call"):
            for name, thunk in every_public_read(w, net, path).items():
                CAPABILITIES.forget()
                with pytest.raises(OgpuWidgetsError) as info:
                    thunk()
                assert isinstance(info.value, ReadError), (fault, path, name, info.value)
                assert not isinstance(info.value, NotATaskError | NotAContractError), name


def test_garbage_in_logs_and_block_times_is_a_read_error(world):
    w = world

    def bad_logs(payload, n):
        calls = calls_of(payload)
        if any(c["method"] == "eth_getLogs" for c in calls):
            out = [{"jsonrpc": "2.0", "id": c["id"], "result": [{"data": 5}]} for c in calls]
            return 200, out if isinstance(payload, list) else out[0]
        return None

    proxy, net = proxied(w, bad_logs)
    with proxy, pytest.raises(ReadError, match="eth_getLogs"):
        read.task_publications(network=net)
    proxy, net = proxied(w, result_of(lambda c: c["method"] == "eth_getBlockByNumber", "x"))
    with proxy, pytest.raises(ReadError, match="block"):
        read.task_publications([w.task], network=net)


# ---- 2. no verdict about an address from a hiccup ----------------------------------------------

TRANSIENT = {
    "HTTP 429": lambda up, m: whole_request(m, (429, {"error": "slow down"})),
    "HTTP 503": lambda up, m: whole_request(m, (503, b"upstream busy")),
    "internal error": lambda up, m: per_call(
        up, lambda c: {"code": -32603, "message": "internal error"} if m(c) else None
    ),
    "rate limit": lambda up, m: per_call(
        up, lambda c: {"code": -32005, "message": "rate limit exceeded"} if m(c) else None
    ),
    "truncated body": lambda up, m: whole_request(m, (200, b'{"jsonrpc":"2.0","id":1,"res')),
}


@pytest.mark.parametrize("kind", list(TRANSIENT))
def test_a_persistent_hiccup_on_get_code_is_unavailability_not_a_verdict(world, kind):
    """The getters of an EOA return nothing (a definitive answer), then eth_getCode fails."""
    w = world
    rule = TRANSIENT[kind](w.dev.rpc_url, lambda c: c["method"] == "eth_getCode")
    proxy, net = proxied(w, rule)
    with proxy:
        for path in ("batch", "call"):
            with pytest.raises(NodeUnavailableError, match="3 attempts"):
                read.load_responses(tasks=[w.eoa], network=net, read_path=path)
            with pytest.raises(NodeUnavailableError):
                read.read_responses([w.eoa], network=net, read_path=path)
            with pytest.raises(NodeUnavailableError):
                read.get_task_responses(w.eoa, network=net, read_path=path)


@pytest.mark.parametrize("kind", list(TRANSIENT))
def test_a_persistent_hiccup_on_a_getter_is_unavailability_not_a_verdict(world, kind):
    w = world
    rule = TRANSIENT[kind](w.dev.rpc_url, lambda c: c["method"] == "eth_call")
    proxy, net = proxied(w, rule)
    with proxy:
        for path in ("auto", *PATHS):
            for address in (w.task, w.eoa, w.source):
                with pytest.raises(NodeUnavailableError) as info:
                    read.load_responses(tasks=[address], network=net, read_path=path)
                assert info.value.exhausted and info.value.attempts == 3
            with pytest.raises(NodeUnavailableError):
                read.read_responses([w.responses[0]], network=net, read_path=path)
        assert CAPABILITIES.allowed("lens", (proxy.url, net.call_gas_cap))


def test_a_passing_hiccup_is_retried_and_the_verdict_is_the_nodes(world):
    w = world
    failures = {"left": 4}

    def twice_then_fine(payload, n):
        if failures["left"] and any(c["method"] in ("eth_getCode", "eth_call")
                                    for c in calls_of(payload)):  # fmt: skip
            failures["left"] -= 1
            return 503, b"busy"
        return None

    for path in ("auto", *PATHS):
        failures["left"] = 2
        proxy, net = proxied(w, twice_then_fine)
        with proxy:
            with pytest.raises(NotAContractError, match=w.eoa):
                read.load_responses(tasks=[w.eoa], network=net, read_path=path)
            with pytest.raises(NotATaskError, match=w.source):
                read.load_responses(tasks=[w.source], network=net, read_path=path)
            with pytest.raises(NotAResponseError, match=w.task):
                read.read_responses([w.task], network=net, read_path=path)


@pytest.mark.parametrize("path", ["auto", "batch", "call"])
def test_an_odd_error_reply_on_a_plain_getter_is_not_a_verdict(world, path):
    """A non-revert, non-transient error reply on getStatus() of a real task says nothing
    about the task: ReadError (and its cause), never NotATaskError."""
    w = world
    status = function("Task", "getStatus")[0]

    def odd(call):
        if is_deployless(call):  # make 'auto' fall back to the plain readers
            return {"code": -32000, "message": "contract creation is not allowed in eth_call"}
        if is_getter(call) and call["params"][0]["data"] == status:
            return {"code": -32000, "message": "state is pruned for this block"}
        return None

    proxy, net = proxied(w, per_call(w.dev.rpc_url, odd))
    with proxy:
        with pytest.raises(ReadError, match="state is pruned") as info:
            read.load_tasks(tasks=[w.task], network=net, read_path=path)
        assert not isinstance(info.value, NotATaskError)
        with pytest.raises(ReadError, match="state is pruned"):
            read.get_task_responses(w.task, network=net, read_path=path)


# ---- 3. capabilities are not lost for good ----------------------------------------------------


class FirstBatchRefused:
    """A :class:`Proxy` rule: the first batch gets HTTP 400; ``seen`` counts the later ones."""

    def __init__(self) -> None:
        self.seen = {"refused": False, "batches": 0}

    def __call__(self, payload, n):
        if isinstance(payload, list):
            if not self.seen["refused"]:
                self.seen["refused"] = True
                return 400, {"error": "batch requests are not supported"}
            self.seen["batches"] += 1
        return None


def test_one_refused_batch_does_not_disable_batching_for_good(world, monkeypatch):
    w = world
    monkeypatch.setattr(CAPABILITIES, "ttl", 0.5)
    reference = read.load_responses(tasks=[w.task], network=w.net, progress=False)
    first_batch_refused = FirstBatchRefused()
    seen = first_batch_refused.seen

    proxy, net = proxied(w, first_batch_refused)
    with proxy:
        # plain reads ('auto' without the lens) send batches and may fall back to single calls
        CAPABILITIES.refuse("lens", (proxy.url, net.call_gas_cap))
        got = read.load_responses(tasks=[w.task], network=net, progress=False)
        assert seen["refused"]
        pd.testing.assert_frame_equal(got, reference)
        assert not CAPABILITIES.allowed("batch", proxy.url)  # remembered for now
        # and probed again once the ttl has passed
        until(lambda: CAPABILITIES.allowed("batch", proxy.url), 10, "the batch refusal to expire")
        seen["batches"] = 0
        CAPABILITIES.refuse("lens", (proxy.url, net.call_gas_cap))
        got = read.load_responses(tasks=[w.task], network=net, progress=False)
        pd.testing.assert_frame_equal(got, reference)
        assert seen["batches"] > 0


def test_an_explicit_batch_read_asks_the_node_again(world):
    """After one HTTP 400 on a batch, ``read_path="batch"`` is an explicit probe: the node is
    asked again at once (no refusal from memory for the ttl), while ``auto`` keeps its memory
    (one call per request meanwhile)."""
    w = world
    reference = read.load_responses(tasks=[w.task], network=w.net, progress=False)
    first_batch_refused = FirstBatchRefused()
    seen = first_batch_refused.seen

    proxy, net = proxied(w, first_batch_refused)
    with proxy:
        CAPABILITIES.refuse("lens", (proxy.url, net.call_gas_cap))
        read.load_responses(tasks=[w.task], network=net, progress=False)  # refused, remembered
        assert seen["refused"] and not CAPABILITIES.allowed("batch", proxy.url)
        CAPABILITIES.refuse("lens", (proxy.url, net.call_gas_cap))
        read.load_responses(tasks=[w.task], network=net, progress=False)
        assert seen["batches"] == 0  # the automatic path keeps its memory
        got = read.load_responses(tasks=[w.task], network=net, progress=False, read_path="batch")
        pd.testing.assert_frame_equal(got, reference)
        assert seen["batches"] > 0 and CAPABILITIES.allowed("batch", proxy.url)


def test_an_explicit_batch_read_of_a_node_that_still_refuses_is_typed(world):
    w = world
    asked = []

    def batches_refused(payload, n):
        if isinstance(payload, list):
            asked.append(n)
            return 400, {"error": "batch requests are not supported"}
        return None

    proxy, net = proxied(w, batches_refused)
    with proxy:
        for tries in (1, 2):  # refused, then asked again (and refused) rather than from memory
            with pytest.raises(ReadError, match="refuses JSON-RPC batch"):
                read.load_responses(tasks=[w.task], network=net, progress=False,
                                    read_path="batch")  # fmt: skip
            assert len(asked) == tries
        assert not CAPABILITIES.allowed("batch", proxy.url)


def test_one_internal_error_on_a_lens_call_is_retried_not_a_refusal(world, caplog):
    w = world
    caplog.set_level(logging.DEBUG, logger="ogpu_widgets.read")
    reference = read.load_responses(tasks=[w.task], network=w.net, progress=False)
    seen = {"failed": 0, "lens": 0}

    def one_internal_error(call):
        if not is_deployless(call):
            return None
        seen["lens"] += 1
        if not seen["failed"]:
            seen["failed"] = 1
            return {"code": -32603, "message": "internal error"}
        return None

    proxy, net = proxied(w, per_call(w.dev.rpc_url, one_internal_error))
    with proxy:
        got = read.load_responses(tasks=[w.task], network=net, progress=False)
        pd.testing.assert_frame_equal(got, reference)
        assert "lens refused" not in caplog.text
        assert CAPABILITIES.allowed("lens", (proxy.url, net.call_gas_cap))
        before = seen["lens"]
        read.load_responses(tasks=[w.task], network=net, progress=False)
        assert seen["lens"] > before  # the next read still goes through the lens


def test_a_persistent_internal_error_on_the_lens_does_not_mark_it_refused(world):
    w = world
    rule = per_call(
        w.dev.rpc_url,
        lambda c: {"code": -32603, "message": "internal error"} if is_deployless(c) else None,
    )
    proxy, net = proxied(w, rule)
    with proxy:
        with pytest.raises(NodeUnavailableError):
            read.load_responses(tasks=[w.task], network=net, progress=False)
        assert CAPABILITIES.allowed("lens", (proxy.url, net.call_gas_cap))


def test_a_refused_lens_is_remembered_then_probed_again(world, monkeypatch, caplog):
    w = world
    monkeypatch.setattr(CAPABILITIES, "ttl", 0.5)
    caplog.set_level(logging.DEBUG, logger="ogpu_widgets.read")
    reference = read.load_responses(tasks=[w.task], network=w.net, progress=False)
    seen = {"lens": 0}

    def refuse(call):
        if is_deployless(call):
            seen["lens"] += 1
            return {"code": -32000, "message": "contract creation is not allowed in eth_call"}
        return None

    proxy, net = proxied(w, per_call(w.dev.rpc_url, refuse))
    with proxy:
        pd.testing.assert_frame_equal(
            read.load_responses(tasks=[w.task], network=net, progress=False), reference
        )
        assert "lens refused" in caplog.text and seen["lens"] == 1
        assert not CAPABILITIES.allowed("lens", (proxy.url, net.call_gas_cap))
        read.load_responses(tasks=[w.task], network=net, progress=False)
        assert seen["lens"] == 1  # not asked again while remembered
        lens_at = (proxy.url, net.call_gas_cap)
        until(lambda: CAPABILITIES.allowed("lens", lens_at), 10, "the lens refusal to expire")
        pd.testing.assert_frame_equal(
            read.load_responses(tasks=[w.task], network=net, progress=False), reference
        )
        assert seen["lens"] == 2  # probed again after the ttl


# ---- 4. data that is not UTF-8 -------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_data_that_is_not_utf8_reads_on_every_path(world, path):
    w = world
    text = RAW.decode("utf-8", "replace")
    assert "\ufffd" in text
    (got,) = read.get_task_responses(w.bin_task, network=w.net, read_path=path)
    assert got.address == w.bin_response
    assert got.data == text and got.data_bytes == RAW and got.raw_data == RAW
    confirmed = read.get_confirmed_response(w.bin_task, network=w.net, read_path=path)
    assert confirmed is not None and confirmed.data_bytes == RAW
    df = read.load_responses(tasks=[w.bin_task], network=w.net, read_path=path, progress=False)
    assert df.at[w.bin_response, "data"] == text
    df = read.read_responses([w.bin_response], network=w.net, read_path=path)
    assert df.at[w.bin_response, "data"] == text
    (plain,) = read.get_task_responses(w.task, 1, 2, network=w.net, read_path=path)
    assert plain.data_bytes == b"ipfs://faults-1"


# ---- 8. arguments of the wrong type --------------------------------------------------------------


def test_wrong_types_get_typed_errors(world):
    w = world
    net = w.net
    cases = [
        (lambda: read.read_responses(None, network=net), InvalidArgumentError, "addresses=None"),
        (lambda: read.read_responses(42, network=net), InvalidArgumentError, "addresses=42"),
        (lambda: read.load_responses(tasks=None, network=net), SelectorError, "no selector"),
        (lambda: read.load_responses(tasks=123, network=net), SelectorError, "tasks=123"),
        (lambda: read.load_tasks(tasks=1.5, network=net), SelectorError, "tasks=1.5"),
        (lambda: read.task_publications(network=net, from_block="abc"), InvalidArgumentError,
         "from_block='abc'"),
        (lambda: read.task_publications(network=net, to_block=-1), InvalidArgumentError,
         "to_block=-1"),
        (lambda: read.task_publications(network=net, from_block=True), InvalidArgumentError,
         "from_block=True"),
        (lambda: read.task_publications(7, network=net), InvalidArgumentError, "tasks=7"),
        (lambda: read.get_task_responses(None, network=net), InvalidAddressError, "None"),
        (lambda: read.get_task_responses([w.task], network=net), InvalidAddressError, "list"),
        (lambda: read.load_responses(tasks=[w.task], network=net, read_path=None),
         InvalidArgumentError, "read_path=None"),
    ]  # fmt: skip
    for call, error, named in cases:
        with pytest.raises(error, match=named) as info:
            call()
        assert isinstance(info.value, InvalidArgumentError | SelectorError)


def test_one_address_string_is_one_item(world):
    w = world
    r = w.responses[0]
    pd.testing.assert_frame_equal(
        read.read_responses(r, network=w.net), read.read_responses([r], network=w.net)
    )
    raw = bytes.fromhex(r[2:])  # 20 bytes are one address too
    pd.testing.assert_frame_equal(
        read.read_responses(raw, network=w.net), read.read_responses([r], network=w.net)
    )
    pd.testing.assert_frame_equal(
        read.load_responses(tasks=w.task, network=w.net, progress=False),
        read.load_responses(tasks=[w.task], network=w.net, progress=False),
    )
    one = read.task_publications(w.task, network=w.net)
    assert list(one.index) == [w.task]


def test_a_bad_item_in_a_list_is_named(world):
    w = world
    with pytest.raises(InvalidAddressError, match=r"addresses\[1\]: .*'nope'") as info:
        read.read_responses([w.responses[0], "nope"], network=w.net)
    assert info.value.value == "nope" and info.value.argument == "addresses"
    with pytest.raises(InvalidAddressError, match=r"tasks\[2\]: .*5"):
        read.load_responses(tasks=[w.task, w.task, 5], network=w.net)
    with pytest.raises(InvalidAddressError, match=r"tasks\[1\]: .*None"):
        read.task_publications([w.task, None], network=w.net)
