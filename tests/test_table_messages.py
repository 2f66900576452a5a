"""What the table answers the front-end about messages a person acts on: the fee estimate's
predicted refusal (typed, with the rule's label and a one-line summary), and exact wei for the
export, the detail view and tooltips."""

from __future__ import annotations

import pytest
from support import until
from test_table import attach, custom_from_js, world  # noqa: F401

from ogpu_widgets.table import ResponseTable
from ogpu_widgets.table.messages import SUMMARIES


def answer(comm, kind: str, rid: str) -> dict:
    return until(
        lambda: next((c for c in comm.customs() if c["type"] == kind and c["id"] == rid), None),
        what=f"the {kind} answer",
    )


@pytest.mark.parametrize("signer", ["key", "browser"])
def test_an_estimate_that_predicts_a_refusal_says_so(devnet, world, signer):  # noqa: F811
    """The same answer whoever signs: a kernel key, or the page's wallet (no key)."""
    account = devnet.client.private_key if signer == "key" else "browser"
    t = ResponseTable(world["df"], network=devnet.network, account=account, live=False)
    comm = attach(t)
    custom_from_js(t, {"type": "estimate", "id": "ok", "response": world["responses"][0]})
    fine = answer(comm, "estimate", "ok")
    assert fine["refusal"] is None and fine["fee_ogpu"] > 0
    assert fine["fee_wei"].isdigit() and int(fine["fee_wei"]) > 0
    devnet.confirm(world["responses"][1])  # finalized behind the table's back
    custom_from_js(t, {"type": "estimate", "id": "no", "response": world["responses"][0]})
    refused = answer(comm, "estimate", "no")
    assert refused["fee_ogpu"] is None and "finaliz" in refused["error"].lower()
    assert refused["refusal"] == {
        "label": "task finalized",
        "kind": "TaskFinalizedError",
        "summary": SUMMARIES["task finalized"],
    }
    assert "\n" not in refused["refusal"]["summary"] and "0x" not in refused["refusal"]["summary"]


def test_a_read_only_estimate_is_the_read_only_rule(devnet, world):  # noqa: F811
    t = ResponseTable(world["df"], network=devnet.network, live=False)
    comm = attach(t)
    custom_from_js(t, {"type": "estimate", "id": "ro", "response": world["responses"][0]})
    reply = answer(comm, "estimate", "ro")
    assert reply["refusal"]["label"] == "read-only"


def test_exact_wei_for_every_row_and_for_some(devnet, world):  # noqa: F811
    df = world["df"].copy()
    big = 10**30 + 7  # more than a float or a uint64 can carry
    df.loc[world["responses"][0], "payment"] = big
    t = ResponseTable(df, network=devnet.network, live=False)
    comm = attach(t)
    custom_from_js(t, {"type": "wei", "id": "all"})
    every = answer(comm, "wei", "all")
    assert every["addresses"] is None and every["error"] == ""
    assert every["values"] == [str(int(v)) for v in df["payment"]]
    assert str(big) in every["values"]
    asked = [world["responses"][0].lower(), "0x" + "12" * 20, "nonsense", 7]
    custom_from_js(t, {"type": "wei", "id": "some", "addresses": asked})
    some = answer(comm, "wei", "some")
    assert some["values"] == [str(big), None, None, None]
    assert some["addresses"][0] == world["responses"][0]


@pytest.mark.parametrize("rid", [None, "", 7, "x" * 500])
def test_a_wei_request_without_a_usable_id(devnet, world, rid):  # noqa: F811
    t = ResponseTable(world["df"], network=devnet.network, live=False)
    comm = attach(t)
    custom_from_js(t, {"type": "wei", "id": rid})
    assert comm.customs()[-1] == {
        "type": "wei",
        "id": "",
        "error": "a wei request needs a string id",
    }
