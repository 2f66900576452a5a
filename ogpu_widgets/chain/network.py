"""Networks (mainnet, testnet, devnet, custom): chain id, RPC endpoint, contract addresses, and the
verified connection to them."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Protocol, TypeAlias

from .._strict import reject_unknown, seconds
from ..errors import ConnectionError_, NetworkConfigError, OgpuWidgetsError, WrongChainError
from .codec import to_address
from .rpc import RpcClient, RpcError

#: Environment variable naming the default network: ``mainnet``, ``testnet``, or the path of a
#: devnet state file written by ``ogpu-widgets devnet --state-file``.
NETWORK_ENV = "OGPU_WIDGETS_NETWORK"
#: Environment variable naming the IPFS gateway results are fetched through (it overrides a
#: network's ``ipfs_gateway``; a ``gateway=`` argument overrides both).
IPFS_GATEWAY_ENV = "OGPU_IPFS_GATEWAY"
#: The gateway of the OpenGPU networks' result uploads.
OGPU_IPFS_GATEWAY = "https://cipfs.ogpuscan.io"


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
    #: The IPFS gateway results are fetched through ("" for none): its trustless interface
    #: (raw blocks, CAR) when it has one. ``$OGPU_IPFS_GATEWAY`` overrides it.
    ipfs_gateway: str = ""
    # Not init fields: each Network (also a with_settings() copy) verifies its own connection.
    _lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )
    _verified: list = field(default_factory=list, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "chain_id", _chain_id(self.chain_id, "chain_id"))
        for attr in ("log_window", "call_gas_cap", "start_block"):
            object.__setattr__(self, attr, _whole(getattr(self, attr), attr))
        timeout = seconds(self.request_timeout, "request_timeout", NetworkConfigError)
        object.__setattr__(self, "request_timeout", timeout)
        if self.log_window < 1 or self.call_gas_cap < 1:
            raise NetworkConfigError("log_window and call_gas_cap must be at least 1")
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
        object.__setattr__(self, "ipfs_gateway", gateway_url(self.ipfs_gateway))

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
        """Any RPC URL and contract addresses. Without ``chain_id`` the node's is asked once.
        ``settings`` are the other fields (``explorer_url``, ``log_window``, ``call_gas_cap``,
        ``request_timeout``, ``start_block``, ``ipfs_gateway``)."""
        reject_unknown("Network.custom()", settings, _SETTINGS)
        if chain_id is None:
            if not isinstance(rpc_url, str) or not rpc_url.startswith(("http://", "https://")):
                raise NetworkConfigError(
                    f"rpc_url {rpc_url!r} is not an http(s) URL; give the node's JSON-RPC URL"
                )
            timeout = seconds(settings.get("request_timeout", 30.0), "request_timeout",
                              NetworkConfigError)  # fmt: skip
            chain_id = _ask_chain_id(rpc_url, timeout)
        return cls(
            name=name,
            chain_id=_chain_id(chain_id, "chain_id"),
            rpc_url=rpc_url,
            nexus=nexus,
            controller=controller,
            vault=vault,
            terminal=terminal,
            **settings,
        )

    @classmethod
    def from_devnet(cls, devnet: Any) -> Network:
        """The network of a running ``Devnet``, or of a devnet state file (path or dict).
        Error messages name what is missing or wrong, never the state's values (a state file
        holds private keys)."""
        where = "devnet state"
        if hasattr(devnet, "state"):
            state = devnet.state()
        elif isinstance(devnet, Mapping):
            state = devnet
        else:
            if not isinstance(devnet, str | os.PathLike):
                raise NetworkConfigError(
                    f"a devnet is a Devnet, a state dict or the path of a state file, not a "
                    f"{type(devnet).__name__}"
                )
            path = Path(devnet)
            where = f"devnet state file {str(path)!r}"
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
        expected = "expected keys rpc_url, chain_id and contracts {nexus, controller, vault}"
        if not isinstance(state, Mapping):
            raise NetworkConfigError(f"{where} is not a JSON object; {expected}")
        c = state.get("contracts")
        missing = [k for k in ("rpc_url", "chain_id") if k not in state]
        if not isinstance(c, Mapping):
            missing.append("contracts")
        else:
            missing += [f"contracts.{k}" for k in ("nexus", "controller", "vault") if k not in c]
        if missing:
            raise NetworkConfigError(f"{where} lacks {', '.join(missing)}; {expected}")
        try:
            return cls(
                name="devnet",
                chain_id=_chain_id(state["chain_id"], f"{where}: chain_id"),
                rpc_url=state["rpc_url"],
                nexus=c["nexus"],
                controller=c["controller"],
                vault=c["vault"],
                terminal=c.get("terminal"),
                log_window=_whole(state.get("log_window", 10_000), f"{where}: log_window"),
                ipfs_gateway=state.get("ipfs_gateway") or "",
            )
        except NetworkConfigError as exc:
            raise NetworkConfigError(f"{where}: {exc}") from None
        except OgpuWidgetsError as exc:  # a bad address: say which, without the state
            raise NetworkConfigError(f"{where} has a bad contract address: {exc}") from None

    def with_settings(self, **changes: Any) -> Network:
        """A copy with other settings (``rpc_url``, ``call_gas_cap``, ``log_window``, ...)."""
        reject_unknown("Network.with_settings()", changes, _FIELDS)
        return replace(self, **changes)

    # ---- the connection ----------------------------------------------------------------------

    def explorer_link(self, kind: str, value: str) -> str:
        """``{explorer}/address/0x..`` or ``{explorer}/tx/0x..``; "" without an explorer."""
        return f"{self.explorer_url}/{kind}/{value}" if self.explorer_url else ""

    def client(self, **options: Any) -> RpcClient:
        """A JSON-RPC client of this network's node (``options`` as :class:`RpcClient`'s)."""
        return RpcClient(self.rpc_url, timeout=self.request_timeout, name=self.name, **options)

    def verify(self) -> None:
        """Check once per Network that the node answers and is on ``chain_id``: raises
        :class:`ConnectionError_` or :class:`WrongChainError` (then asks again next time)."""
        with self._lock:
            if self._verified:
                return
            chain_id = _ask_chain_id(self.rpc_url, self.request_timeout, self.name)
            if chain_id != self.chain_id:
                raise WrongChainError(
                    f"the node at {self.rpc_url} is on chain {chain_id}, but network "
                    f"{self.name!r} is chain {self.chain_id}; point the network at an RPC URL "
                    "of that chain (Network.with_settings(rpc_url=...))",
                    url=self.rpc_url,
                    chain_id=chain_id,
                    expected_chain_id=self.chain_id,
                )
            self._verified.append(True)


def gateway_url(value: Any, what: str = "ipfs_gateway") -> str:
    """An IPFS gateway's base URL without a trailing ``/`` or ``/ipfs`` ("" stays "");
    :class:`NetworkConfigError` for anything but an http(s) URL."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or not value.strip().lower().startswith(("http://", "https://")):
        shown = value if isinstance(value, str) else type(value).__name__
        raise NetworkConfigError(
            f"{what} {shown!r} is not an http(s) URL; give a gateway's base URL, e.g. "
            f"{OGPU_IPFS_GATEWAY!r}"
        )
    url = value.strip().rstrip("/")
    if url.lower().endswith("/ipfs"):
        url = url[: -len("/ipfs")]
    return url


def _chain_id(value: Any, what: str) -> int:
    """A chain id from an int or a decimal/0x string; :class:`NetworkConfigError` otherwise."""
    try:
        if isinstance(value, bool):
            raise ValueError
        if isinstance(value, str):
            text = value.strip()
            out = int(text, 16) if text[:2].lower() == "0x" else int(text, 10)
        elif isinstance(value, int):
            out = value
        else:
            raise ValueError
    except ValueError:
        shown = value if isinstance(value, int | str) else type(value).__name__
        raise NetworkConfigError(
            f"{what} {shown!r} is not a chain id: give a positive integer (e.g. 1071)"
        ) from None
    if out <= 0:
        raise NetworkConfigError(f"{what} {out} is not a chain id: it must be positive")
    return out


def _whole(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            if isinstance(value, float) and value.is_integer():
                return int(value)
            if isinstance(value, str):
                return int(value.strip())
        except ValueError:
            pass
        shown = value if isinstance(value, int | float | str) else type(value).__name__
        raise NetworkConfigError(f"{what} {shown!r} is not a whole number")
    if value < 0:
        raise NetworkConfigError(f"{what} {value} must not be negative")
    return value


def _ask_chain_id(rpc_url: str, timeout: float, name: str | None = None) -> int:
    client = RpcClient(rpc_url, timeout=timeout, name=name, attempts=3, backoff=0.2)
    where = f"the {name} RPC node" if name else "the RPC node"
    try:
        answer = client.call("eth_chainId")
        return int(answer, 16)
    except ConnectionError_ as exc:
        raise ConnectionError_(
            f"cannot reach {where} at {rpc_url} ({exc.detail or type(exc).__name__}); check the "
            "URL and your connection, or pick another network with set_default_network()",
            url=rpc_url,
        ) from None
    except (RpcError, TypeError, ValueError):
        raise ConnectionError_(
            f"{where} at {rpc_url} did not answer eth_chainId with a chain id; check that the "
            "URL is an Ethereum JSON-RPC endpoint",
            url=rpc_url,
        ) from None


MAINNET = Network(
    name="mainnet",
    chain_id=1071,
    rpc_url="https://mainnet-rpc.ogpuscan.io",
    nexus="0x2b0cC6058313801D5feb184a539e3a0C5A87a6a1",
    controller="0x8661F4B9c30e07A04d795A192478dfD905625a1D",
    terminal="0xaEBC7b712D38Fc4d841f0732c21B8774339869D3",
    vault="0xa5c582254AA313528898311362bc698b041580cC",
    explorer_url="https://ogpuscan.io",
    ipfs_gateway=OGPU_IPFS_GATEWAY,
)

TESTNET = Network(
    name="testnet",
    chain_id=200820172034,
    rpc_url="https://testnetrpc.ogpuscan.io",
    nexus="0xF87bb2f3edB991a998992f14d35fE142e6Bb50b1",
    controller="0x9fb6022074Fd7Bdb429de0776eb693cA0CB55E09",
    terminal="0x1ea332Fc14a5AFD3AF3852B45C263Ab5b1Dd6f52",
    vault="0x15905a2FbD3EF5d3532b931b5656BB9EB493Bb15",
    ipfs_gateway=OGPU_IPFS_GATEWAY,
)

_default: Network | None = None
_default_lock = threading.Lock()


#: What a ``network=`` argument may be: a :class:`Network`, ``"mainnet"``/``"testnet"``, the
#: path of a devnet state file, a devnet state dict, a running ``Devnet``, or ``None`` (the
#: default network).
class HasState(Protocol):
    """Anything with a devnet ``state()`` (a running ``ogpu_widgets.devnet.Devnet``)."""

    def state(self) -> Mapping[str, Any]: ...


NetworkLike: TypeAlias = "Network | str | os.PathLike[str] | Mapping[str, Any] | HasState | None"


def set_default_network(network: NetworkLike) -> None:
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


def resolve_network(network: NetworkLike) -> Network:
    """A :class:`Network` from anything :data:`NetworkLike` names."""
    if network is None:
        return get_default_network()
    if isinstance(network, Network):
        return network
    if hasattr(network, "state") or isinstance(network, Mapping):
        return Network.from_devnet(network)
    if isinstance(network, str) and network.strip().lower() in ("mainnet", "testnet"):
        return MAINNET if network.strip().lower() == "mainnet" else TESTNET
    if isinstance(network, str | os.PathLike) and Path(network).suffix == ".json":
        return Network.from_devnet(network)
    shown = repr(network) if isinstance(network, str | os.PathLike) else type(network).__name__
    raise NetworkConfigError(
        f"unknown network {shown}: use 'mainnet', 'testnet', a devnet state file (.json) or "
        "dict, or a Network (Network.custom(rpc_url, nexus=..., controller=..., vault=...))"
    )


_FIELDS = frozenset(f.name for f in fields(Network) if f.init)
_SETTINGS = _FIELDS - {"name", "chain_id", "rpc_url", "nexus", "controller", "vault", "terminal"}
