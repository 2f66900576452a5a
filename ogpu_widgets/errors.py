"""One hierarchy of typed errors. Every message names the bad value and what to do about it."""

from __future__ import annotations


class OgpuWidgetsError(Exception):
    """Base class of every error this library raises on purpose."""


# ---- input and configuration -----------------------------------------------------------------


class InvalidAddressError(OgpuWidgetsError, ValueError):
    """A value that should be a 20-byte hex address is not one."""


class SelectorError(OgpuWidgetsError, ValueError):
    """``load_responses``/``load_tasks`` got no selector, an empty one, or more than one."""


class InvalidArgumentError(OgpuWidgetsError, ValueError):
    """An argument has a value the call does not accept (e.g. an unknown ``read_path``)."""


class InvalidRangeError(InvalidArgumentError):
    """A slot range (``lower``/``upper`` of ``get_task_responses``) is not non-negative ints."""


class NotAContractError(OgpuWidgetsError, ValueError):
    """An address has no code on the connected chain."""


class NotATaskError(OgpuWidgetsError, ValueError):
    """An address has code but does not behave like an OpenGPU task contract."""


class NotASourceError(OgpuWidgetsError, ValueError):
    """An address has code but does not behave like an OpenGPU source contract."""


class NotAResponseError(OgpuWidgetsError, ValueError):
    """An address has code but does not behave like an OpenGPU response contract."""


class NetworkConfigError(OgpuWidgetsError, ValueError):
    """A network description is incomplete or inconsistent (missing address, bad state file)."""


# ---- connection ------------------------------------------------------------------------------


class ConnectionError_(OgpuWidgetsError, ConnectionError):
    """The RPC node cannot be reached or keeps failing after retries."""


class WrongChainError(OgpuWidgetsError):
    """The RPC node reports another chain id than the network expects."""


class ReadError(OgpuWidgetsError):
    """A read failed after every retry and fallback; no partial result is returned."""


# ---- the write path --------------------------------------------------------------------------


class ConfirmationError(OgpuWidgetsError):
    """Base class of refusals and failures on the confirmation path."""


class MissingSignerError(ConfirmationError):
    """No account was given and ``CLIENT_PRIVATE_KEY`` is not set."""


class InvalidSignerError(ConfirmationError, ValueError):
    """The signer is not a usable private key or account."""


class NotTaskClientError(ConfirmationError):
    """The signer is not the client of the response's task (revert ``NotOwner``)."""


class AlreadyConfirmedError(ConfirmationError):
    """The response is already confirmed (revert ``AlreadyConfirmed``)."""


class TaskFinalizedError(ConfirmationError):
    """The task is finalized: another response won (revert ``AlreadyFinalized``)."""


class TaskCanceledError(ConfirmationError):
    """The task was canceled; nothing can be confirmed."""


class TaskExpiredError(ConfirmationError):
    """The task expired before a confirmation (revert ``Expired``)."""


class FirstResponseSourceError(ConfirmationError):
    """The task's source delivers FIRST_RESPONSE: the chain confirms by itself."""


class InsufficientFundsError(ConfirmationError):
    """The signer cannot pay the transaction's gas."""


class ConfirmationInFlightError(ConfirmationError):
    """Another response of the same task has a pending or mined confirmation from this process."""


class TransactionRevertedError(ConfirmationError):
    """The transaction was mined but reverted, or the node rejected it for a protocol reason."""


class ConfirmationTimeoutError(ConfirmationError):
    """Waiting for a receipt timed out; the transaction is still in flight, not failed."""


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

    def __init__(
        self,
        message: str,
        refusals: dict[str, ConfirmationError] | None = None,
        confirmations: list | None = None,
    ) -> None:
        super().__init__(message)
        self.refusals = dict(refusals or {})
        self.confirmations = list(confirmations or [])
