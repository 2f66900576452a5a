"""The read side against a real anvil devnet: selectors, columns and dtypes, pagination holes,
FIRST_RESPONSE, the three read paths, gas-cap chunking, fallbacks, retries and bad input."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pandas as pd
import pytest
from support import Proxy, calls_of, is_deployless, sdk_on_devnet

import ogpu_widgets as ow
from ogpu_widgets import read
from ogpu_widgets.chain.network import Network
from ogpu_widgets.devnet import Devnet
from ogpu_widgets.errors import (
    InvalidAddressError,
    InvalidArgumentError,
    InvalidRangeError,
    NodeUnavailableError,
    NotAContractError,
    NotAResponseError,
    NotASourceError,
    NotATaskError,
    OgpuWidgetsError,
    ReadError,
    SelectorError,
    WrongChainError,
)
from ogpu_widgets.read import RESPONSE_COLUMNS, TASK_COLUMNS, calls, lens, session
from ogpu_widgets.read.rows import Range
from ogpu_widgets.records import TaskResponse

pytestmark = pytest.mark.usefixtures("fast_retries")

PATHS = ("lens", "batch", "call")
LONG = 5_000  # bytes of data of a "long" response: a few of them overflow one lens output
HUGE = 30_000  # bytes of data of one response: more than a lens call may return at all


def chain_time(seconds: int) -> pd.Timestamp:
    return pd.Timestamp(seconds, unit="s", tz="UTC")


@pytest.fixture(scope="module")
def world():
    """A devnet of this module's own, with every shape of task the reader must handle."""
    with Devnet() as dev:
        w = SimpleNamespace(dev=dev, net=dev.network, client=dev.client.address)
        p = [a.address for a in dev.providers]
        w.providers = p
        w.src_manual = dev.publish_source("manual")
        w.src_first = dev.publish_source("first")
        w.src_empty = dev.publish_source("manual")  # a source without tasks

        # attempters 1 and 3 never respond: zero-address holes in getResponsesOf
        w.t_holes = dev.publish_task(w.src_manual, payment_ogpu=1.25)
        r0 = dev.respond(w.t_holes, 0, data="ipfs://holes-0")
        dev.attempt(w.t_holes, 1)
        r2 = dev.respond(w.t_holes, 2, data="ipfs://holes-2")
        dev.attempt(w.t_holes, 3)
        w.holes = [r0, r2]
        w.t_new = dev.publish_task(w.src_manual)
        w.t_attempted = dev.publish_task(w.src_manual)
        dev.attempt(w.t_attempted, 0)
        # 25 OGPU = 2.5e19 wei > 2**64: must stay exact
        w.t_confirmed = dev.publish_task(w.src_manual, payment_ogpu=25)
        w.confirmed = [dev.respond(w.t_confirmed, k, data=f"ipfs://c{k}") for k in range(3)]
        dev.confirm(w.confirmed[1])
        w.t_canceled = dev.publish_task(w.src_manual)
        dev.cancel(w.t_canceled)
        w.t_long = dev.publish_task(w.src_manual)
        w.long = [dev.respond(w.t_long, k, data=f"{k}" * LONG) for k in range(6)]
        w.long.append(dev.respond(w.t_long, 6, data="h" * HUGE))
        w.t_expiring = dev.publish_task(w.src_manual, expires_in=600)
        w.expiring = [dev.respond(w.t_expiring, 0)]

        # FIRST_RESPONSE: three attempt, the second answers and is confirmed by the chain
        w.t_first = dev.publish_task(w.src_first, payment_ogpu=2)
        for k in range(3):
            dev.attempt(w.t_first, k)
        w.first = dev.submit_response(w.t_first, 1, data="ipfs://first")
        w.t_first_new = dev.publish_task(w.src_first)

        # another client's source and task: the client selector must leave them out
        other = dev.providers[9].address
        dev.deposit(other, 100)
        w.src_other = dev.publish_source("manual", client=other)
        w.t_other = dev.publish_task(w.src_other, client=other)
        w.other_response = dev.respond(w.t_other, 0)

        dev.advance_time(3_600)  # t_expiring expires; the others (1 day) do not

        w.manual_tasks = [
            w.t_holes, w.t_new, w.t_attempted, w.t_confirmed, w.t_canceled, w.t_long,
            w.t_expiring,
        ]  # fmt: skip
        w.first_tasks = [w.t_first, w.t_first_new]
        bulk = dev.seed(tasks=24, responses_per_task=4, delivery="mixed")
        w.bulk = bulk["tasks"]
        w.client_tasks = w.manual_tasks + w.first_tasks + w.bulk
        yield w


def load(w, path="auto", **selector):
    net = selector.pop("network", w.net)
    return read.load_responses(network=net, progress=False, read_path=path, **selector)


# ---- columns, dtypes and values ------------------------------------------------------------------


def test_columns_dtypes_and_values(world):
    w, dev = world, world.dev
    df = load(w, tasks=[w.t_holes, w.t_confirmed])
    assert list(df.columns) == list(RESPONSE_COLUMNS)
    assert df.index.name == "address"
    assert df.index.dtype == "str"
    for name, dtype in RESPONSE_COLUMNS.items():
        assert df[name].dtype == pd.api.types.pandas_dtype(dtype), name
    assert list(df["status"].cat.categories) == ["submitted", "confirmed"]
    assert list(df["task_status"].cat.categories) == [
        "new", "attempted", "responded", "canceled", "expired", "finalized",
    ]  # fmt: skip
    assert list(df["delivery_method"].cat.categories) == [
        "manual_confirmation", "first_response",
    ]  # fmt: skip
    assert str(df["timestamp"].dtype) == "datetime64[ns, UTC]"

    assert list(df.index) == w.holes + w.confirmed
    holes = df.loc[w.holes]
    assert list(holes["task"]) == [w.t_holes] * 2
    assert list(holes["provider"]) == [w.providers[0], w.providers[2]]
    assert list(holes["data"]) == ["ipfs://holes-0", "ipfs://holes-2"]
    assert list(holes["payment"]) == [1_250_000_000_000_000_000] * 2
    assert all(type(v) is int for v in df["payment"])
    assert list(holes["payment_ogpu"]) == [1.25, 1.25]
    assert list(holes["status"]) == ["submitted", "submitted"]
    assert not holes["confirmed"].any()
    for r in w.holes:
        assert df.at[r, "timestamp"] == chain_time(dev.call("Response", r, "responseTimestamp"))
    assert set(holes["task_status"]) == {"responded"}
    assert set(holes["delivery_method"]) == {"manual_confirmation"}
    assert holes["task_expiry"].iloc[0] == chain_time(dev.call("Task", w.t_holes, "getExpiryTime"))
    assert set(df["source"]) == {w.src_manual}
    assert set(df["client"]) == {w.client}
    first = dev.call("Task", w.t_holes, "getAttemptTimestamps", 0, 0)[0]
    assert holes["task_first_attempt"].iloc[0] == chain_time(first)

    conf = df.loc[w.confirmed]
    assert list(conf["payment"]) == [25 * 10**18] * 3  # > 2**64, exact
    assert list(conf["confirmed"]) == [False, True, False]
    assert list(conf["status"]) == ["submitted", "confirmed", "submitted"]
    assert set(conf["task_status"]) == {"finalized"}


def test_first_response_task(world):
    w = world
    df = load(w, tasks=[w.t_first, w.t_first_new])
    assert list(df.index) == [w.first]  # slots 0 and 2 are holes; the other task has no attempt
    row = df.loc[w.first]
    assert row["status"] == "confirmed" and row["confirmed"]
    assert row["task_status"] == "finalized"
    assert row["delivery_method"] == "first_response"
    assert row["provider"] == w.providers[1]
    got = read.get_confirmed_response(w.t_first, network=w.net)
    assert got is not None and got.address == w.first and got.status == "confirmed"


def test_expired_and_attempted_tasks(world):
    w = world
    df = load(w, tasks=[w.t_expiring, w.t_attempted, w.t_new])
    assert list(df.index) == w.expiring  # attempted and new tasks contribute no row
    assert df["task_status"].iloc[0] == "expired"


def test_empty_result_has_the_columns_and_dtypes(world):
    w = world
    df = load(w, tasks=[w.t_new, w.t_canceled])
    assert df.empty
    assert list(df.columns) == list(RESPONSE_COLUMNS)
    for name, dtype in RESPONSE_COLUMNS.items():
        assert df[name].dtype == pd.api.types.pandas_dtype(dtype), name
    assert df.index.name == "address"
    empty_client = load(w, client=w.providers[5])  # a client without sources
    pd.testing.assert_frame_equal(empty_client, df)


# ---- pagination --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lower", "upper", "slots"),
    [
        (0, None, [0, 2]),
        (0, 1, [0]),  # upper exclusive, as the SDK
        (1, 2, []),  # slot 1 is a hole
        (1, 3, [2]),
        (2, 4, [2]),
        (3, None, []),  # the last slot is a hole too
        (0, 99, [0, 2]),  # upper past the attempt count is clamped
        (4, None, []),
        (7, 9, []),
    ],
)
def test_get_task_responses_bounds_and_holes(world, lower, upper, slots):
    w = world
    by_slot = {0: w.holes[0], 2: w.holes[1]}
    got = read.get_task_responses(w.t_holes, lower, upper, network=w.net)
    assert [r.address for r in got] == [by_slot[s] for s in slots]
    assert all(isinstance(r, TaskResponse) and r.task == w.t_holes for r in got)


def test_get_task_responses_fields(world):
    w, dev = world, world.dev
    got = read.get_task_responses(w.t_confirmed, network=w.net)
    assert [r.address for r in got] == w.confirmed
    r = got[1]
    assert (r.provider, r.data, r.payment, r.status, r.confirmed) == (
        w.providers[1], "ipfs://c1", 25 * 10**18, "confirmed", True,
    )  # fmt: skip
    assert r.timestamp == dev.call("Response", r.address, "responseTimestamp")
    assert read.get_confirmed_response(w.t_confirmed, network=w.net) == r
    assert read.get_confirmed_response(w.t_holes, network=w.net) is None
    assert read.get_task_responses(w.t_new, network=w.net) == []


# ---- selectors -----------------------------------------------------------------------------------


def test_source_selector(world):
    w = world
    by_source = load(w, source=w.src_manual)
    pd.testing.assert_frame_equal(by_source, load(w, tasks=w.manual_tasks))
    assert load(w, source=w.src_empty).empty


def test_client_selector(world):
    w = world
    by_client = load(w, client=w.client)
    pd.testing.assert_frame_equal(by_client, load(w, tasks=w.client_tasks))
    assert w.other_response not in by_client.index
    assert w.other_response in load(w, client=w.dev.providers[9].address).index


def test_tasks_selector_forms(world):
    w = world
    one = load(w, tasks=w.t_holes)  # a single address is one task
    pd.testing.assert_frame_equal(one, load(w, tasks=[w.t_holes]))
    lower = load(w, tasks=(t.lower() for t in [w.t_holes, w.t_holes]))  # any case, duplicates
    pd.testing.assert_frame_equal(lower, one)
    pd.testing.assert_frame_equal(load(w, tasks=pd.Series([w.t_holes])), one)


def test_load_tasks(world):
    w, dev = world, world.dev
    df = read.load_tasks(source=w.src_manual, network=w.net, progress=False)
    assert list(df.columns) == list(TASK_COLUMNS)
    for name, dtype in TASK_COLUMNS.items():
        assert df[name].dtype == pd.api.types.pandas_dtype(dtype), name
    assert list(df.index) == w.manual_tasks
    assert list(df["status"]) == [
        "responded", "new", "attempted", "finalized", "canceled", "responded", "expired",
    ]  # fmt: skip
    assert list(df["attempt_count"]) == [4, 0, 1, 3, 0, 7, 1]
    assert list(df["response_count"]) == [2, 0, 0, 3, 0, 7, 1]
    assert df.at[w.t_confirmed, "winning_provider"] == w.providers[1]
    assert pd.isna(df.at[w.t_holes, "winning_provider"])
    assert df.at[w.t_confirmed, "payment"] == 25 * 10**18
    assert df.at[w.t_holes, "config"] == "ipfs://bafybeiconfig"
    assert pd.isna(df.at[w.t_new, "first_attempt"])
    assert df.at[w.t_holes, "expiry"] == chain_time(dev.call("Task", w.t_holes, "getExpiryTime"))
    assert set(df["client"]) == {w.client}
    first = read.load_tasks(tasks=w.first_tasks, network=w.net, progress=False)
    assert list(first["delivery_method"]) == ["first_response"] * 2
    assert list(first["status"]) == ["finalized", "new"]


def test_read_responses(world):
    w = world
    wanted = [w.confirmed[2], w.first, w.holes[0], w.confirmed[2]]
    df = read.read_responses(wanted, network=w.net)
    assert list(df.index) == [w.confirmed[2], w.first, w.holes[0]]
    full = load(w, tasks=[w.t_confirmed, w.t_first, w.t_holes])
    pd.testing.assert_frame_equal(df, full.loc[list(df.index)])
    assert read.read_responses([], network=w.net).empty


# ---- read paths ----------------------------------------------------------------------------------


def test_three_read_paths_give_identical_frames(world):
    w = world
    frames = {path: load(w, path, client=w.client) for path in PATHS}
    assert len(frames["lens"]) == 2 + 3 + 7 + 1 + 1 + 12 * 4 + 12
    for path in PATHS[1:]:
        pd.testing.assert_frame_equal(frames["lens"], frames[path])
    tasks = {p: read.load_tasks(client=w.client, network=w.net, read_path=p) for p in PATHS}
    for path in PATHS[1:]:
        pd.testing.assert_frame_equal(tasks["lens"], tasks[path])
    wanted = [*w.long, w.first, *w.holes]
    reads = {p: read.read_responses(wanted, network=w.net, read_path=p) for p in PATHS}
    for path in PATHS[1:]:
        pd.testing.assert_frame_equal(reads["lens"], reads[path])
    for path in PATHS:
        got = read.get_task_responses(w.t_holes, 1, None, network=w.net, read_path=path)
        assert [r.address for r in got] == [w.holes[1]]


def test_long_data_is_split_across_lens_calls_and_read_whole(world, caplog):
    w = world
    caplog.set_level(logging.DEBUG, logger="ogpu_widgets.read")
    df = load(w, "lens", tasks=[w.t_long])
    assert list(df.index) == w.long
    assert list(df["data"].str.len()) == [LONG] * 6 + [HUGE]
    assert "exceed one lens output" in caplog.text  # the huge one is read plainly
    pd.testing.assert_frame_equal(df, load(w, "batch", tasks=[w.t_long]))


def lens_calls(caplog) -> int:
    return sum(
        int(r.getMessage().split(" in ")[1].split()[0])
        for r in caplog.records
        if r.getMessage().startswith("lens mode")
    )


def test_a_small_gas_cap_means_many_chunks_and_the_same_frame(world, caplog):
    w = world
    caplog.set_level(logging.DEBUG, logger="ogpu_widgets.read")
    reference = load(w, "lens", tasks=w.bulk)
    normal = lens_calls(caplog)
    caplog.clear()
    small = w.net.with_settings(call_gas_cap=1_200_000)
    df = load(w, "lens", tasks=w.bulk, network=small)
    pd.testing.assert_frame_equal(df, reference)
    assert lens_calls(caplog) >= 4 * normal
    assert "refus" not in caplog.text


def test_a_chunk_that_runs_out_of_gas_is_split(world, caplog):
    """Reading 5 kB strings costs far more gas than the model's typical 96 bytes: under a 4M
    cap the node runs out of gas, and the reader splits chunks and ranges until they fit."""
    w = world
    caplog.set_level(logging.DEBUG, logger="ogpu_widgets.read")
    tasks = [w.t_holes, w.t_long, w.t_confirmed]
    reference = load(w, "batch", tasks=tasks)
    capped = w.net.with_settings(call_gas_cap=4_000_000)
    pd.testing.assert_frame_equal(load(w, "lens", tasks=tasks, network=capped), reference)
    assert "was too much (EVM error OutOfGas" in caplog.text
    assert "lens refused" not in caplog.text


@pytest.mark.parametrize("cap", [900_000, 3_000_000, 50_000_000])
def test_planned_chunks_fit_under_the_gas_cap(world, cap):
    """The gas model (per item: reads, code deposit of its output) sizes every chunk so that a
    real node reads all of it under the cap, without stopping early or running out of gas."""
    w = world
    s = session.Session(w.net.with_settings(call_gas_cap=cap), "lens")
    ranges = [Range(k, t, 0, 3) for k, t in enumerate(w.bulk)]  # <= 4 responses each
    cases = [
        (lens.TASKS_OP, w.bulk + w.manual_tasks),
        (lens.RESPONSES_OP, [*w.holes, *w.confirmed, w.first, *w.expiring]),
        (lens.SLOTS_DETAILED_OP, s.slot_parts(ranges, True)),
        (lens.SLOTS_OP, s.slot_parts(ranges, False)),
        (lens.SOURCES_OP, [w.src_manual, w.src_first, w.src_empty, w.src_other]),
        (lens.SOURCE_TASKS_OP, [Range(0, w.src_manual, 0, 6), Range(1, w.src_manual, 2, 6)]),
    ]
    for op, items in cases:
        chunks = lens.plan(op, list(enumerate(items)), len(items), cap)
        for chunk in chunks:
            words = [op.word(item) for _, item in chunk]
            data = lens.lens_data(op.mode, words)
            result = s.call("eth_call", [{"data": data, "gas": hex(cap)}, "latest"])
            _, done, _ = lens.lens_output(bytes.fromhex(result[2:]))
            assert done == len(chunk), (op.mode, cap, len(chunk))
        if cap == 50_000_000:
            assert len(chunks) == 1, op.mode  # only the output limit binds at 50M gas


def test_source_and_nexus_paging(world, monkeypatch):
    """Sources' task lists read in pages (getTasks from 0, then tasks(i)), Nexus in pages."""
    w = world
    reference = {p: load(w, p, client=w.client) for p in ("lens", "batch")}
    monkeypatch.setattr(calls, "SOURCE_PAGE", 3)
    monkeypatch.setattr(lens, "NEXUS_PAGE", 2)
    for path in ("lens", "batch"):
        pd.testing.assert_frame_equal(load(w, path, client=w.client), reference[path])


# ---- refusals, fallbacks, retries ---------------------------------------------------------------


def refuse_deployless(payload, n):
    if not any(is_deployless(c) for c in calls_of(payload)):
        return None
    error = {"code": -32000, "message": "contract creation is not allowed in eth_call"}
    replies = [{"jsonrpc": "2.0", "id": c["id"], "error": error} for c in calls_of(payload)]
    return 200, replies if isinstance(payload, list) else replies[0]


def refuse_batches(payload, n):
    if isinstance(payload, list):
        error = {"code": -32600, "message": "batch requests are not supported"}
        return 200, {"jsonrpc": "2.0", "id": None, "error": error}
    return None


def test_a_node_refusing_deployless_calls_falls_back_to_batches(world, caplog):
    w = world
    caplog.set_level(logging.DEBUG, logger="ogpu_widgets.read")
    reference = load(w, tasks=w.bulk[:6])
    with Proxy(w.dev.rpc_url, refuse_deployless) as proxy:
        net = w.net.with_settings(rpc_url=proxy.url)
        pd.testing.assert_frame_equal(load(w, tasks=w.bulk[:6], network=net), reference)
        assert "lens refused" in caplog.text
        with pytest.raises(ReadError, match="does not run the read lens"):
            load(w, "lens", tasks=w.bulk[:6], network=net)


def test_a_gas_cap_below_one_item_falls_back_or_raises(world, caplog):
    """The node really refuses: 200k gas is below the lens creation's intrinsic gas plus one
    task. 'auto' falls back to batches; a forced lens raises a clear ReadError."""
    w = world
    caplog.set_level(logging.DEBUG, logger="ogpu_widgets.read")
    tiny = w.net.with_settings(call_gas_cap=200_000)
    reference = load(w, tasks=w.bulk[:6])
    pd.testing.assert_frame_equal(load(w, tasks=w.bulk[:6], network=tiny), reference)
    assert "lens refused" in caplog.text
    with pytest.raises(ReadError, match="read lens"):
        load(w, "lens", tasks=w.bulk[:6], network=w.net.with_settings(call_gas_cap=200_000))


def test_a_node_refusing_batches_gets_single_requests(world):
    w = world
    reference = load(w, tasks=w.bulk[:6])
    with Proxy(w.dev.rpc_url, refuse_batches) as proxy:
        net = w.net.with_settings(rpc_url=proxy.url)
        pd.testing.assert_frame_equal(load(w, tasks=w.bulk[:6], network=net), reference)
        with pytest.raises(ReadError, match="refuses JSON-RPC batch"):
            load(w, "batch", tasks=w.bulk[:6], network=net)
        pd.testing.assert_frame_equal(load(w, "call", tasks=w.bulk[:6], network=net), reference)


def test_transient_failures_are_retried(world):
    w = world
    reference = load(w, tasks=w.bulk[:6])

    def flaky(payload, n):
        if n % 2 == 0:  # every other request fails: 503 or a rate-limit reply
            if n % 4 == 0:
                return 503, {"error": "busy"}
            error = {"code": -32005, "message": "rate limit exceeded"}
            if isinstance(payload, list):
                return 200, [{"jsonrpc": "2.0", "id": c["id"], "error": error} for c in payload]
            return 200, {"jsonrpc": "2.0", "id": payload["id"], "error": error}
        return None

    with Proxy(w.dev.rpc_url, flaky) as proxy:
        net = w.net.with_settings(rpc_url=proxy.url)
        for path in ("auto", "batch"):
            pd.testing.assert_frame_equal(load(w, path, tasks=w.bulk[:6], network=net), reference)


def test_a_chunk_that_keeps_failing_raises_and_returns_nothing(world):
    w = world

    def dies_after_three(payload, n):
        return (503, {"error": "down"}) if n > 3 else None

    with Proxy(w.dev.rpc_url, dies_after_three) as proxy:
        net = w.net.with_settings(rpc_url=proxy.url)
        with pytest.raises(NodeUnavailableError, match="3 attempts") as info:
            load(w, tasks=w.bulk, network=net)
        assert isinstance(info.value, ReadError)


# ---- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("selector", "error", "named"),
    [
        ({}, SelectorError, "no selector"),
        ({"tasks": []}, SelectorError, "tasks is empty"),
        ({"source": ""}, SelectorError, "source is empty"),
        ({"client": " "}, SelectorError, "client is empty"),
        ({"tasks": ["0x1"], "source": "0x2"}, SelectorError, "more than one selector"),
        ({"tasks": 42}, SelectorError, "42"),
        ({"tasks": ["0x1234"]}, InvalidAddressError, "'0x1234'"),
        ({"source": "not an address"}, InvalidAddressError, "'not an address'"),
        ({"client": "0x" + "g" * 40}, InvalidAddressError, "0xggg"),
    ],
)
def test_bad_selectors(world, selector, error, named):
    with pytest.raises(error, match=named) as info:
        load(world, **selector)
    assert isinstance(info.value, OgpuWidgetsError)


@pytest.mark.parametrize("path", PATHS)
def test_addresses_that_are_not_what_they_should_be(world, path):
    w = world
    eoa = w.dev.stranger.address
    with pytest.raises(NotAContractError, match=eoa):
        load(w, path, tasks=[w.t_holes, eoa])
    with pytest.raises(NotATaskError, match=w.src_manual):
        load(w, path, tasks=[w.src_manual])
    with pytest.raises(NotATaskError, match=w.holes[0]):
        load(w, path, tasks=[w.holes[0]])  # a response is not a task
    with pytest.raises(NotASourceError, match=w.t_holes):
        load(w, path, source=w.t_holes)
    with pytest.raises(NotAContractError, match=eoa):
        load(w, path, source=eoa)
    with pytest.raises(NotAResponseError, match=w.t_holes):
        read.read_responses([w.holes[0], w.t_holes], network=w.net, read_path=path)
    with pytest.raises(NotAContractError, match=eoa):
        read.read_responses([eoa], network=w.net, read_path=path)
    with pytest.raises(NotATaskError, match=w.dev.contracts["nexus"]):
        read.get_task_responses(w.dev.contracts["nexus"], network=w.net, read_path=path)


def test_other_bad_arguments(world):
    w = world
    with pytest.raises(InvalidRangeError, match="lower=-1"):
        read.get_task_responses(w.t_holes, -1, network=w.net)
    with pytest.raises(InvalidRangeError, match="upper='3'"):
        read.get_task_responses(w.t_holes, 0, "3", network=w.net)
    with pytest.raises(InvalidAddressError, match="'0xabc'"):
        read.get_task_responses("0xabc", network=w.net)
    with pytest.raises(InvalidArgumentError, match="read_path='fast'"):
        load(w, "fast", tasks=[w.t_holes])
    with pytest.raises(InvalidAddressError, match="'nope'"):
        read.read_responses(["nope"], network=w.net)


def test_a_node_on_another_chain(world):
    w = world
    wrong = Network.custom(
        w.dev.rpc_url,
        chain_id=1071,
        nexus=w.net.nexus,
        controller=w.net.controller,
        vault=w.net.vault,
        name="mainnet-lookalike",
    )
    with pytest.raises(WrongChainError, match="chain 31337.*1071"):
        load(w, tasks=[w.t_holes], network=wrong)


# ---- network argument forms and the progress bar -------------------------------------------------


def test_network_argument_forms(world, tmp_path):
    w = world
    reference = load(w, tasks=[w.t_holes])
    state = w.dev.write_state(tmp_path / "devnet.json")
    pd.testing.assert_frame_equal(load(w, tasks=[w.t_holes], network=w.dev), reference)
    pd.testing.assert_frame_equal(load(w, tasks=[w.t_holes], network=str(state)), reference)
    pd.testing.assert_frame_equal(load(w, tasks=[w.t_holes], network=state), reference)
    ow.set_default_network(state)
    try:
        got = read.load_responses(tasks=[w.t_holes], progress=False)
        pd.testing.assert_frame_equal(got, reference)
        assert [r.address for r in read.get_task_responses(w.t_holes)] == w.holes
    finally:
        ow.set_default_network(None)


def test_progress_bar(world, monkeypatch, capsys):
    w = world
    monkeypatch.setattr(calls, "PROGRESS_MIN_TASKS", 2)
    read.load_responses(tasks=w.bulk[:4], network=w.net)
    assert "responses of 4 tasks" in capsys.readouterr().err
    read.load_responses(tasks=w.bulk[:4], network=w.net, progress=False)
    read.load_responses(tasks=w.bulk[:1], network=w.net)  # below the threshold
    assert capsys.readouterr().err == ""


# ---- the official SDK reads the same ---------------------------------------------------------


def test_get_task_responses_agrees_with_the_official_sdk(monkeypatch):
    pytest.importorskip("ogpu")
    import ogpu.client

    with sdk_on_devnet(monkeypatch) as dev:
        src = dev.publish_source("manual")
        task = dev.publish_task(src)
        for k in range(5):
            if k in (1, 3):
                dev.attempt(task, k)
            else:
                dev.respond(task, k, data=f"ipfs://sdk-{k}")
        dev.confirm(dev.call("Task", task, "responseOf", dev.providers[2].address))
        net = dev.network
        for lower, upper in [(0, None), (1, 4), (2, 3), (3, 5), (4, None)]:
            theirs = ogpu.client.get_task_responses(task, lower, upper)
            ours = read.get_task_responses(task, lower, upper, network=net)
            assert [r.address for r in ours] == [r.address for r in theirs]
            for mine, sdk in zip(ours, theirs, strict=True):
                params = sdk.get_params()
                assert (mine.provider, mine.data, mine.payment) == (
                    params.provider, params.data, params.payment,
                )  # fmt: skip
                assert mine.status == sdk.get_status().name.lower()
                assert mine.confirmed == sdk.is_confirmed()
                assert mine.timestamp == sdk.get_timestamp()


# ---- publication times -------------------------------------------------------------------------


def test_task_publications(world):
    w, dev = world, world.dev
    df = read.task_publications(network=w.net)
    assert list(df.columns) == ["source", "block", "published"]
    assert df.index.name == "address" and str(df["published"].dtype) == "datetime64[ns, UTC]"
    assert set(w.client_tasks) | {w.t_other} <= set(df.index)
    assert df.at[w.t_first, "source"] == w.src_first
    block = dev.rpc("eth_getBlockByNumber", [hex(int(df.at[w.t_holes, "block"])), False])
    assert df.at[w.t_holes, "published"] == chain_time(int(block["timestamp"], 16))
    tasks = load(w, tasks=[w.t_holes])
    assert (tasks["timestamp"] >= df.at[w.t_holes, "published"]).all()
    some = read.task_publications([w.t_first, w.t_holes], network=w.net)
    assert list(some.index) == [w.t_holes, w.t_first]  # log order
    pd.testing.assert_frame_equal(some, df.loc[[w.t_holes, w.t_first]])


def test_task_publications_halve_the_window_when_the_node_refuses_a_range(world, caplog):
    w = world
    caplog.set_level(logging.DEBUG, logger="ogpu_widgets.read")
    reference = read.task_publications(network=w.net)

    def max_four_blocks(payload, n):
        for call in calls_of(payload):
            if call["method"] == "eth_getLogs":
                q = call["params"][0]
                if int(q["toBlock"], 16) - int(q["fromBlock"], 16) + 1 > 4:
                    error = {"code": -32005, "message": "query exceeds max block range 4"}
                    return 200, {"jsonrpc": "2.0", "id": call["id"], "error": error}
        return None

    with Proxy(w.dev.rpc_url, max_four_blocks) as proxy:
        net = w.net.with_settings(rpc_url=proxy.url, log_window=1000)
        pd.testing.assert_frame_equal(read.task_publications(network=net), reference)
        assert "window now 3" in caplog.text  # 1000 -> 500 -> ... -> 7 -> 3

    def no_logs(payload, n):
        for call in calls_of(payload):
            if call["method"] == "eth_getLogs":
                error = {"code": -32000, "message": "logs are disabled"}
                return 200, {"jsonrpc": "2.0", "id": call["id"], "error": error}
        return None

    with Proxy(w.dev.rpc_url, no_logs) as proxy:
        net = w.net.with_settings(rpc_url=proxy.url, log_window=8)
        with pytest.raises(ReadError, match="eth_getLogs of block 0 failed"):
            read.task_publications(network=net)
