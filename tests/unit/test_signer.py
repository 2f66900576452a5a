"""Resolving a signer (no chain): every kind of account accepted, every bad key a typed error
that does not repeat the key, and a signer's repr showing its address only."""

from __future__ import annotations

import pytest
from eth_account import Account
from test_confirm_support import assert_exception_clean

from ogpu_widgets.confirm import SIGNER_ENV, resolve_signer
from ogpu_widgets.confirm.signer import Signer
from ogpu_widgets.errors import InvalidSignerError


@pytest.mark.parametrize(
    "bad",
    [
        "0x1234",
        "zz" * 32,
        "0x" + "ab" * 31 + "a",
        "0x" + "00" * 32,  # zero is not a valid secp256k1 key
        "0x" + "ff" * 32,  # above the curve order
        "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",  # an address
        b"\x01" * 31,
    ],
)
def test_invalid_signer(bad, monkeypatch):
    with pytest.raises(InvalidSignerError) as ei:
        resolve_signer(bad)
    if isinstance(bad, str) and len(bad) > 8:
        assert_exception_clean(ei.value, bad)
    monkeypatch.setenv(SIGNER_ENV, bad if isinstance(bad, str) else bad.hex())
    with pytest.raises(InvalidSignerError, match=SIGNER_ENV):
        resolve_signer()


def test_signer_kinds():
    acct = Account.create()
    key = acct.key.hex()
    assert resolve_signer(acct) is acct
    assert resolve_signer(key).address == acct.address
    assert resolve_signer("0x" + key.removeprefix("0x")).address == acct.address
    assert resolve_signer(f"  {key}\n").address == acct.address
    assert resolve_signer(bytes(acct.key)).address == acct.address

    class DevLike:
        address = acct.address
        private_key = "0x" + key.removeprefix("0x")

    assert resolve_signer(DevLike()).address == acct.address
    with pytest.raises(InvalidSignerError, match="not a int"):
        resolve_signer(42)


def test_a_signer_shows_its_address_only():
    signer = Signer(Account.create())
    assert repr(signer) == f"Signer({signer.address})"
