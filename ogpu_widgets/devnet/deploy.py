"""Deploying the OpenGPU devnet contracts (``Nexus``, ``Vault``, ``Controller``, wired to each
other) from the bundled creation code."""

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
    """Deploy and wire Nexus, Vault and Controller; ``{"nexus", "controller", "vault"}``.
    (No Terminal: the devnet's contracts take the zero address for it.)"""
    deployer = dev.deployer.address
    nexus = deploy_contract(dev, "Nexus", deployer, ZERO_ADDRESS, ZERO_ADDRESS)
    vault = deploy_contract(dev, "Vault", deployer, nexus, ZERO_ADDRESS)
    controller = deploy_contract(dev, "Controller", nexus, ZERO_ADDRESS, vault)
    dev.send(deployer, nexus, calldata("Nexus", "setVault", vault))
    dev.send(deployer, nexus, calldata("Nexus", "setController", controller))
    dev.send(deployer, vault, calldata("Vault", "setController", controller))
    return {"nexus": nexus, "controller": controller, "vault": vault}
