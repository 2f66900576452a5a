"""Deploying the OpenGPU devnet contracts (``Terminal``, ``Nexus``, ``Vault``, ``Controller``,
wired to each other) from the bundled creation code."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..chain.codec import ZERO_ADDRESS, calldata, checksum
from .contracts import creation_data

if TYPE_CHECKING:
    from .devnet import Devnet

__all__ = ["deploy_contract", "deploy_protocol"]


def deploy_contract(dev: Devnet, name: str, *args: Any) -> str:
    """Deploy contract ``name`` with constructor ``args`` from the deployer; its address."""
    receipt = dev.send(dev.deployer.address, None, creation_data(name, *args))
    return checksum(bytes.fromhex(receipt["contractAddress"][2:]))


def deploy_protocol(dev: Devnet) -> dict[str, str]:
    """Deploy and wire Terminal, Nexus, Vault and Controller; ``{"nexus", "controller",
    "vault", "terminal"}``. The Controller (and Nexus) accept a client's authorized agents
    (``Terminal.isAgentOf(client, sender)``), as the deployed contracts do."""
    deployer = dev.deployer.address
    terminal = deploy_contract(dev, "Terminal", deployer, ZERO_ADDRESS)
    nexus = deploy_contract(dev, "Nexus", deployer, terminal, ZERO_ADDRESS)
    vault = deploy_contract(dev, "Vault", deployer, nexus, terminal)
    controller = deploy_contract(dev, "Controller", nexus, terminal, vault)
    dev.send(deployer, nexus, calldata("Nexus", "setVault", vault))
    dev.send(deployer, nexus, calldata("Nexus", "setController", controller))
    dev.send(deployer, vault, calldata("Vault", "setController", controller))
    dev.send(deployer, terminal, calldata("Terminal", "setVault", vault))
    return {"nexus": nexus, "controller": controller, "vault": vault, "terminal": terminal}
