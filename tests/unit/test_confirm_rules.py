"""THE one set of refusal rules (no chain): each rule, their fixed order, and the typed error
of each label."""

from __future__ import annotations

import numpy as np
import pytest

from ogpu_widgets.confirm import LABELS, Facts, verdicts
from ogpu_widgets.errors import (
    AlreadyConfirmedError,
    ConfirmationError,
    ConfirmationInFlightError,
    FirstResponseSourceError,
    MissingSignerError,
    NotTaskClientError,
    TaskCanceledError,
    TaskExpiredError,
    TaskFinalizedError,
)

CLIENT = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
OTHER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
NOW = 1_700_000_000


def facts(**rows):
    base = dict(confirmed=False, task_status="responded", delivery="manual_confirmation",
                expiry=NOW + 3600, client=CLIENT, pending=False)  # fmt: skip
    n = max(len(v) for v in rows.values()) if rows else 1
    cols = {k: rows.get(k, [v] * n) for k, v in base.items()}
    return Facts(
        confirmed=np.array(cols["confirmed"], dtype=bool),
        task_status=np.array(cols["task_status"], dtype=object),
        delivery=np.array(cols["delivery"], dtype=object),
        expiry=np.array(cols["expiry"], dtype=float),
        client=np.array(cols["client"], dtype=object),
        pending=np.array(cols["pending"], dtype=bool),
    )


def test_labels_map_to_typed_errors_in_the_fixed_order():
    assert list(LABELS) == [
        "read-only",
        "first-response source",
        "confirmed",
        "task finalized",
        "task canceled",
        "task expired",
        "not the client",
        "confirmation pending",
    ]
    assert {
        "read-only": MissingSignerError,
        "first-response source": FirstResponseSourceError,
        "confirmed": AlreadyConfirmedError,
        "task finalized": TaskFinalizedError,
        "task canceled": TaskCanceledError,
        "task expired": TaskExpiredError,
        "not the client": NotTaskClientError,
        "confirmation pending": ConfirmationInFlightError,
    } == LABELS
    assert all(issubclass(e, ConfirmationError) for e in LABELS.values())


def test_a_confirmable_response_gets_an_empty_verdict():
    v = verdicts(facts(), signer=CLIENT, now=NOW)
    assert v.dtype == object and list(v) == [""]
    for status in ("new", "attempted", "responded"):
        assert verdicts(facts(task_status=[status]), signer=CLIENT, now=NOW)[0] == ""


@pytest.mark.parametrize(
    ("row", "label"),
    [
        ({"delivery": ["first_response"]}, "first-response source"),
        ({"confirmed": [True]}, "confirmed"),
        ({"task_status": ["finalized"]}, "task finalized"),
        ({"task_status": ["canceled"]}, "task canceled"),
        ({"task_status": ["expired"]}, "task expired"),
        ({"expiry": [NOW - 1]}, "task expired"),
        ({"client": [OTHER]}, "not the client"),
        ({"pending": [True]}, "confirmation pending"),
    ],
)
def test_each_rule(row, label):
    assert verdicts(facts(**row), signer=CLIENT, now=NOW)[0] == label


def test_no_signer_is_read_only_before_anything_else():
    v = verdicts(facts(confirmed=[True, False], client=[OTHER, CLIENT]), signer=None, now=NOW)
    assert list(v) == ["read-only", "read-only"]


def test_expiry_counts_only_when_set_and_the_task_is_open():
    f = facts(
        expiry=[0, np.nan, NOW - 1, NOW - 1, NOW, NOW - 1],
        task_status=["responded", "responded", "new", "attempted", "responded", "canceled"],
    )
    assert list(verdicts(f, signer=CLIENT, now=NOW)) == [
        "", "", "task expired", "task expired", "", "task canceled",
    ]  # fmt: skip


def test_the_first_failing_rule_wins_in_the_fixed_order():
    everything = dict(delivery="first_response", confirmed=True, task_status="finalized",
                      expiry=NOW - 1, client=OTHER, pending=True)  # fmt: skip
    order = list(LABELS)[1:]
    # drop the failing facts one at a time, from the first rule on: the next label shows
    cleared = {"delivery": "manual_confirmation", "confirmed": False,
               "task_status": "responded", "expiry": NOW + 10, "client": CLIENT,
               "pending": False}  # fmt: skip
    keys = ["delivery", "confirmed", "task_status", "task_status", "expiry", "client", "pending"]
    rows = []
    state = dict(everything)
    for i, key in enumerate(keys):
        rows.append(dict(state))
        if key == "task_status" and i == 2:
            state[key] = "canceled"  # finalized -> canceled: the next rule
        elif key == "task_status":
            state[key] = "expired"  # canceled -> expired (expiry still past)
        else:
            state[key] = cleared[key]
        if key == "expiry":
            state["task_status"] = "responded"
    f = facts(**{k: [r[k] for r in rows] for k in everything})
    got = list(verdicts(f, signer=CLIENT, now=NOW))
    assert got == order[: len(got)]
    assert got[0] == "first-response source" and got[-1] == "confirmation pending"


def test_vectorized_over_many_rows_and_lenient_inputs():
    n = 10_000
    f = Facts(
        confirmed=np.zeros(n, dtype=bool),
        task_status=np.array(["responded"] * n),
        delivery=np.array(["manual_confirmation"] * n),
        expiry=np.full(n, np.nan),
        client=np.array([CLIENT] * (n - 1) + [OTHER]),
        pending=np.array([None] * n, dtype=object),  # None counts as not pending
    )
    v = verdicts(f, signer=CLIENT, now=NOW)
    assert (v[:-1] == "").all() and v[-1] == "not the client"


def test_arrays_of_different_lengths_are_refused():
    f = Facts(
        confirmed=np.array([False, False]),
        task_status=np.array(["responded"]),
        delivery=np.array(["manual_confirmation"] * 2),
        expiry=np.array([0.0, 0.0]),
        client=np.array([CLIENT] * 2),
        pending=np.array([False, False]),
    )
    with pytest.raises(ValueError, match="length"):
        verdicts(f, signer=CLIENT, now=NOW)


def test_one_response_facts():
    f = Facts.one(confirmed=False, task_status="responded", delivery="manual_confirmation",
                  expiry=0, client=CLIENT)  # fmt: skip
    assert len(f) == 1 and verdicts(f, signer=OTHER, now=NOW)[0] == "not the client"


# ---- agents: "not the client" means not the client nor an agent the client authorized ------


def test_an_authorized_agent_passes_the_client_rule():
    f = facts(client=[CLIENT, CLIENT])
    agent = Facts(**{**f.__dict__, "agent": np.array([True, False])})
    assert list(verdicts(agent, signer=OTHER, now=NOW)) == ["", "not the client"]
    # the agent flag does not lift any other rule
    done = facts(confirmed=[True], client=[CLIENT])
    assert verdicts(Facts(**{**done.__dict__, "agent": np.array([True])}), signer=OTHER,
                    now=NOW)[0] == "confirmed"  # fmt: skip


def test_facts_without_agent_flags_count_as_no_agent():
    f = facts(client=[OTHER])
    assert f.agent is None and verdicts(f, signer=CLIENT, now=NOW)[0] == "not the client"
    lenient = Facts(**{**f.__dict__, "agent": np.array([None], dtype=object)})
    assert verdicts(lenient, signer=CLIENT, now=NOW)[0] == "not the client"
    one = Facts.one(confirmed=False, task_status="responded", delivery="manual_confirmation",
                    expiry=0, client=CLIENT, agent=True)  # fmt: skip
    assert verdicts(one, signer=OTHER, now=NOW)[0] == ""


def test_the_not_client_message_names_signer_and_client_and_what_to_do():
    from ogpu_widgets.confirm.rules import not_client_message

    text = not_client_message(OTHER, CLIENT, "0x" + "ab" * 20)
    assert f"{OTHER} is not the task's client {CLIENT}" in text
    assert "or an authorized agent of it" in text and "authorize_agent(" in text
    unchecked = not_client_message(OTHER, CLIENT, unchecked="no Terminal, so agents cannot be "
                                   "checked: give terminal=")  # fmt: skip
    assert "terminal=" in unchecked and "account=" in unchecked
