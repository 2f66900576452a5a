"""A local OpenGPU devnet: anvil, the protocol contracts, funded accounts, seeding helpers and a
provider simulator.

Only tests, notebooks and the CLI import this module; the library itself never does.

    with Devnet() as dev:
        src = dev.publish_source(delivery="manual")
        task = dev.publish_task(src, payment_ogpu=2)
        resp = dev.respond(task, provider=0, data="ipfs://...")

The accounts are anvil's well-known public test keys (mnemonic "test test ... junk"): they hold
play money on a local chain and must never be used anywhere else.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import functools
import hashlib
import itertools
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from eth_account import Account
from eth_utils import to_checksum_address
from web3 import Web3

from ..chain.abi import abi, bytecode
from ..chain.codec import to_address
from ..chain.network import Network
from ..errors import OgpuWidgetsError
from ..records import WEI_PER_OGPU, DeliveryMethod

__all__ = [
    "AnvilNotFoundError",
    "DevAccount",
    "Devnet",
    "DevnetError",
    "ProviderSimulator",
    "find_anvil",
]

DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_KEYS_NOTICE = (
    "These are anvil's public test keys: known to everyone, for this local devnet only. "
    "Never send real funds to them."
)
DEFAULT_CHAIN_ID = 31337
_PRE_LONDON = {"frontier", "homestead", "tangerine", "spuriousdragon", "byzantium",
               "constantinople", "petersburg", "istanbul", "muirglacier", "berlin"}  # fmt: skip
REPO_ROOT = Path(__file__).resolve().parents[2]


class DevnetError(OgpuWidgetsError):
    """The devnet could not start, deploy or seed."""


class AnvilNotFoundError(DevnetError, FileNotFoundError):
    """No anvil binary was found."""


@dataclass(frozen=True)
class DevAccount:
    """A funded devnet account (anvil's public test keys)."""

    address: str
    private_key: str

    def __repr__(self) -> str:  # the key is public, but keep reprs short and uniform
        return f"DevAccount({self.address})"


def _derive_accounts(n: int) -> list[DevAccount]:
    Account.enable_unaudited_hdwallet_features()
    out = []
    for i in range(n):
        acct = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}")
        out.append(DevAccount(acct.address, "0x" + acct.key.hex().removeprefix("0x")))
    return out


def find_anvil() -> str:
    """The anvil binary: ``$ANVIL``, then ``anvil`` on ``PATH``, then the one that
    ``npm ci`` in ``js/`` installs (``@foundry-rs/anvil``)."""
    env = os.environ.get("ANVIL")
    if env:
        if Path(env).is_file() and os.access(env, os.X_OK):
            return env
        raise AnvilNotFoundError(
            f"$ANVIL is set to {env!r}, which is not an executable file; unset it or point it "
            "at the anvil binary"
        )
    on_path = shutil.which("anvil")
    if on_path:
        return on_path
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        machine, machine
    )
    system = {"linux": "linux", "darwin": "darwin", "win32": "win32"}.get(
        sys.platform, sys.platform
    )
    nm = REPO_ROOT / "js" / "node_modules"
    for candidate in (
        nm / "@foundry-rs" / f"anvil-{system}-{arch}" / "bin" / "anvil",
        nm / ".bin" / "anvil",
    ):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise AnvilNotFoundError(
        "anvil was not found. Install it with `make test` or `cd js && npm ci` (the npm package "
        "@foundry-rs/anvil), or set $ANVIL to the path of an anvil binary."
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    os.setpgrp()  # a Ctrl-C in a terminal reaches us, and we stop anvil ourselves


_live: weakref.WeakSet[Devnet] = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    for dev in list(_live):
        dev.stop()


def _to_ogpu_wei(value: float | int | str) -> int:
    from decimal import Decimal

    return int(Decimal(str(value)) * WEI_PER_OGPU)


def _delivery(value: str | int | DeliveryMethod) -> DeliveryMethod:
    if isinstance(value, DeliveryMethod):
        return value
    if isinstance(value, int):
        return DeliveryMethod(value)
    v = str(value).lower()
    if v in ("manual", "manual_confirmation"):
        return DeliveryMethod.MANUAL_CONFIRMATION
    if v in ("first", "first_response"):
        return DeliveryMethod.FIRST_RESPONSE
    raise DevnetError(f"unknown delivery method {value!r}: use 'manual' or 'first'")


def sample_data(task: str, provider: str, i: int = 0) -> str:
    """A plausible response payload: an ipfs URL derived from task and provider."""
    digest = hashlib.sha256(f"{task}:{provider}:{i}".encode()).hexdigest()
    return f"ipfs://bafybei{digest[:52]}"


class Devnet:
    """anvil on a free loopback port with the OpenGPU devnet contracts deployed and funded.

    ``providers`` accounts answer tasks; ``client`` publishes sources and tasks and confirms.
    ``client_deposit_ogpu`` is deposited into the Vault for the client at start.
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
        self._proc: subprocess.Popen | None = None
        self._lock = threading.RLock()
        self._local = threading.local()
        self._ids = itertools.count(1)
        self.sources: list[dict[str, Any]] = []
        self.tasks: list[str] = []
        self.contracts: dict[str, str] = {}
        accounts = _derive_accounts(2 + providers + 1)
        self.deployer = accounts[0]
        self.client = accounts[1]
        self.providers = accounts[2 : 2 + providers]
        #: A funded account that is nobody's client: for "not the owner" cases.
        self.stranger = accounts[2 + providers]
        self._simulators: list[ProviderSimulator] = []

    # ---- life cycle --------------------------------------------------------------------------

    @property
    def rpc_url(self) -> str:
        if self._port is None:
            raise DevnetError("the devnet is not started; call start() or use `with Devnet()`")
        return f"http://127.0.0.1:{self._port}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> Devnet:
        """Start anvil, deploy the contracts and fund the client; returns ``self``."""
        with self._lock:
            if self.running:
                return self
            binary = self._anvil_path or find_anvil()
            last_error: Exception | None = None
            for _ in range(3):  # a free port can be taken between probe and bind
                port = self._port or _free_port()
                try:
                    self._spawn(binary, port)
                    break
                except DevnetError as exc:
                    last_error = exc
                    if self._port is not None:
                        raise
            else:
                raise last_error  # type: ignore[misc]
            _live.add(self)
            try:
                self._deploy()
            except BaseException:
                self.stop()
                raise
            return self

    def _spawn(self, binary: str, port: int) -> None:
        cmd = [
            binary,
            "--host", "127.0.0.1",
            "--port", str(port),
            "--chain-id", str(self.chain_id),
            "--accounts", str(3 + self._n_providers),
            "--balance", "10000000",
            "--mnemonic", DEV_MNEMONIC,
            "--order", "fifo",
            "--gas-limit", "10000000000",
            "--code-size-limit", "100000",
        ]  # fmt: skip
        if self.hardfork:
            cmd += ["--hardfork", self.hardfork]
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=_die_with_parent if os.name == "posix" else None,
        )
        self._proc = proc
        self._port = port
        deadline = time.monotonic() + self._start_timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                self._proc = None
                self._port = None if self._port == port else self._port
                raise DevnetError(f"anvil exited at start (code {proc.returncode}): {err.strip()}")
            try:
                if int(self.rpc("eth_chainId"), 16) == self.chain_id:
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass
            # wait on the process, not a fixed guess: wakes early if anvil exits
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.05)
        self.stop()
        raise DevnetError(f"anvil did not answer on port {port} within {self._start_timeout} s")

    def stop(self) -> None:
        """Stop the simulators and anvil. Safe to call twice."""
        for sim in list(self._simulators):
            sim.stop()
        with self._lock:
            proc, self._proc = self._proc, None
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
            if proc is not None and proc.stderr:
                proc.stderr.close()
            _live.discard(self)

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
        """The :class:`~ogpu_widgets.network.Network` of this devnet."""
        return Network.from_devnet(self.state())

    def state(self) -> dict[str, Any]:
        """What the CLI writes to its state file."""
        return {
            "rpc_url": self.rpc_url,
            "chain_id": self.chain_id,
            "contracts": dict(self.contracts),
            "accounts": {
                "client": {"address": self.client.address, "private_key": self.client.private_key},
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

    def w3(self) -> Web3:
        """A plain Web3 on this devnet."""
        return Web3(Web3.HTTPProvider(self.rpc_url))

    def contract(self, name: str, address: str):
        """A web3 contract object of ``name`` (``Task``, ``Response``, ...) at ``address``."""
        return self.w3().eth.contract(address=to_address(address), abi=abi(name))

    # ---- raw JSON-RPC ------------------------------------------------------------------------

    @property
    def _session(self) -> requests.Session:
        # one HTTP session per thread: the simulator runs beside the caller
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def rpc(self, method: str, params: Sequence[Any] = ()) -> Any:
        """One JSON-RPC call to anvil; raises :class:`DevnetError` on an error reply."""
        reply = self._session.post(
            self.rpc_url,
            json={
                "jsonrpc": "2.0",
                "id": next(self._ids),
                "method": method,
                "params": list(params),
            },
            timeout=60,
        ).json()
        if "error" in reply:
            raise DevnetError(f"{method} failed: {_error_text(reply['error'])}")
        return reply["result"]

    def rpc_batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Several JSON-RPC calls in one HTTP request; results in order."""
        if not calls:
            return []
        payload = [
            {"jsonrpc": "2.0", "id": i, "method": m, "params": list(p)}
            for i, (m, p) in enumerate(calls)
        ]
        replies = self._session.post(self.rpc_url, json=payload, timeout=300).json()
        by_id = {r["id"]: r for r in replies}
        out = []
        for i, (method, _) in enumerate(calls):
            r = by_id[i]
            if "error" in r:
                raise DevnetError(f"{method} failed: {_error_text(r['error'])}")
            out.append(r["result"])
        return out

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

    # ---- transactions ------------------------------------------------------------------------

    def _calldata(self, name: str, fn: str, args: Sequence[Any]) -> str:
        return _abi_contract(name).encode_abi(fn, args=list(args))

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

    def call(self, contract: str, address: str, fn: str, *args: Any) -> Any:
        """Call a view function and decode its result."""
        return getattr(self.contract(contract, address).functions, fn)(*args).call()

    def _deploy_contract(self, name: str, *args: Any) -> str:
        c = Web3().eth.contract(abi=abi(name), bytecode=bytecode(name))
        data = c.constructor(*args).data_in_transaction
        receipt = self.send(self.deployer.address, None, data)
        return to_checksum_address(receipt["contractAddress"])

    def _deploy(self) -> None:
        zero = "0x" + "00" * 20
        deployer = self.deployer.address
        nexus = self._deploy_contract("Nexus", deployer, zero, zero)
        vault = self._deploy_contract("Vault", deployer, nexus, zero)
        controller = self._deploy_contract("Controller", nexus, zero, vault)
        self.send(deployer, nexus, self._calldata("Nexus", "setVault", [vault]))
        self.send(deployer, nexus, self._calldata("Nexus", "setController", [controller]))
        self.send(deployer, vault, self._calldata("Vault", "setController", [controller]))
        self.contracts = {"nexus": nexus, "controller": controller, "vault": vault}
        if self._deposit:
            self.deposit(self.client.address, self._deposit)

    def deposit(self, account: str, amount_ogpu: float) -> None:
        """Deposit ``amount_ogpu`` into the Vault for ``account`` (paid by that account)."""
        self.send(
            account,
            self.contracts["vault"],
            self._calldata("Vault", "deposit", [account]),
            value=_to_ogpu_wei(amount_ogpu),
        )

    # ---- seeding: one at a time ----------------------------------------------------------------

    def _provider(self, provider: int | str | DevAccount) -> DevAccount:
        if isinstance(provider, DevAccount):
            return provider
        if isinstance(provider, int):
            return self.providers[provider]
        addr = to_address(provider, "provider")
        for p in [*self.providers, self.client, self.stranger]:
            if p.address == addr:
                return p
        raise DevnetError(f"{addr} is not one of this devnet's accounts")

    def source_params(
        self,
        delivery: str | DeliveryMethod = "manual",
        *,
        client: str | None = None,
        image: str = "https://example.org/ogpu/sdxl.json",
        min_payment_ogpu: float = 0,
        max_expiry_duration: int = 0,
    ) -> tuple:
        return (
            client or self.client.address,
            image,
            1,
            _to_ogpu_wei(min_payment_ogpu),
            0,
            max_expiry_duration,
            False,
            "",
            int(_delivery(delivery)),
            0,
        )

    def publish_source(
        self, delivery: str | DeliveryMethod = "manual", *, client: str | None = None, **kw: Any
    ) -> str:
        """Publish a source owned by ``client`` (default: the devnet's client); its address."""
        client = client or self.client.address
        params = self.source_params(delivery, client=client, **kw)
        receipt = self.send(
            client, self.contracts["nexus"], self._calldata("Nexus", "publishSource", [params])
        )
        source = self._event_address(receipt, "SourcePublished", "source")
        self.sources.append({"address": source, "delivery_method": _delivery(delivery).label})
        return source

    def publish_task(
        self,
        source: str,
        *,
        payment_ogpu: float = 1.0,
        expires_in: int = 86_400,
        config: str = "ipfs://bafybeiconfig",
        client: str | None = None,
    ) -> str:
        """Publish a task to ``source`` paying ``payment_ogpu``; its address."""
        client = client or self.client.address
        expiry = self.block_timestamp() + expires_in
        params = (to_address(source), config, expiry, _to_ogpu_wei(payment_ogpu))
        receipt = self.send(
            client,
            self.contracts["controller"],
            self._calldata("Controller", "publishTask", [params]),
        )
        task = self._event_address(receipt, "TaskPublished", "task")
        self.tasks.append(task)
        return task

    def attempt(self, task: str, provider: int | str | DevAccount = 0, suggested_ogpu: float = 0):
        """The provider puts itself in the task's attempter list."""
        p = self._provider(provider)
        self.send(
            p.address,
            self.contracts["nexus"],
            self._calldata(
                "Nexus", "attempt", [to_address(task), p.address, _to_ogpu_wei(suggested_ogpu)]
            ),
        )

    def submit_response(
        self, task: str, provider: int | str | DevAccount = 0, data: str | None = None
    ) -> str:
        """The provider submits a response (it must have attempted); the response's address."""
        p = self._provider(provider)
        task = to_address(task)
        payment = self.call("Task", task, "getPayment")
        data = sample_data(task, p.address) if data is None else data
        receipt = self.send(
            p.address,
            self.contracts["nexus"],
            self._calldata("Nexus", "submitResponse", [(task, p.address, data, payment)]),
        )
        return self._event_address(receipt, "ResponseSubmitted", "response")

    def respond(
        self, task: str, provider: int | str | DevAccount = 0, data: str | None = None
    ) -> str:
        """attempt + submit_response; the response's address."""
        self.attempt(task, provider)
        return self.submit_response(task, provider, data)

    def confirm(self, response: str, sender: str | None = None) -> dict[str, Any]:
        """Controller.confirmResponse from ``sender`` (default: the client), as a seeding step."""
        return self.send(
            sender or self.client.address,
            self.contracts["controller"],
            self._calldata("Controller", "confirmResponse", [to_address(response)]),
        )

    def cancel(self, task: str, sender: str | None = None) -> dict[str, Any]:
        """Controller.cancelTask from ``sender`` (default: the client)."""
        return self.send(
            sender or self.client.address,
            self.contracts["controller"],
            self._calldata("Controller", "cancelTask", [to_address(task)]),
        )

    def _event_address(self, receipt: dict[str, Any], event: str, arg: str) -> str:
        nexus = self.contract("Nexus", self.contracts["nexus"])
        ev = getattr(nexus.events, event)()
        for log in receipt["logs"]:
            if to_checksum_address(log["address"]) != self.contracts["nexus"]:
                continue
            with contextlib.suppress(Exception):
                decoded = ev.process_log(_log_for_web3(log))
                return to_checksum_address(decoded["args"][arg])
        raise DevnetError(f"no {event} event in transaction {receipt['transactionHash']}")

    # ---- seeding: in bulk --------------------------------------------------------------------

    def seed(
        self,
        *,
        tasks: int = 10,
        responses_per_task: int = 3,
        delivery: str = "mixed",
        payment_ogpu: tuple[float, float] = (0.5, 5.0),
        expires_in: int = 7 * 86_400,
        batch: int = 500,
        data: Any = None,
    ) -> dict[str, Any]:
        """Publish ``tasks`` tasks and ``responses_per_task`` responses to each, fast.

        ``delivery`` is ``manual``, ``first`` or ``mixed`` (one source of each; tasks
        alternate). Transactions go in JSON-RPC batches with mining paused, in three phases
        (tasks, attempts, responses), so 10,000 responses take seconds, not minutes.
        ``data(task, provider, i)`` may give each response's payload.
        Returns ``{"sources": [...], "tasks": [...]}`` for what this call added.
        """
        if responses_per_task > len(self.providers):
            raise DevnetError(
                f"responses_per_task={responses_per_task} but the devnet has "
                f"{len(self.providers)} providers; start Devnet(providers=...) with more"
            )
        kinds = {"manual": ["manual"], "first": ["first"], "mixed": ["manual", "first"]}
        if delivery not in kinds:
            raise DevnetError(f"unknown delivery {delivery!r}: use manual, first or mixed")
        sources = [self.publish_source(k) for k in kinds[delivery]]
        lo, hi = payment_ogpu
        expiry = self.block_timestamp() + expires_in
        controller, nexus = self.contracts["controller"], self.contracts["nexus"]
        client = self.client.address
        self.set_automine(False)
        try:
            txs = []
            for i in range(tasks):
                src = sources[i % len(sources)]
                pay = lo + (hi - lo) * ((i * 7919) % 1000) / 999
                params = (
                    src,
                    f"ipfs://bafybeitaskconfig{i:06d}",
                    expiry,
                    _to_ogpu_wei(round(pay, 4)),
                )
                txs.append(
                    (
                        client,
                        controller,
                        self._calldata("Controller", "publishTask", [params]),
                        6_000_000,
                    )
                )
            self._send_bulk(txs, batch)
            source_of = self._tasks_of_sources(sources)
            new_tasks = list(source_of)
            self.tasks.extend(new_tasks)
            payments = dict(
                zip(new_tasks, self._bulk_calls("Task", new_tasks, "getPayment"), strict=True)
            )
            txs = []
            for t in new_tasks:
                for p in self.providers[:responses_per_task]:
                    txs.append(
                        (
                            p.address,
                            nexus,
                            self._calldata("Nexus", "attempt", [t, p.address, 0]),
                            500_000,
                        )
                    )
            self._send_bulk(txs, batch)
            first = {s for s, kind in zip(sources, kinds[delivery], strict=True) if kind == "first"}
            txs = []
            for t in new_tasks:
                # a first-response task is finalized by its first response: later ones revert
                answering = 1 if source_of[t] in first else responses_per_task
                for k, p in enumerate(self.providers[:answering]):
                    payload = data(t, p.address, k) if data else sample_data(t, p.address, k)
                    params = (t, p.address, payload, payments[t])
                    txs.append(
                        (
                            p.address,
                            nexus,
                            self._calldata("Nexus", "submitResponse", [params]),
                            3_000_000,
                        )
                    )
            self._send_bulk(txs, batch)
        finally:
            self.set_automine(True)
        return {"sources": sources, "tasks": new_tasks}

    def _send_bulk(self, txs: list[tuple[str, str, str, int]], batch: int) -> None:
        if not txs:
            return
        senders = sorted({f for f, _, _, _ in txs})
        counts = self.rpc_batch([("eth_getTransactionCount", [a, "pending"]) for a in senders])
        nonces = {a: int(c, 16) for a, c in zip(senders, counts, strict=True)}
        hashes: list[str] = []
        for start in range(0, len(txs), batch):
            calls = []
            for f, t, d, g in txs[start : start + batch]:
                tx = {"from": f, "to": t, "data": d, "gas": hex(g), "nonce": hex(nonces[f])}
                nonces[f] += 1
                calls.append(("eth_sendTransaction", [tx]))
            hashes += self.rpc_batch(calls)
            self.mine()  # one block per batch keeps blocks under the gas limit
        failed = 0
        for start in range(0, len(hashes), batch):
            receipts = self.rpc_batch(
                [("eth_getTransactionReceipt", [h]) for h in hashes[start : start + batch]]
            )
            failed += sum(1 for r in receipts if r is None or int(r["status"], 16) != 1)
        if failed:
            raise DevnetError(f"{failed} of {len(hashes)} seeding transactions failed")

    def _bulk_calls(self, name: str, addresses: Sequence[str], fn: str) -> list[Any]:
        func = getattr(_abi_contract(name).functions, fn)()
        data = func._encode_transaction_data()
        out: list[Any] = []
        for start in range(0, len(addresses), 1000):
            chunk = addresses[start : start + 1000]
            raw = self.rpc_batch([("eth_call", [{"to": a, "data": data}, "latest"]) for a in chunk])
            out += [int(r, 16) for r in raw]
        return out

    def _tasks_of_sources(self, sources: Iterable[str]) -> dict[str, str]:
        """{task: source} for the tasks of ``sources`` not yet in ``self.tasks``."""
        known = set(self.tasks)
        out: dict[str, str] = {}
        for s in sources:
            n = self.call("Source", s, "getTaskCount")
            if n:
                for a in self.call("Source", s, "getTasks", 0, n - 1):
                    if to_checksum_address(a) not in known:
                        out[to_checksum_address(a)] = s
        return out

    # ---- the provider simulator ----------------------------------------------------------------

    def simulate(self, rate: float = 1.0, tasks: Sequence[str] | None = None) -> ProviderSimulator:
        """Start a background provider simulator submitting about ``rate`` responses/second to
        open tasks (all of this devnet's tasks, or ``tasks``). Stop it with ``.stop()``."""
        sim = ProviderSimulator(self, rate, tasks)
        self._simulators.append(sim)
        sim.start()
        return sim


@functools.cache
def _abi_contract(name: str):
    return Web3().eth.contract(abi=abi(name))


def _error_text(err: Any) -> str:
    if isinstance(err, dict):
        msg = err.get("message", "")
        data = err.get("data")
        return f"{msg} {data}" if data and isinstance(data, str) else msg
    return str(err)


def _log_for_web3(log: dict[str, Any]) -> dict[str, Any]:
    from hexbytes import HexBytes

    return {
        "address": to_checksum_address(log["address"]),
        "topics": [HexBytes(t) for t in log["topics"]],
        "data": HexBytes(log["data"]),
        "blockNumber": int(log["blockNumber"], 16),
        "transactionHash": HexBytes(log["transactionHash"]),
        "transactionIndex": int(log["transactionIndex"], 16),
        "blockHash": HexBytes(log["blockHash"]),
        "logIndex": int(log["logIndex"], 16),
        "removed": False,
    }


class ProviderSimulator:
    """Background thread: providers attempt and answer open tasks at about ``rate`` per second."""

    def __init__(self, devnet: Devnet, rate: float, tasks: Sequence[str] | None = None) -> None:
        if rate <= 0:
            raise DevnetError(f"simulate rate {rate!r} must be positive (responses per second)")
        self.devnet = devnet
        self.rate = rate
        self._tasks = list(tasks) if tasks is not None else None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ogpu-provider-sim", daemon=True)
        self.submitted: list[str] = []
        self.errors: list[str] = []
        self._cursor = -1
        self._closed: set[str] = set()

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)
        with contextlib.suppress(ValueError):
            self.devnet._simulators.remove(self)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _next(self) -> tuple[str, DevAccount] | None:
        """The next open task (round robin) and a provider that has not attempted it."""
        dev = self.devnet
        tasks = self._tasks if self._tasks is not None else list(dev.tasks)
        for _ in range(len(tasks)):
            self._cursor = (self._cursor + 1) % len(tasks)
            t = tasks[self._cursor]
            if t in self._closed:
                continue
            if dev.call("Task", t, "getStatus") in (3, 4, 5):
                self._closed.add(t)
                continue
            for p in dev.providers:
                if dev.call("Task", t, "getAttempterId", p.address) == 0:
                    return t, p
            self._closed.add(t)
        return None

    def _run(self) -> None:
        period = 1.0 / self.rate
        while not self._stop.is_set():
            began = time.monotonic()
            try:
                if not self.devnet.running:
                    return
                pick = self._next()
                if pick:
                    self.submitted.append(self.devnet.respond(*pick))
            except Exception as exc:  # keep simulating; the chain may refuse a late answer
                self.errors.append(f"{type(exc).__name__}: {exc}")
            self._stop.wait(max(0.0, period - (time.monotonic() - began)))
