"""One hierarchy of typed errors. Every message names the bad value and what to do about it.

Errors carry data as declared attributes (``err.tx_hash``, ``err.expected_client``, ...), set by
keyword when raised and ``None`` when not known::

    raise NotTaskClientError("...", response=r, task=t, signer=s, expected_client=c)

Every exception a public call (or the widget's request handling) lets out is an
:class:`OgpuWidgetsError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .confirm.confirmation import Confirmation

__all__ = [
    "AgentError",
    "AlreadyConfirmedError",
    "ConfirmManyError",
    "ConfirmationError",
    "ConfirmationInFlightError",
    "ConfirmationPendingElsewhereError",
    "ConfirmationTimeoutError",
    "ConnectionError_",
    "DuplicateTaskError",
    "FirstResponseSourceError",
    "InsufficientFundsError",
    "InvalidAddressError",
    "InvalidAgentError",
    "InvalidArgumentError",
    "InvalidRangeError",
    "InvalidResponseError",
    "InvalidSignerError",
    "MissingSignerError",
    "NetworkConfigError",
    "NoWalletError",
    "NodeUnavailableError",
    "NotAContractError",
    "NotAResponseError",
    "NotASourceError",
    "NotATaskError",
    "NotTaskClientError",
    "OgpuWidgetsError",
    "ReadError",
    "ResponseNotFoundError",
    "ResponseTableError",
    "ResultError",
    "ResultNotFetchedError",
    "ResultTimeoutError",
    "ResultTooLargeError",
    "ResultVerificationError",
    "RpcReplyError",
    "SelectorError",
    "TaskCanceledError",
    "TaskExpiredError",
    "TaskFinalizedError",
    "TransactionRevertedError",
    "WalletAccountError",
    "WalletError",
    "WalletRejectedError",
    "WalletTimeoutError",
    "WatchTimeoutError",
    "WrongChainError",
]


class OgpuWidgetsError(Exception):
    """Base class of every error this library raises on purpose.

    Subclasses declare the data they carry as class attributes (default ``None``); the
    constructor takes them by keyword and refuses names no class of the error declares."""

    def __init__(self, message: str = "", **data: Any) -> None:
        super().__init__(message)
        fields = self.fields()
        for name, value in data.items():
            if name not in fields:
                raise TypeError(
                    f"{type(self).__name__} carries no {name!r}; it carries {sorted(fields)}"
                )
            setattr(self, name, value)

    @classmethod
    def fields(cls) -> set[str]:
        """The names of the data attributes this error declares (its own and inherited)."""
        out: set[str] = set()
        for klass in cls.__mro__:
            out.update(k for k in getattr(klass, "__annotations__", {}) if not k.startswith("_"))
        return out

    @property
    def data(self) -> dict[str, Any]:
        """The declared attributes that are set, as a dict."""
        return {k: getattr(self, k) for k in sorted(self.fields()) if getattr(self, k, None)
                is not None}  # fmt: skip

    def __reduce__(self):  # pickling keeps the data (multiprocessing, joblib)
        return (_rebuild, (type(self), str(self), self.data))


def _rebuild(cls: type[OgpuWidgetsError], message: str, data: dict[str, Any]) -> Any:
    return cls(message, **data)


# ---- input and configuration -----------------------------------------------------------------


class InvalidArgumentError(OgpuWidgetsError, ValueError, TypeError):
    """An argument has a value or type the call does not accept (e.g. an unknown
    ``read_path``, ``None`` where addresses are expected)."""

    argument: str | None


class InvalidAddressError(InvalidArgumentError):
    """A value that should be a 20-byte hex address is not one."""

    value: Any


class SelectorError(InvalidArgumentError):
    """``load_responses``/``load_tasks`` got no selector, an empty one, or more than one."""


class InvalidRangeError(InvalidArgumentError):
    """A slot range (``lower``/``upper`` of ``get_task_responses``) is not non-negative ints."""


class NotAContractError(OgpuWidgetsError, ValueError):
    """An address has no code on the connected chain (a definitive answer of the node)."""

    address: str | None


class NotATaskError(OgpuWidgetsError, ValueError):
    """An address has code but does not behave like an OpenGPU task contract."""

    address: str | None


class NotASourceError(OgpuWidgetsError, ValueError):
    """An address has code but does not behave like an OpenGPU source contract."""

    address: str | None


class NotAResponseError(OgpuWidgetsError, ValueError):
    """An address has code but does not behave like an OpenGPU response contract."""

    address: str | None


class NetworkConfigError(OgpuWidgetsError, ValueError):
    """A network description is incomplete or inconsistent (missing address, bad state file)."""


# ---- the node ----------------------------------------------------------------------------------


class ConnectionError_(OgpuWidgetsError, ConnectionError):
    """The RPC node cannot be reached or keeps failing after retries."""

    url: str | None


class WrongChainError(OgpuWidgetsError):
    """The RPC node reports another chain id than the network expects."""

    url: str | None
    expected_chain_id: int | None
    chain_id: int | None


class ReadError(OgpuWidgetsError):
    """A read failed after every retry and fallback; no partial result is returned."""


class NodeUnavailableError(ConnectionError_, ReadError):
    """The node gave no usable answer to ``what`` after the retry policy ran out (transport
    errors, HTTP 408/425/429/5xx, "try again later" error replies, truncated or non-JSON-RPC
    bodies), or the URL cannot be used at all.

    ``exhausted`` is True when every one of ``attempts`` failed transiently, False when the
    answer was unusable at once. ``maybe_sent`` is False only when the request certainly never
    reached the node (connection refused, unusable URL)."""

    what: str | None
    detail: str | None
    attempts: int | None
    exhausted: bool | None
    maybe_sent: bool | None


class RpcReplyError(OgpuWidgetsError):
    """The node answered ``method`` with a JSON-RPC error reply (``code``, ``rpc_message``,
    ``rpc_data``) that is not a transient one."""

    method: str | None
    code: Any
    rpc_message: str | None
    rpc_data: Any


# ---- the write path --------------------------------------------------------------------------


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


# ---- results behind the URLs ------------------------------------------------------------------


class ResultError(OgpuWidgetsError):
    """A response's result (the content its ``data`` URL names) could not be had or trusted."""

    response: str | None
    cid: str | None
    url: str | None


class ResultVerificationError(ResultError):
    """Content served for a CID does not hash to that CID (a tampering or broken gateway)."""


class ResultNotFetchedError(ResultError):
    """A result was not fetched on purpose: not IPFS content, or an address the kernel must not
    contact (loopback, private, link-local) without being allowed."""


class ResultTooLargeError(ResultError):
    """A result is larger than ``max_bytes``."""

    size: int | None
    max_bytes: int | None


class ResultTimeoutError(ResultError):
    """Fetching a result took longer than its time-out, or the overall time budget ran out."""


# ---- monitoring ------------------------------------------------------------------------------


class WatchTimeoutError(OgpuWidgetsError, TimeoutError):
    """What was waited for (responses of a task, its confirmation) did not happen in time.
    ``found`` holds what had arrived by then."""

    task: str | None
    expected: int | None
    found: list | None
    timeout: float | None


# ---- the widget --------------------------------------------------------------------------------


class ResponseTableError(OgpuWidgetsError, ValueError):
    """A ``ResponseTable`` was asked for something it cannot do (unknown row, bad data)."""


def _declare_defaults() -> None:
    # every declared attribute reads None until set
    for obj in list(globals().values()):
        if isinstance(obj, type) and issubclass(obj, OgpuWidgetsError):
            for name in obj.__dict__.get("__annotations__", {}):
                if not name.startswith("_") and name not in obj.__dict__:
                    setattr(obj, name, None)


_declare_defaults()
