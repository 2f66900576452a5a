"""The :class:`Devnet`: anvil with the OpenGPU devnet contracts, its JSON-RPC (one
:class:`~ogpu_widgets.chain.rpc.RpcClient`), chain control, transactions and view calls. The
seeding methods come from :class:`~ogpu_widgets.devnet.seeding.Seeding`."""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..chain.codec import calldata, to_address
from ..chain.network import Network
from ..chain.rpc import RetryPolicy, RpcClient, RpcError, Unreachable
from .accounts import DEV_KEYS_NOTICE, DevAccount, derive_accounts
from .contracts import decode_logs, decode_result, event_topic
from .deploy import deploy_protocol
from .errors import DevnetError, failure, raise_if_answered
from .ipfs import Gateway, IpfsStore
from .process import AnvilProcess, find_anvil, track, untrack
from .seeding import Seeding, to_ogpu_wei

if TYPE_CHECKING:
    from .simulator import ProviderSimulator

__all__ = ["DEFAULT_CHAIN_ID", "LOCAL_RETRY", "Devnet"]

DEFAULT_CHAIN_ID = 31337
_PRE_LONDON = {"frontier", "homestead", "tangerine", "spuriousdragon", "byzantium",
               "constantinople", "petersburg", "istanbul", "muirglacier", "berlin"}  # fmt: skip
#: The retry policy of the devnet's RPC client: a local node answers at once or not at all.
LOCAL_RETRY = RetryPolicy(attempts=3, backoff=0.05, max_backoff=0.2)


class Devnet(Seeding):
    """anvil on a free loopback port with the OpenGPU devnet contracts deployed and funded, and
    a local IPFS gateway (:attr:`gateway`, on ``gateway_port`` or a free port) serving the
    content store :attr:`ipfs`, started and stopped with the chain.

    ``providers`` accounts answer tasks; ``client`` publishes sources and tasks and confirms.
    ``client_deposit_ogpu`` is deposited into the Vault for the client at start. Responses
    submitted without ``data`` store a sample result (``result_seed`` varies them) and submit
    its gateway URL ``http://127.0.0.1:<port>/ipfs/<CID>``, as providers do on mainnet.
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        providers: int = 10,
        client_deposit_ogpu: float = 1_000_000,
        chain_id: int = DEFAULT_CHAIN_ID,
        anvil: str | None = None,
        hardfork: str | None = None,
        start_timeout: float = 30.0,
        gateway_port: int | None = None,
        result_seed: int = 0,
    ) -> None:
        if not 1 <= providers <= 15:
            raise DevnetError(f"providers={providers}: the devnet funds between 1 and 15")
        self._port = port
        self._n_providers = providers
        self._deposit = client_deposit_ogpu
        self.chain_id = chain_id
        self._anvil_path = anvil
        #: anvil's ``--hardfork``; before London, blocks carry no base fee and transactions
        #: must pay a legacy ``gasPrice``.
        self.hardfork = hardfork
        self.legacy_fees = (hardfork or "").lower() in _PRE_LONDON
        self._start_timeout = start_timeout
        self._anvil: AnvilProcess | None = None
        self._client: RpcClient | None = None
        self._lock = threading.RLock()
        self.sources: list[dict[str, Any]] = []
        self.tasks: list[str] = []
        self.contracts: dict[str, str] = {}
        accounts = derive_accounts(2 + providers + 2)
        self.deployer: DevAccount = accounts[0]
        self.client: DevAccount = accounts[1]
        self.providers: list[DevAccount] = accounts[2 : 2 + providers]
        #: A funded account that is nobody's client: for "not the owner" cases.
        self.stranger: DevAccount = accounts[2 + providers]
        #: A funded account that is nobody's agent until a client authorizes it
        #: (:meth:`set_agent`): the key a kernel holds instead of the client's.
        self.agent: DevAccount = accounts[3 + providers]
        self._simulators: list[ProviderSimulator] = []
        #: The content store: ``add(data, cid_version=0) -> Cid``, ``add_json(obj)``, blocks.
        self.ipfs = IpfsStore()
        #: The local IPFS gateway (its test modes: ``tamper``, ``trustless``, ``latency``,
        #: ``slow``, ``hits``).
        self.gateway = Gateway(self.ipfs, port=gateway_port or 0)
        #: Varies the sample results stored for responses submitted without ``data``.
        self.result_seed = result_seed

    # ---- life cycle --------------------------------------------------------------------------

    @property
    def rpc_url(self) -> str:
        if self._port is None:
            raise DevnetError("the devnet is not started; call start() or use `with Devnet()`")
        return f"http://127.0.0.1:{self._port}"

    @property
    def gateway_url(self) -> str:
        """The IPFS gateway's base URL, ``http://127.0.0.1:<port>``."""
        if not self.gateway.running:
            raise DevnetError("the devnet is not started; call start() or use `with Devnet()`")
        return self.gateway.url

    @property
    def running(self) -> bool:
        return self._anvil is not None and self._anvil.running

    @property
    def pid(self) -> int | None:
        """anvil's process id while it runs."""
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    @property
    def _proc(self):
        """anvil's ``subprocess.Popen`` while it runs (tests read its pid)."""
        return self._anvil.proc if self._anvil is not None else None

    def start(self) -> Devnet:
        """Start anvil and the IPFS gateway, deploy the contracts and fund the client; returns
        ``self``."""
        with self._lock:
            if self.running:
                return self
            anvil = AnvilProcess(
                self._anvil_path or find_anvil(),
                port=self._port,
                chain_id=self.chain_id,
                accounts=4 + self._n_providers,
                hardfork=self.hardfork,
                start_timeout=self._start_timeout,
            )
            anvil.start()
            self._anvil, self._port = anvil, anvil.port
            track(self)
            try:
                self.gateway.start()
                self.contracts = deploy_protocol(self)
                if self._deposit:
                    self.deposit(self.client.address, self._deposit)
            except BaseException:
                self.stop()
                raise
            return self

    def stop(self) -> None:
        """Stop the simulators, anvil and the IPFS gateway. Safe to call twice."""
        for sim in list(self._simulators):
            sim.stop()
        with self._lock:
            if self._anvil is not None:
                self._anvil.stop()
            self.gateway.stop()
            untrack(self)

    def __enter__(self) -> Devnet:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.stop()

    # ---- views -------------------------------------------------------------------------------

    @property
    def network(self) -> Network:
        """The :class:`~ogpu_widgets.chain.network.Network` of this devnet."""
        return Network.from_devnet(self.state())

    def state(self) -> dict[str, Any]:
        """What the CLI writes to its state file."""
        return {
            "rpc_url": self.rpc_url,
            "chain_id": self.chain_id,
            "ipfs_gateway": self.gateway_url,
            "contracts": dict(self.contracts),
            "accounts": {
                "client": {"address": self.client.address, "private_key": self.client.private_key},
                # funded, nobody's agent until the client authorizes it (authorize_agent)
                "agent": {"address": self.agent.address, "private_key": self.agent.private_key},
                "providers": [
                    {"address": p.address, "private_key": p.private_key} for p in self.providers
                ],
            },
            "sources": [dict(s) for s in self.sources],
            "tasks": list(self.tasks),
            "notice": DEV_KEYS_NOTICE,
        }

    def write_state(self, path: str | os.PathLike) -> Path:
        """Write :meth:`state` as JSON to ``path`` (atomically)."""
        path = Path(path)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.state(), indent=2) + "\n", "utf-8")
        os.replace(tmp, path)
        return path

    def w3(self):
        """A plain ``web3.Web3`` on this devnet: a convenience for notebooks and tests that want
        web3. Neither the library nor the devnet itself uses it."""
        from web3 import Web3

        return Web3(Web3.HTTPProvider(self.rpc_url))

    def contract(self, name: str, address: str):
        """A web3 contract object of ``name`` (``Task``, ``Response``, ...) at ``address``; a
        convenience like :meth:`w3` (the devnet's own calls go through :meth:`call`)."""
        from ..chain.abi import abi

        return self.w3().eth.contract(address=to_address(address), abi=abi(name))

    # ---- raw JSON-RPC ------------------------------------------------------------------------

    @property
    def rpc_client(self) -> RpcClient:
        """The devnet's one JSON-RPC client (short retries: the node is local)."""
        url = self.rpc_url
        client = self._client
        if client is None or client.url != url:
            client = self._client = RpcClient(
                url, timeout=300.0, name="devnet", policy=LOCAL_RETRY, batch_limit=1000
            )
        return client

    def rpc(self, method: str, params: Sequence[Any] = ()) -> Any:
        """One JSON-RPC call to anvil; an error reply raises :class:`DevnetError`."""
        try:
            result = self.rpc_client.single(method, params)
        except Unreachable as exc:
            raise_if_answered(exc, method)
            raise
        if isinstance(result, RpcError):
            raise failure(method, result) from result
        return result

    def rpc_batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Several JSON-RPC calls in one HTTP request; results in order. Any error reply
        raises :class:`DevnetError` (naming the first)."""
        if not calls:
            return []
        try:
            results = self.rpc_client.batch(calls)
        except Unreachable as exc:
            raise_if_answered(exc, "a batch request")
            raise
        for (method, _), result in zip(calls, results, strict=True):
            if isinstance(result, RpcError):
                raise failure(method, result) from result
        return results

    # ---- chain control -----------------------------------------------------------------------

    def mine(self, blocks: int = 1) -> None:
        """Mine ``blocks`` blocks now."""
        self.rpc("anvil_mine", [hex(blocks)])

    def set_automine(self, on: bool) -> None:
        """Turn automine on (every transaction mined at once) or off (mine by hand)."""
        self.rpc("evm_setAutomine", [bool(on)])

    def advance_time(self, seconds: int) -> None:
        """Move the chain's clock forward and mine a block at the new time."""
        self.rpc("evm_increaseTime", [int(seconds)])
        self.mine()

    def block_timestamp(self) -> int:
        return int(self.rpc("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)

    # ---- transactions and calls --------------------------------------------------------------

    def send(
        self,
        sender: str,
        to: str | None,
        data: str,
        *,
        value: int = 0,
        gas: int | None = None,
    ) -> dict[str, Any]:
        """Send an (unlocked-account) transaction, wait for its receipt; raise on revert."""
        tx: dict[str, Any] = {"from": sender, "data": data, "value": hex(value)}
        if to is not None:
            tx["to"] = to
        if self.legacy_fees:  # anvil would fill in EIP-1559 fields, which these forks refuse
            tx["gasPrice"] = self.rpc("eth_gasPrice")
        if gas is None:
            # estimating first turns a revert into an error that carries its reason string
            gas = int(int(self.rpc("eth_estimateGas", [tx]), 16) * 1.2) + 10_000
        tx["gas"] = hex(gas)
        tx_hash = self.rpc("eth_sendTransaction", [tx])
        receipt = self.wait_receipt(tx_hash)
        if receipt is None:
            raise DevnetError(
                f"transaction {tx_hash} is not mined (automine is off): call mine() first"
            )
        if int(receipt["status"], 16) != 1:
            raise DevnetError(f"transaction {tx_hash} reverted")
        return receipt

    def wait_receipt(self, tx_hash: str, timeout: float = 5.0) -> dict[str, Any] | None:
        """The receipt of ``tx_hash``, polling until it is mined or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        delay = 0.001
        while True:
            receipt = self.rpc("eth_getTransactionReceipt", [tx_hash])
            if receipt is not None or time.monotonic() > deadline:
                return receipt
            time.sleep(delay)  # polling a condition, with backoff
            delay = min(delay * 2, 0.05)

    def transact(self, sender: str, contract: str, fn: str, *args: Any, **kw: Any) -> dict:
        """:meth:`send` of ``contract.fn(*args)`` to the deployed ``contract`` (``Nexus``,
        ``Controller``, ``Vault`` or ``Terminal``) from ``sender``; its receipt."""
        to = self.contracts[contract.lower()]
        return self.send(sender, to, calldata(contract, fn, *args), **kw)

    def set_agent(self, agent: str, value: bool = True, *, principal: str | None = None) -> dict:
        """``Terminal.setAgent(agent, value)`` from ``principal`` (default: the client); its
        receipt."""
        return self.transact(principal or self.client.address, "Terminal", "setAgent",
                             to_address(agent, "agent"), bool(value))  # fmt: skip

    def call(self, contract: str, address: str, fn: str, *args: Any) -> Any:
        """Call view function ``contract.fn(*args)`` at ``address`` and decode its result
        (addresses checksummed, arrays as lists, several outputs as a tuple). A revert raises
        :class:`DevnetError` whose ``reason`` is the revert reason (``Panic(0x32)``, ...)."""
        data = calldata(contract, fn, *args)
        try:
            raw = self.rpc("eth_call", [{"to": to_address(address), "data": data}, "latest"])
        except DevnetError as exc:
            if exc.reason is None:
                raise
            raise DevnetError(
                f"{contract}.{fn} at {address} reverted: {exc.reason or 'no reason given'}",
                method="eth_call",
                reason=exc.reason,
            ) from exc
        try:
            return decode_result(contract, fn, raw)
        except ValueError as exc:
            raise DevnetError(
                f"{contract}.{fn} at {address} returned {raw[:74]!r}, which does not decode: "
                "is it a contract of that kind?",
                method="eth_call",
            ) from exc

    def events(
        self, name: str, from_block: int = 0, to_block: int | str = "latest"
    ) -> list[dict[str, Any]]:
        """Nexus's ``name`` events (``TaskPublished``, ``ResponseSubmitted``, ...) in a block
        range, decoded: ``{"event", "args", "address", "blockNumber", ...}``."""
        nexus = self.contracts["nexus"]
        to = hex(to_block) if isinstance(to_block, int) else to_block
        logs = self.rpc(
            "eth_getLogs",
            [{"address": nexus, "topics": [event_topic("Nexus", name)],
              "fromBlock": hex(from_block), "toBlock": to}],
        )  # fmt: skip
        return decode_logs(logs, "Nexus", name, nexus)

    def deposit(self, account: str, amount_ogpu: float) -> None:
        """Deposit ``amount_ogpu`` into the Vault for ``account`` (paid by that account)."""
        self.transact(account, "Vault", "deposit", account, value=to_ogpu_wei(amount_ogpu))

    # ---- the provider simulator ----------------------------------------------------------------

    def simulate(self, rate: float = 1.0, tasks: Sequence[str] | None = None) -> ProviderSimulator:
        """Start a background provider simulator submitting about ``rate`` responses/second to
        open tasks (all of this devnet's tasks, or ``tasks``). Stop it with ``.stop()``."""
        from .simulator import ProviderSimulator

        sim = ProviderSimulator(self, rate, tasks)
        self._simulators.append(sim)
        sim.start()
        return sim
