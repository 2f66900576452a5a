"""Compiled ABIs and creation code, generated from ``contracts/`` by ``npm run compile-contracts``.

Only the ABIs are used against real networks (they are layout-compatible with the deployed
OpenGPU contracts); the creation code is used to deploy the devnet and to run the read lens
as a deployless ``eth_call``.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def artifact(name: str) -> dict[str, Any]:
    """The artifact ``{"abi": [...], "bytecode": "0x..."}`` of contract ``name``."""
    text = resources.files(__package__).joinpath(f"{name}.json").read_text("utf-8")
    return json.loads(text)


def abi(name: str) -> list[dict[str, Any]]:
    """The ABI of contract ``name`` (``Nexus``, ``Controller``, ``Task``, ...)."""
    return artifact(name)["abi"]


def bytecode(name: str) -> str:
    """The creation code of contract ``name`` as a 0x-prefixed hex string."""
    return artifact(name)["bytecode"]
