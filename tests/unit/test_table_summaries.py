"""Every refusal rule, and every refusal the confirm pipeline predicts, has a summary for the
table's review; a node fault predicts nothing."""

from __future__ import annotations

from ogpu_widgets.confirm.rules import LABELS
from ogpu_widgets.errors import (
    ConfirmationPendingElsewhereError,
    InsufficientFundsError,
    NodeUnavailableError,
    TaskFinalizedError,
)
from ogpu_widgets.table.messages import SUMMARIES, predicted_refusal


def test_every_rule_and_refusal_has_a_summary():
    assert set(LABELS) <= set(SUMMARIES)
    for label, cls in LABELS.items():
        assert predicted_refusal(cls("long message 0x" + "ab" * 20))["label"] == label
    pending = predicted_refusal(ConfirmationPendingElsewhereError("x"))
    assert pending["label"] == "confirmation pending"
    assert pending["kind"] == "ConfirmationPendingElsewhereError"
    funds = predicted_refusal(InsufficientFundsError("x"))
    assert funds["label"] == "" and "OGPU" in funds["summary"]
    assert predicted_refusal(NodeUnavailableError("down")) is None  # predicts nothing
    assert predicted_refusal(TaskFinalizedError("x"))["summary"].startswith("Refused:")
