"""ResponseTable's Python side, with front-end messages delivered the way the comm does."""

from __future__ import annotations

import json
import struct

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from support import until

import ogpu_widgets as ow
from ogpu_widgets.chain.codec import to_address
from ogpu_widgets.errors import NotTaskClientError, TaskFinalizedError
from ogpu_widgets.table import ResponseTable, ResponseTableError


class FakeComm:
    """Stands in for the kernel's comm: records what Python sends to the front-end."""

    kernel = object()
    comm_id = "fake"

    def __init__(self) -> None:
        self.sent: list[tuple[dict, list]] = []

    def send(self, data=None, buffers=None, **_):
        self.sent.append((data, list(buffers or [])))

    def close(self, *a, **k):
        pass

    def on_msg(self, *a, **k):
        pass

    def size(self, i: int) -> int:
        data, buffers = self.sent[i]
        return len(json.dumps(data, default=str)) + sum(len(bytes(b)) for b in buffers)

    def states(self):
        return [d["state"] for d, _ in self.sent if d.get("method") == "update"]

    def sent_keys(self) -> set[str]:
        """Every trait name sent, binary ones (which travel as buffers) included."""
        keys = set()
        for data, _ in self.sent:
            if data.get("method") == "update":
                keys |= set(data["state"]) | {p[0] for p in data.get("buffer_paths", [])}
        return keys

    def customs(self):
        return [d["content"] for d, _ in self.sent if d.get("method") == "custom"]


def attach(table: ResponseTable) -> FakeComm:
    comm = FakeComm()
    table.comm = comm
    return comm


def from_js(table: ResponseTable, **state) -> None:
    """Deliver a state update from the front-end, as the comm does."""
    buffers, paths = [], []
    for key, value in list(state.items()):
        if isinstance(value, dict) and isinstance(value.get("positions"), bytes | memoryview):
            buffers.append(memoryview(value["positions"]))
            paths.append([key, "positions"])
            state[key] = {**value, "positions": None}
    table._handle_msg(
        {"content": {"data": {"method": "update", "state": state, "buffer_paths": paths}},
         "buffers": buffers}
    )  # fmt: skip


def custom_from_js(table: ResponseTable, content: dict) -> None:
    table._handle_msg(
        {"content": {"data": {"method": "custom", "content": content}}, "buffers": []}
    )


def rows_of(table: ResponseTable) -> pa.Table:
    return pa.ipc.open_stream(table._rows).read_all()


def unpack_address(packed: bytes) -> str:
    """The front-end's decoding of the packed address column (20 bytes + 40-bit case mask)."""
    digits = packed[:20].hex()
    mask = int.from_bytes(packed[20:25], "little")
    return "0x" + "".join(c.upper() if mask >> i & 1 else c for i, c in enumerate(digits))


def row(table: ResponseTable, address: str) -> dict:
    """The front-end's view of a row: the snapshot with every patch applied."""
    t = rows_of(table).to_pylist()
    for r in t:
        r["address"] = unpack_address(r["address"])
        r.setdefault("action", "")
    current = next(r for r in t if r["address"] == address)
    for addr, fields in table._overrides.items():
        if addr == address:
            current.update(fields)
    return current


@pytest.fixture
def world(devnet):
    """A manual task with 3 responses, a first-response task, and the client's table."""
    manual = devnet.publish_source("manual")
    first = devnet.publish_source("first")
    task = devnet.publish_task(manual, payment_ogpu=2)
    responses = [devnet.respond(task, i) for i in range(3)]
    ftask = devnet.publish_task(first, payment_ogpu=1)
    fresp = devnet.respond(ftask, 0)
    df = ow.load_responses(tasks=[task, ftask], network=devnet.network, progress=False)
    return {"task": task, "responses": responses, "ftask": ftask, "fresp": fresp, "df": df}


def nonce(devnet, address):
    return devnet.w3().eth.get_transaction_count(address)


def test_packed_addresses_round_trip_exactly(devnet, world):
    t = ResponseTable(world["df"], network=devnet.network)
    decoded = [unpack_address(a) for a in rows_of(t).column("address").to_pylist()]
    assert decoded == list(world["df"].index)


def test_built_from_selectors_or_a_dataframe(devnet, world):
    by_tasks = ResponseTable(tasks=[world["task"]], network=devnet.network)
    assert set(by_tasks.df.index) == set(world["responses"])
    from_df = ResponseTable(world["df"], network=devnet.network)
    assert list(from_df.df.index) == list(world["df"].index)
    assert [c["name"] for c in from_df.columns][:3] == ["address", "task", "provider"]
    assert rows_of(from_df).num_rows == len(world["df"])


def test_bad_construction(devnet, world):
    with pytest.raises(ResponseTableError, match="not both"):
        ResponseTable(world["df"], tasks=[world["task"]], network=devnet.network)
    with pytest.raises(ResponseTableError, match="needs rows"):
        ResponseTable(network=devnet.network)
    with pytest.raises(ResponseTableError, match="lacks column"):
        ResponseTable(world["df"].drop(columns=["task"]), network=devnet.network)
    twice = pd.concat([world["df"], world["df"].assign(data="other")])
    with pytest.raises(ResponseTableError, match="twice .* different 'data'"):
        ResponseTable(twice, network=devnet.network)
    with pytest.raises(ResponseTableError, match="DataFrame"):
        ResponseTable([1, 2], network=devnet.network)
    with pytest.raises(ResponseTableError, match="cannot show column"):
        ResponseTable(world["df"], network=devnet.network, columns=["address", "nope"])
    shown = ResponseTable(world["df"], network=devnet.network, columns=["address", "source"])
    assert [c["name"] for c in shown.columns] == ["address", "source"]


def test_read_only_without_a_signer(devnet, world, monkeypatch):
    monkeypatch.delenv("CLIENT_PRIVATE_KEY", raising=False)
    t = ResponseTable(world["df"], network=devnet.network)
    assert t.read_only and t.account == ""
    assert {r["reason"] for r in rows_of(t).to_pylist()} == {"read-only"}
    assert not any(r["can_confirm"] for r in rows_of(t).to_pylist())


def test_disabled_reasons(devnet, world):
    t = ResponseTable(world["df"], network=devnet.network, account=devnet.client.private_key)
    assert row(t, world["responses"][0])["can_confirm"] is True
    assert row(t, world["fresp"])["reason"] == "first-response source"
    stranger = ResponseTable(
        world["df"], network=devnet.network, account=devnet.stranger.private_key
    )
    assert row(stranger, world["responses"][0])["reason"] == "not the client"
    with pytest.raises(NotTaskClientError):
        stranger.confirm(world["responses"][0])


def test_confirm_button_request_end_to_end(devnet, world):
    t = ResponseTable(world["df"], network=devnet.network, account=devnet.client.private_key)
    comm = attach(t)
    seen = []
    t.on_confirmed(seen.append)
    target, others = world["responses"][1], [world["responses"][0], world["responses"][2]]
    provider = devnet.providers[1].address
    before = devnet.call("Vault", devnet.contracts["vault"], "balanceOf", provider)

    from_js(t, _confirm_request={"id": "req-1", "response": target})
    assert t._reply == {"id": "req-1", "ok": True, "error": ""}
    assert t.wait_idle(60)

    # on chain, not from our own state
    assert devnet.call("Task", world["task"], "getStatus") == 5
    assert devnet.call("Response", target, "confirmedFinal") is True
    after = devnet.call("Vault", devnet.contracts["vault"], "balanceOf", provider)
    assert after - before == 2 * 10**18
    # the row went signing -> pending -> confirmed, as patches keyed by address
    actions = [
        s["_patch"]["rows"][target].get("action")
        for s in comm.states()
        if "_patch" in s and target in s["_patch"]["rows"]
    ]
    actions = [a for a in actions if a]
    assert actions[0] == "signing" and "pending" in actions and actions[-1] == "mined"
    assert row(t, target)["status"] == "confirmed" and row(t, target)["tx_hash"].startswith("0x")
    for other in others:
        assert row(t, other)["task_status"] == "finalized"
        assert row(t, other)["can_confirm"] is False and row(t, other)["reason"] == "task finalized"
    assert t.df.loc[target, "confirmed"] and t.df.loc[target, "status"] == "confirmed"
    assert list(t.confirmations) == [target] and seen and seen[0].tx_hash
    assert "_patch" in comm.sent_keys()
    assert "_rows" not in comm.sent_keys()  # never the whole table again


def test_unknown_address_and_replayed_ids_are_refused(devnet, world):
    t = ResponseTable(world["df"], network=devnet.network, account=devnet.client.private_key)
    before = nonce(devnet, devnet.client.address)
    from_js(t, _confirm_request={"id": "a", "response": "0x" + "12" * 20})
    assert t._reply["id"] == "a" and not t._reply["ok"] and "not a row" in t._reply["error"]
    from_js(t, _confirm_request={"id": "b", "response": "not-an-address"})
    assert not t._reply["ok"] and "not a valid address" in t._reply["error"]
    from_js(t, _confirm_request={"id": "c", "response": world["responses"][0]})
    assert t._reply["ok"]
    t.wait_idle(60)
    from_js(t, _confirm_request={"id": "c", "response": world["responses"][0]})
    assert not t._reply["ok"] and "already handled" in t._reply["error"]
    assert nonce(devnet, devnet.client.address) == before + 1


def test_request_for_a_finalized_task_sends_nothing(devnet, world):
    t = ResponseTable(world["df"], network=devnet.network, account=devnet.client.private_key)
    devnet.confirm(world["responses"][2])  # finalized behind the table's back
    before = nonce(devnet, devnet.client.address)
    from_js(t, _confirm_request={"id": "x", "response": world["responses"][0]})
    t.wait_idle(60)
    assert row(t, world["responses"][0])["action"] == "refused"
    assert "finaliz" in row(t, world["responses"][0])["action_error"].lower()
    assert nonce(devnet, devnet.client.address) == before
    with pytest.raises(TaskFinalizedError):
        t.confirm(world["responses"][0])  # the table now knows the task is final
    # a first-response row is refused up front
    from_js(t, _confirm_request={"id": "y", "response": world["fresp"]})
    assert not t._reply["ok"] and "confirmed" in t._reply["error"]


def test_selection_both_ways(devnet, world):
    t = ResponseTable(world["df"], network=devnet.network)
    comm = attach(t)
    a, b = world["responses"][:2]
    from_js(t, selected_keys=[a, b])
    assert list(t.selected.index) == [a, b]
    assert not any("selected_keys" in s for s in comm.states())  # no echo back
    t.select([b])
    assert t.selected_keys == [b] and comm.states()[-1] == {"selected_keys": [b]}
    with pytest.raises(ResponseTableError):
        t.select(["0x" + "34" * 20])
    from_js(t, selected_keys=[a, "0x" + "56" * 20])  # unknown keys are dropped
    assert t.selected_keys == [a]


def test_view_follows_the_front_end(devnet, world):
    t = ResponseTable(world["df"], network=devnet.network)
    assert list(t.view.index) == list(world["df"].index)
    positions = [2, 0]
    from_js(t, _view={"all": False, "positions": struct.pack("<2I", *positions)})
    keys = list(world["df"].index)
    assert list(t.view.index) == [keys[2], keys[0]]
    from_js(t, _view={"all": True, "positions": b""})
    assert len(t.view) == len(world["df"])


def test_key_never_in_widget_state_or_repr(devnet, world):
    key = devnet.client.private_key
    t = ResponseTable(world["df"], network=devnet.network, account=key)
    state = t.get_state()
    blob = json.dumps(
        {k: v for k, v in state.items() if not isinstance(v, bytes | memoryview)}, default=str
    )
    assert key.lower().removeprefix("0x") not in blob.lower()
    assert key.lower().removeprefix("0x").encode() not in bytes(state["_rows"]).lower()
    assert key[2:] not in repr(t) and t.account == devnet.client.address


def test_fee_estimate_and_resync_messages(devnet, world):
    t = ResponseTable(world["df"], network=devnet.network, account=devnet.client.private_key)
    comm = attach(t)
    custom_from_js(t, {"type": "estimate", "id": "e1", "response": world["responses"][0]})
    reply = until(comm.customs, 30, "the estimate's answer")[0]
    assert reply["id"] == "e1" and reply["error"] == "" and reply["fee_ogpu"] > 0
    t.confirm(world["responses"][0], wait=True)
    custom_from_js(t, {"type": "resync"})
    patch = comm.states()[-1]["_patch"]
    assert patch["rows"][world["responses"][0]]["action"] == "mined"


def test_transport_budget(devnet):
    """10,000 rows cost at most 1.5 MB on the comm; a one-row change at most 2 KB."""
    n = 10_000
    rng = np.random.default_rng(1)
    addr = lambda i, salt: "0x" + f"{salt:02x}{i:038x}"  # noqa: E731
    tasks = [to_address(addr(i // 10, 1)) for i in range(n)]
    df = pd.DataFrame(
        {
            "task": tasks,
            "provider": [to_address(addr(i % 10, 2)) for i in range(n)],
            "data": [f"ipfs://bafybei{rng.integers(1 << 62):016x}{i:036x}" for i in range(n)],
            "payment": [10**18 + i for i in range(n)],
            "payment_ogpu": [(10**18 + i) / 1e18 for i in range(n)],
            "status": pd.Categorical(["submitted"] * n, ["submitted", "confirmed"]),
            "confirmed": [False] * n,
            "timestamp": pd.to_datetime(1_700_000_000 + np.arange(n), unit="s", utc=True),
            "task_status": pd.Categorical(["responded"] * n),
            "delivery_method": pd.Categorical(["manual_confirmation"] * n),
            "task_expiry": pd.to_datetime([1_900_000_000] * n, unit="s", utc=True),
            "source": [to_address(addr(0, 3))] * n,
            "client": [devnet.client.address] * n,
        },
        index=pd.Index([to_address(addr(i, 4)) for i in range(n)], name="address"),
    )
    t = ResponseTable(df, network=devnet.network, account=devnet.client.private_key)
    comm = attach(t)
    t.send_state()
    data, buffers = comm.sent[0]
    state = {k: v for k, v in data["state"].items() if k not in ("_esm", "_css")}
    # the rows' cost; the front-end bundle (_esm) is a fixed cost of every anywidget
    rows_cost = len(json.dumps(state, default=str)) + sum(len(bytes(b)) for b in buffers)
    assert rows_cost <= 1_500_000, rows_cost
    first = df.index[0]
    t._core.patch_rows({first: {"action": "pending", "tx_hash": "0x" + "ab" * 32}})
    assert comm.size(1) <= 2_000, comm.size(1)


def test_refresh_rereads_the_chain(devnet, world):
    t = ResponseTable(tasks=[world["task"]], network=devnet.network)
    comm = attach(t)
    version = t._rows_version
    late = devnet.respond(world["task"], 5)  # a provider answers after the table was built
    assert late not in t.df.index
    t.refresh()
    assert late in t.df.index and t._rows_version == version + 1
    assert "_rows" in comm.sent_keys()
    from_df = ResponseTable(t.df.drop(index=late), network=devnet.network)
    devnet.confirm(late)
    from_df.refresh()  # a table built from a DataFrame re-reads its own rows
    assert late in from_df.df.index  # refresh re-reads the tasks in scope
    assert set(from_df.df["task_status"]) == {"finalized"}
