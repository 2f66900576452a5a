"""A local OpenGPU devnet: anvil, the protocol contracts, funded accounts, seeding helpers and a
provider simulator.

This is tooling: tests, notebooks and the CLI import it; the library itself never does (the
devnet imports the library: its JSON-RPC client, calldata builder and ABIs).

    with Devnet() as dev:
        src = dev.publish_source(delivery="manual")
        task = dev.publish_task(src, payment_ogpu=2)
        resp = dev.respond(task, provider=0, data="ipfs://...")

The accounts are anvil's well-known public test keys (mnemonic "test test ... junk"): they hold
play money on a local chain and must never be used anywhere else.

Modules: ``devnet`` (the :class:`Devnet`: life cycle, JSON-RPC, transactions, calls),
``process`` (finding and running anvil), ``deploy`` (the contracts), ``seeding`` (publishing
sources, tasks and responses, one at a time or in bulk), ``simulator`` (simulated providers),
``accounts`` (the dev keys), ``contracts`` (decoding results and events without web3),
``errors``.
"""

from __future__ import annotations

from .accounts import DEV_KEYS_NOTICE, DEV_MNEMONIC, DevAccount
from .devnet import DEFAULT_CHAIN_ID, Devnet
from .errors import AnvilNotFoundError, DevnetError
from .process import find_anvil
from .seeding import sample_data
from .simulator import ProviderSimulator

__all__ = [
    "DEFAULT_CHAIN_ID",
    "DEV_KEYS_NOTICE",
    "DEV_MNEMONIC",
    "AnvilNotFoundError",
    "DevAccount",
    "Devnet",
    "DevnetError",
    "ProviderSimulator",
    "find_anvil",
    "sample_data",
]
