"""The errors of the write path: refusals and failures of confirmations, agents and the
browser's wallet."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import (
    InvalidArgumentError,
    NotAContractError,
    NotAResponseError,
    OgpuWidgetsError,
)

if TYPE_CHECKING:
    from ..confirm.confirmation import Confirmation

__all__ = [
    "AgentError",
    "AlreadyConfirmedError",
    "ConfirmManyError",
    "ConfirmationError",
    "ConfirmationInFlightError",
    "ConfirmationPendingElsewhereError",
    "ConfirmationTimeoutError",
    "DuplicateTaskError",
    "FirstResponseSourceError",
    "InsufficientFundsError",
    "InvalidAgentError",
    "InvalidResponseError",
    "InvalidSignerError",
    "MissingSignerError",
    "NoWalletError",
    "NotTaskClientError",
    "ResponseNotFoundError",
    "TaskCanceledError",
    "TaskExpiredError",
    "TaskFinalizedError",
    "TransactionRevertedError",
    "WalletAccountError",
    "WalletError",
    "WalletRejectedError",
    "WalletTimeoutError",
]


class ConfirmationError(OgpuWidgetsError):
    """Base class of refusals and failures on the confirmation path."""

    response: str | None
    task: str | None
    signer: str | None
    #: The contract's revert reason, when a revert said why.
    reason: str | None
    tx_hash: str | None
    confirmation: Confirmation | None


class MissingSignerError(ConfirmationError):
    """No account was given and ``CLIENT_PRIVATE_KEY`` is not set."""


class InvalidSignerError(ConfirmationError, ValueError):
    """The signer is not a usable private key or account."""


class NotTaskClientError(ConfirmationError):
    """The signer is neither the client of the response's task nor an agent the client
    authorized in the Terminal (revert ``NotOwner``). ``signer`` and ``expected_client`` name
    both; ``is_agent`` is False when the Terminal said so, None when it could not be asked."""

    expected_client: str | None
    is_agent: bool | None


class AgentError(ConfirmationError):
    """Authorizing, revoking or checking an agent (``Terminal.setAgent``/``isAgentOf``) was
    refused or failed. ``account`` is the principal (the client), ``agent`` the agent."""

    account: str | None
    agent: str | None


class InvalidAgentError(AgentError, InvalidArgumentError):
    """An agent address that cannot be one: the zero address, the principal itself, or a
    contract (an agent signs transactions, so it must be an externally owned account)."""


class AlreadyConfirmedError(ConfirmationError):
    """The response is already confirmed (revert ``AlreadyConfirmed``)."""


class TaskFinalizedError(ConfirmationError):
    """The task is finalized: another response won (revert ``AlreadyFinalized``)."""

    winner: str | None


class TaskCanceledError(ConfirmationError):
    """The task was canceled; nothing can be confirmed."""


class TaskExpiredError(ConfirmationError):
    """The task expired before a confirmation (revert ``Expired``)."""

    expiry: int | None


class FirstResponseSourceError(ConfirmationError):
    """The task's source delivers FIRST_RESPONSE: the chain confirms by itself."""

    source: str | None


class InsufficientFundsError(ConfirmationError):
    """The signer cannot pay the transaction's gas."""

    balance: int | None
    cost: int | None


class ConfirmationInFlightError(ConfirmationError):
    """Another response of the same task has a pending or mined confirmation from this process."""


class ConfirmationPendingElsewhereError(ConfirmationInFlightError):
    """A confirmation of the task from the same signer is pending on the node but not from this
    process (another kernel, a killed one, a wallet): sending another would revert and cost
    gas. ``pending_tx`` is its hash when the node showed it."""

    pending_tx: str | None


class TransactionRevertedError(ConfirmationError):
    """The transaction was mined but reverted, or the node rejected it for a protocol reason."""


class ConfirmationTimeoutError(ConfirmationError):
    """Waiting for a receipt timed out; the transaction is still in flight, not failed.
    ``confirmation`` (or ``confirmations`` for several) is what to keep following."""

    confirmations: list | None


class ResponseNotFoundError(ConfirmationError, NotAContractError):
    """The address to confirm has no contract code on the connected chain."""


class InvalidResponseError(ConfirmationError, NotAResponseError):
    """The address to confirm has code but is not a response registered with an OpenGPU task
    (revert ``NotEligible``)."""


class DuplicateTaskError(ConfirmationError, ValueError):
    """``confirm_many`` got two responses of one task (or one response twice); nothing was sent."""


class ConfirmManyError(ConfirmationError):
    """``confirm_many`` refused or could not send some of its responses.

    ``refusals`` maps each response address that was not sent to the typed error saying why;
    ``confirmations`` lists the confirmations that were sent (they stay in flight).
    """

    refusals: dict | None
    confirmations: list | None

    def __init__(
        self,
        message: str = "",
        refusals: dict[str, ConfirmationError] | None = None,
        confirmations: list | None = None,
        **data: Any,
    ) -> None:
        super().__init__(
            message, refusals=dict(refusals or {}), confirmations=list(confirmations or []), **data
        )


class WalletError(ConfirmationError):
    """The browser's wallet (EIP-1193) did not send the confirmation: it returned an error, or
    something that is not a transaction hash. ``code`` is the wallet's error code, if any."""

    code: int | None


class WalletRejectedError(WalletError):
    """The user rejected the request in the wallet (EIP-1193 error 4001); nothing was sent."""


class NoWalletError(WalletError):
    """The page has no EIP-1193 wallet (``window.ethereum`` is absent)."""


class WalletAccountError(WalletError):
    """The wallet's current account is not the one the kernel checked (it changed between the
    check and the send); nothing was sent."""

    expected_account: str | None
    wallet_account: str | None


class WalletTimeoutError(WalletError, TimeoutError):
    """The front-end did not answer a wallet request in time (the table is not displayed, or
    the wallet's prompt was left open)."""

    timeout: float | None
