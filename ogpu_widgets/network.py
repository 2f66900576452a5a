"""Networks (mainnet, testnet, devnet, custom) and the verified Web3 connection to them."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import requests
from eth_utils import is_address, is_checksum_address, to_checksum_address
from web3 import Web3
from web3.providers.rpc import HTTPProvider
from web3.providers.rpc.utils import ExceptionRetryConfiguration

from .errors import ConnectionError_, InvalidAddressError, NetworkConfigError, WrongChainError

#: Environment variable naming the default network: ``mainnet``, ``testnet``, or the path of a
#: devnet state file written by ``ogpu-widgets devnet --state-file``.
NETWORK_ENV = "OGPU_WIDGETS_NETWORK"


def to_address(value: Any, what: str = "address") -> str:
    """``value`` as a checksummed address, or :class:`InvalidAddressError` naming it."""
    if isinstance(value, bytes) and len(value) == 20:
        return to_checksum_address(value)
    if not isinstance(value, str) or not is_address(value):
        raise InvalidAddressError(
            f"{what} {value!r} is not a valid address: expected 0x followed by 40 hex digits"
            " (mixed case must be a correct EIP-55 checksum)"
        )
    digits = value.removeprefix("0x").removeprefix("0X")
    if not (digits.islower() or digits.isupper() or digits.isdigit()) and not is_checksum_address(
        value
    ):
        # eth_utils' is_address no longer checks EIP-55: a typo in a checksummed address would
        # silently name another account
        raise InvalidAddressError(
            f"{what} {value!r} has mixed case but not a correct EIP-55 checksum (a typo?); "
            "check it, or pass it all lower case"
        )
    return to_checksum_address(value)


@dataclass(frozen=True)
class Network:
    """An OpenGPU network: chain id, RPC endpoint and the protocol's contract addresses."""

    name: str
    chain_id: int
    rpc_url: str
    nexus: str
    controller: str
    vault: str
    terminal: str | None = None
    explorer_url: str = ""
    #: First block worth scanning for protocol events (the deployment block, if known).
    start_block: int = 0
    #: Largest block range of one ``eth_getLogs`` query; halved when the node refuses a range.
    log_window: int = 10_000
    #: Gas cap the node applies to ``eth_call``; lens chunks are sized to stay below it.
    call_gas_cap: int = 50_000_000
    #: HTTP timeout in seconds for one request.
    request_timeout: float = 30.0
    # Not init fields: each Network (also a with_settings() copy) gets its own connection cache.
    _lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )
    _w3: list = field(default_factory=list, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for attr in ("nexus", "controller", "vault"):
            object.__setattr__(self, attr, to_address(getattr(self, attr), f"{attr} address"))
        if self.terminal:
            object.__setattr__(self, "terminal", to_address(self.terminal, "terminal address"))
        if not isinstance(self.rpc_url, str) or not self.rpc_url.startswith(
            ("http://", "https://")
        ):
            raise NetworkConfigError(
                f"rpc_url {self.rpc_url!r} is not an http(s) URL; give the node's JSON-RPC URL"
            )

    # ---- constructors ------------------------------------------------------------------------

    @classmethod
    def custom(
        cls,
        rpc_url: str,
        *,
        nexus: str,
        controller: str,
        vault: str,
        chain_id: int | None = None,
        terminal: str | None = None,
        name: str = "custom",
        **settings: Any,
    ) -> Network:
        """Any RPC URL and contract addresses. Without ``chain_id`` the node's is asked once."""
        if chain_id is None:
            chain_id = _ask_chain_id(rpc_url, settings.get("request_timeout", 30.0))
        return cls(
            name=name,
            chain_id=int(chain_id),
            rpc_url=rpc_url,
            nexus=nexus,
            controller=controller,
            vault=vault,
            terminal=terminal,
            **settings,
        )

    @classmethod
    def from_devnet(cls, devnet: Any) -> Network:
        """The network of a running ``Devnet``, or of a devnet state file (path or dict)."""
        if hasattr(devnet, "state"):
            state = devnet.state()
        elif isinstance(devnet, dict):
            state = devnet
        else:
            path = Path(devnet)
            try:
                state = json.loads(path.read_text("utf-8"))
            except FileNotFoundError:
                raise NetworkConfigError(
                    f"devnet state file {str(path)!r} does not exist; start one with "
                    "`ogpu-widgets devnet --state-file PATH`"
                ) from None
            except (OSError, ValueError) as exc:
                raise NetworkConfigError(
                    f"devnet state file {str(path)!r} is not readable JSON ({exc}); "
                    "write it again with `ogpu-widgets devnet --state-file PATH`"
                ) from None
        try:
            c = state["contracts"]
            return cls(
                name="devnet",
                chain_id=int(state["chain_id"]),
                rpc_url=state["rpc_url"],
                nexus=c["nexus"],
                controller=c["controller"],
                vault=c["vault"],
                terminal=c.get("terminal"),
                log_window=int(state.get("log_window", 10_000)),
            )
        except (KeyError, TypeError) as exc:
            raise NetworkConfigError(
                f"devnet state lacks {exc}; expected keys rpc_url, chain_id and contracts "
                "{nexus, controller, vault}"
            ) from None

    def with_settings(self, **changes: Any) -> Network:
        """A copy with other settings (``rpc_url``, ``call_gas_cap``, ``log_window``, ...)."""
        return replace(self, **changes)

    # ---- the connection ----------------------------------------------------------------------

    def explorer_link(self, kind: str, value: str) -> str:
        """``{explorer}/address/0x..`` or ``{explorer}/tx/0x..``; "" without an explorer."""
        return f"{self.explorer_url}/{kind}/{value}" if self.explorer_url else ""

    @property
    def w3(self) -> Web3:
        """A Web3 connection whose chain id has been verified (made once, then reused)."""
        with self._lock:
            if not self._w3:
                self._w3.append(connect(self))
            return self._w3[0]


def make_provider(rpc_url: str, timeout: float = 30.0, retries: int = 5) -> HTTPProvider:
    """An HTTP provider that retries transient transport errors with exponential backoff."""
    return HTTPProvider(
        rpc_url,
        request_kwargs={"timeout": timeout},
        exception_retry_configuration=ExceptionRetryConfiguration(
            errors=(requests.ConnectionError, requests.HTTPError, requests.Timeout),
            retries=retries,
            backoff_factor=0.2,
        ),
    )


def _ask_chain_id(rpc_url: str, timeout: float) -> int:
    try:
        return Web3(make_provider(rpc_url, timeout, retries=2)).eth.chain_id
    except Exception as exc:
        raise ConnectionError_(
            f"cannot reach the RPC node at {rpc_url} ({type(exc).__name__}); check the URL "
            "and that the node is running"
        ) from None


def connect(network: Network) -> Web3:
    """A Web3 for ``network``; refuses a node on another chain or one that does not answer."""
    w3 = Web3(make_provider(network.rpc_url, network.request_timeout))
    try:
        chain_id = w3.eth.chain_id
    except Exception as exc:
        raise ConnectionError_(
            f"cannot reach the {network.name} RPC node at {network.rpc_url} "
            f"({type(exc).__name__}); check the URL and your connection, or pick another "
            "network with set_default_network()"
        ) from None
    if chain_id != network.chain_id:
        raise WrongChainError(
            f"the node at {network.rpc_url} is on chain {chain_id}, but network "
            f"{network.name!r} is chain {network.chain_id}; point the network at an RPC URL "
            "of that chain (Network.with_settings(rpc_url=...))"
        )
    return w3


MAINNET = Network(
    name="mainnet",
    chain_id=1071,
    rpc_url="https://mainnet-rpc.ogpuscan.io",
    nexus="0x2b0cC6058313801D5feb184a539e3a0C5A87a6a1",
    controller="0x8661F4B9c30e07A04d795A192478dfD905625a1D",
    terminal="0xaEBC7b712D38Fc4d841f0732c21B8774339869D3",
    vault="0xa5c582254AA313528898311362bc698b041580cC",
    explorer_url="https://ogpuscan.io",
)

TESTNET = Network(
    name="testnet",
    chain_id=200820172034,
    rpc_url="https://testnetrpc.ogpuscan.io",
    nexus="0xF87bb2f3edB991a998992f14d35fE142e6Bb50b1",
    controller="0x9fb6022074Fd7Bdb429de0776eb693cA0CB55E09",
    terminal="0x1ea332Fc14a5AFD3AF3852B45C263Ab5b1Dd6f52",
    vault="0x15905a2FbD3EF5d3532b931b5656BB9EB493Bb15",
)

_default: Network | None = None
_default_lock = threading.Lock()


def set_default_network(network: Network | str | os.PathLike | None) -> None:
    """Set the network that calls use when given none (``None`` restores the environment's)."""
    global _default
    resolved = None if network is None else resolve_network(network)
    with _default_lock:
        _default = resolved


def get_default_network() -> Network:
    """The process-wide default: what ``set_default_network`` set, else ``$OGPU_WIDGETS_NETWORK``
    (``mainnet``, ``testnet`` or a devnet state file), else mainnet."""
    global _default
    with _default_lock:
        if _default is None:
            _default = resolve_network(os.environ.get(NETWORK_ENV) or "mainnet")
        return _default


def resolve_network(network: Network | str | os.PathLike | None) -> Network:
    """A :class:`Network` from a Network, ``"mainnet"``/``"testnet"``, a devnet state file, a
    running ``Devnet``, or ``None`` (the default network)."""
    if network is None:
        return get_default_network()
    if isinstance(network, Network):
        return network
    if hasattr(network, "state"):
        return Network.from_devnet(network)
    if isinstance(network, str) and network.lower() in ("mainnet", "testnet"):
        return MAINNET if network.lower() == "mainnet" else TESTNET
    if isinstance(network, str | os.PathLike) and Path(network).suffix == ".json":
        return Network.from_devnet(network)
    raise NetworkConfigError(
        f"unknown network {network!r}: use 'mainnet', 'testnet', a devnet state file (.json), "
        "or a Network (Network.custom(rpc_url, nexus=..., controller=..., vault=...))"
    )
