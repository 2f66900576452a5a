"""The committed ABIs are exactly what contracts/ compiles to, and match the deployed layout."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ogpu_widgets.chain.abi import abi

ROOT = Path(__file__).resolve().parents[2]


def test_committed_artifacts_match_the_sources():
    node = shutil.which("node")
    assert node, "node is needed to recompile the contracts (solc-js)"
    proc = subprocess.run(
        [node, "scripts/compile-contracts.mjs", "--check"],
        cwd=ROOT / "js",
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _signatures(items):
    out = set()
    for item in items:
        if item["type"] not in ("function", "event"):
            continue
        types = ",".join(_type(i) for i in item["inputs"])
        outs = ",".join(_type(o) for o in item.get("outputs", []))
        out.add((item["type"], item["name"], types, outs))
    return out


def _type(param):
    if param["type"].startswith("tuple"):
        inner = ",".join(_type(c) for c in param["components"])
        return f"({inner}){param['type'][5:]}"
    return param["type"]


# The functions and events the protocol document lists, per contract.
PROTOCOL = {
    "Response": ["getResponseParams", "responseParams", "getStatus", "confirmedFinal",
                 "responseTimestamp"],
    "Task": ["taskParams", "getStatus", "getDeliveryMethod", "getSource", "getPayment",
             "getExpiryTime", "winningProvider", "getAttemptCount", "getAttempters",
             "getAttemptTimestamps", "getResponsesOf", "responseOf", "isAlreadySubmitted"],
    "Source": ["getSourceParams", "getClient", "getStatus", "getTaskCount", "getTasks"],
    "Nexus": ["getSourceCount", "getSources", "publishSource", "attempt", "submitResponse",
              "TaskPublished", "TaskStatusChanged", "ResponseSubmitted", "ResponseStatusChanged",
              "SourcePublished", "Attempted"],
    "Controller": ["confirmResponse", "publishTask", "cancelTask"],
    "Vault": ["balanceOf", "getBalanceOf", "frozenPayment", "totalEarningsOf", "deposit"],
    "Terminal": ["setAgent", "isAgentOf", "getIsAgentOf", "AgentSet", "defaultAgentDisabled",
                 "setDefaultAgentDisabled", "DefaultAgentDisabled", "manager", "vault"],
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(PROTOCOL))
def test_layout_matches_the_deployed_abi(name):
    """Where the official SDK ships the deployed ABI, every protocol member is identical."""
    sdk = pytest.importorskip("ogpu")
    path = Path(sdk.__file__).parent / "chain" / "abis" / "mainnet" / f"{name}Abi.json"
    deployed = json.loads(path.read_text())
    if isinstance(deployed, dict):
        deployed = deployed["abi"]
    ours = {s for s in _signatures(abi(name)) if s[1] in PROTOCOL[name]}
    theirs = {s for s in _signatures(deployed) if s[1] in PROTOCOL[name]}
    assert ours == theirs
    assert {s[1] for s in ours} == set(PROTOCOL[name])
