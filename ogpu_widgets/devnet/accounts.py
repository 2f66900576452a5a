"""The devnet's funded accounts: anvil's well-known public test keys (mnemonic "test test ...
junk"), which hold play money on a local chain and must never be used anywhere else."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

__all__ = ["DEV_KEYS_NOTICE", "DEV_MNEMONIC", "DevAccount", "derive_accounts"]

DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_KEYS_NOTICE = (
    "These are anvil's public test keys: known to everyone, for this local devnet only. "
    "Never send real funds to them."
)


@dataclass(frozen=True)
class DevAccount:
    """A funded devnet account (anvil's public test keys)."""

    address: str
    private_key: str

    def __repr__(self) -> str:  # the key is public, but keep reprs short and uniform
        return f"DevAccount({self.address})"


def derive_accounts(n: int) -> list[DevAccount]:
    """The first ``n`` accounts of :data:`DEV_MNEMONIC` (the ones anvil funds)."""
    return list(_derive(n))


@cache
def _derive(n: int) -> tuple[DevAccount, ...]:
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    out = []
    for i in range(n):
        acct = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}")
        out.append(DevAccount(acct.address, "0x" + acct.key.hex().removeprefix("0x")))
    return tuple(out)
