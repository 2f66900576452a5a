"""The signing account: resolved from what the caller passed (or ``$CLIENT_PRIVATE_KEY``), and
kept in a :class:`Signer` whose repr shows only the address.

The private key lives only inside the ``eth_account`` account: it is never logged, put in a
message, stored on a :class:`~ogpu_widgets.confirm.Confirmation`, or left in a local variable of
a library frame that raises (functions that handle it return a problem instead of raising, and
delete their references before raising).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable
from typing import Any, TypeAlias, TypeVar

from eth_account import Account
from eth_account.signers.base import BaseAccount

from ..errors import ConfirmationError, InvalidSignerError, MissingSignerError

__all__ = ["SIGNER_ENV", "AccountLike", "Signer", "resolve_signer", "resolved", "resolves_account"]

#: The environment variable holding the client's key when no ``account`` is given (the SDK's).
SIGNER_ENV = "CLIENT_PRIVATE_KEY"

#: What an ``account=`` argument may be: an ``eth_account`` account, a private key (64 hex digits,
#: optionally after ``0x``, or 32 bytes), an object with a ``private_key`` attribute (a devnet
#: account), or ``None`` (the key in ``$CLIENT_PRIVATE_KEY``).
AccountLike: TypeAlias = "BaseAccount | str | bytes | None"

_HEX_KEY = re.compile(r"[0-9a-fA-F]{64}")
_HEX_ADDRESS = re.compile(r"[0-9a-fA-F]{40}")


def _account_from_key(key: Any) -> tuple[Any, str | None]:
    """(account, None) or (None, what is wrong). Never raises: a raising frame would carry the
    key as a local into the traceback."""
    problem = None
    try:
        if isinstance(key, str):
            text = key.strip()
            digits = text[2:] if text[:2].lower() == "0x" else text
            if _HEX_ADDRESS.fullmatch(digits):
                return None, "is an address, not a private key"
            if not _HEX_KEY.fullmatch(digits):
                return None, (
                    "is not a private key: expected 64 hex digits (32 bytes), optionally after 0x"
                )
            raw = bytes.fromhex(digits)
        else:
            raw = bytes(key)
            if len(raw) != 32:
                return None, "is not a private key: expected 32 bytes"
        return Account.from_key(raw), None
    except Exception as exc:  # e.g. zero or >= the curve order
        problem = f"is not a valid secp256k1 private key ({type(exc).__name__})"
    return None, problem


def resolve_signer(account: AccountLike | Any = None) -> BaseAccount:
    """The signing account: an ``eth_account`` account as is, a private key (hex string or 32
    bytes), an object with a ``private_key`` attribute (a devnet account), or, when ``None``,
    the key in ``$CLIENT_PRIVATE_KEY``.

    Raises :class:`MissingSignerError` or :class:`InvalidSignerError`; neither message contains
    the key. Keep the returned account, not the key string.
    """
    if isinstance(account, BaseAccount):
        return account
    if getattr(account, "is_browser_wallet", False) is True or (
        isinstance(account, str) and account.strip().lower() == "browser"
    ):
        raise InvalidSignerError(
            "account='browser' signs in the page's wallet, which only a displayed "
            "ResponseTable can reach: use ResponseTable(..., account='browser'); here pass a "
            "key (the task client's, or an agent's)"
        )
    if isinstance(account, Signer):
        return account._account
    if account is None:
        key = os.environ.get(SIGNER_ENV, "").strip()
        if not key:
            raise MissingSignerError(
                "no signer: pass account= (an eth_account account or the client's private key), "
                f"or set the {SIGNER_ENV} environment variable"
            )
        signer, problem = _account_from_key(key)
        del key
        if problem:
            raise InvalidSignerError(
                f"{SIGNER_ENV} {problem}; set it to the task client's private key"
            )
        return signer
    if not isinstance(account, str | bytes | bytearray):
        nested = getattr(account, "private_key", None)
        if not isinstance(nested, str | bytes):
            kind = type(account).__name__
            del account, nested
            raise InvalidSignerError(
                f"account must be an eth_account account or a private key string, not a {kind}"
            )
        account = nested
        del nested
    signer, problem = _account_from_key(account)
    del account
    if problem:
        raise InvalidSignerError(f"the signer {problem}; pass the task client's private key")
    return signer


class Signer:
    """The account that signs, behind a repr that shows only its address (it is a local of
    every frame on the write path, which ``traceback`` may print with its locals)."""

    __slots__ = ("_account", "address")

    def __init__(self, account: BaseAccount) -> None:
        self._account = account
        self.address: str = account.address

    @classmethod
    def resolve(cls, account: Any) -> Signer:
        """:func:`resolve_signer`, wrapped."""
        try:
            resolved = resolve_signer(account)
        finally:
            del account  # not left in this frame if resolving raises
        return cls(resolved)

    def __repr__(self) -> str:
        return f"Signer({getattr(self, 'address', '?')})"

    __str__ = __repr__


def sign(signer: Signer, tx: dict[str, Any]) -> Any:
    """``tx`` signed by ``signer``; a failure raises :class:`ConfirmationError` naming only the
    kind of failure (the signing library's message might quote its input)."""
    problem = None
    try:
        return signer._account.sign_transaction(tx)
    except Exception as exc:
        problem = type(exc).__name__
    raise ConfirmationError(
        f"signing the confirmation failed ({problem}); nothing was sent", signer=signer.address
    )


F = TypeVar("F", bound=Callable[..., Any])


def resolves_account(fn: F) -> F:
    """Decorate a public call taking ``account=``: the wrapper resolves it into a
    :class:`Signer` (``fn`` gets that as ``account``) and drops its reference to the caller's
    key before anything can raise."""

    @functools.wraps(fn)
    def call(*args: Any, account: Any = None, **kwargs: Any) -> Any:
        try:
            signer = Signer.resolve(account)
        finally:
            del account  # the key (if one was passed) leaves this frame before anything raises
        return fn(*args, account=signer, **kwargs)

    return call  # type: ignore[return-value]


def resolved(account: Any) -> Signer:
    """The :class:`Signer` a :func:`resolves_account` call got as ``account``."""
    assert isinstance(account, Signer), "call through resolves_account"
    return account
