"""The predicted refusal of a confirmation, as the review panel shows it: which rule refuses
(``confirm.rules.LABELS``), the error's kind, and one line a person can act on."""

from __future__ import annotations

from ..confirm.rules import LABELS
from ..errors import (
    ConfirmationError,
    InsufficientFundsError,
    InvalidResponseError,
    ResponseNotFoundError,
    TransactionRevertedError,
)

__all__ = ["SUMMARIES", "predicted_refusal"]

#: One line a person can act on, per refusal rule label (``confirm.rules.LABELS``) and for the
#: refusals no rule predicts (keyed by error class name). The front-end shows the same lines
#: (``js/src/ui/messages.ts``); the full message goes behind a disclosure.
SUMMARIES: dict[str, str] = {
    "read-only": "Refused: no signer is configured — pass account=... to sign",
    "first-response source": "Refused: this task's source confirms the first response by itself",
    "confirmed": "Refused: the response is already confirmed — nothing to pay",
    "task finalized": "Refused: the task is already finalized — nothing to pay",
    "task canceled": "Refused: the task was canceled — nothing to pay",
    "task expired": "Refused: the task has expired — it can no longer be confirmed",
    "not the client": "Refused: the signer is not the task's client — use the client's key",
    "not the task's client": "Refused: the signer is not the task's client — use the client's key",
    "confirmation pending": "Refused: a confirmation of this task is already pending — wait for it",
    "InsufficientFundsError": "Refused: the signer cannot pay the gas — send it some OGPU first",
    "InvalidResponseError": "Refused: not a response the protocol knows on this network",
    "ResponseNotFoundError": "Refused: no contract at this address on this network",
    "TransactionRevertedError": "Refused: the simulation reverted — nothing was sent",
}
_UNLABELLED = (InsufficientFundsError, ResponseNotFoundError, InvalidResponseError,
               TransactionRevertedError)  # fmt: skip


def predicted_refusal(exc: BaseException) -> dict[str, str] | None:
    """What the estimate reply says when preflight refuses: ``{"label", "kind", "summary"}``,
    ``label`` being the rule's label in ``confirm.rules.LABELS`` ("" for a refusal no rule
    names: funds, an unknown response, a revert), ``kind`` the error class. ``None`` for a
    failure that predicts nothing (the node unavailable, a bad request)."""
    if not isinstance(exc, ConfirmationError):
        return None
    for label, cls in LABELS.items():
        if isinstance(exc, cls):
            summary = SUMMARIES.get(label, f"Refused: {label}")
            return {"label": label, "kind": type(exc).__name__, "summary": summary}
    for cls in _UNLABELLED:
        if isinstance(exc, cls):
            name = cls.__name__
            return {"label": "", "kind": type(exc).__name__, "summary": SUMMARIES[name]}
    return {"label": "", "kind": type(exc).__name__,
            "summary": "Refused: the confirmation would fail — see the details"}  # fmt: skip
