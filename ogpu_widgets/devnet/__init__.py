"""A local OpenGPU devnet: anvil, the protocol contracts, funded accounts, seeding helpers, a
provider simulator, and a local IPFS gateway whose store holds the providers' results.

This is tooling: tests, notebooks and the CLI import it; the library itself never does (the
devnet imports the library: its JSON-RPC client, calldata builder and ABIs).

    with Devnet() as dev:
        src = dev.publish_source(delivery="manual")
        task = dev.publish_task(src, payment_ogpu=2)
        resp = dev.respond(task, provider=0, data="ipfs://...")
        resp = dev.respond(task, provider=1)  # data: http://127.0.0.1:<port>/ipfs/<CID>

The accounts are anvil's well-known public test keys (mnemonic "test test ... junk"): they hold
play money on a local chain and must never be used anywhere else.

Modules: ``devnet`` (the :class:`Devnet`: life cycle, JSON-RPC, transactions, calls),
``process`` (finding and running anvil), ``deploy`` (the contracts), ``seeding`` (publishing
sources, tasks and responses, one at a time or in bulk), ``simulator`` (simulated providers),
``accounts`` (the dev keys), ``contracts`` (decoding results and events without web3),
``ipfs`` (the content store, the gateway and its test modes, the sample results), ``errors``.
"""

from __future__ import annotations

from .accounts import DEV_KEYS_NOTICE, DEV_MNEMONIC, DevAccount
from .devnet import DEFAULT_CHAIN_ID, Devnet
from .errors import AnvilNotFoundError, DevnetError
from .ipfs import Gateway, IpfsStore, sample_result
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
    "Gateway",
    "IpfsStore",
    "ProviderSimulator",
    "find_anvil",
    "sample_data",
    "sample_result",
]
