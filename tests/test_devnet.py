"""The devnet: process life cycle, seeding, the simulator and the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from support import until

from ogpu_widgets.devnet import AnvilNotFoundError, Devnet, DevnetError, find_anvil

ROOT = Path(__file__).resolve().parents[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purpose
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def test_context_manager_stops_anvil():
    with Devnet() as dev:
        pid = dev.pid
        assert dev.running and pid == dev._proc.pid and _alive(pid)
        assert dev.w3().eth.chain_id == 31337
        assert set(dev.contracts) == {"nexus", "controller", "vault", "terminal"}
    assert not dev.running and dev.pid is None
    until(lambda: not _alive(pid), 20, "anvil to exit")


def test_anvil_missing_gives_one_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("ANVIL", str(tmp_path / "nope"))
    with pytest.raises(AnvilNotFoundError, match=r"\$ANVIL"):
        find_anvil()
    monkeypatch.delenv("ANVIL")
    monkeypatch.delenv("FOUNDRY_DIR", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr("ogpu_widgets.devnet.process.REPO_ROOT", tmp_path)
    with pytest.raises(AnvilNotFoundError, match="npm install -g @foundry-rs/anvil"):
        Devnet().start()


def test_seed_counts_and_delivery(fresh_devnet):
    info = fresh_devnet.seed(tasks=6, responses_per_task=4, delivery="mixed")
    assert len(info["sources"]) == 2 and len(info["tasks"]) == 6
    counts = {}
    for t in info["tasks"]:
        n = fresh_devnet.call("Task", t, "getAttemptCount")
        responses = [
            a for a in fresh_devnet.call("Task", t, "getResponsesOf", 0, n - 1) if int(a, 16)
        ]
        method = fresh_devnet.call("Task", t, "getDeliveryMethod")
        counts.setdefault(method, []).append(len(responses))
    assert counts[0] == [4, 4, 4]  # manual: every provider's response stands
    assert counts[1] == [1, 1, 1]  # first response: the task closes at once


def test_seed_rejects_more_responses_than_providers(fresh_devnet):
    with pytest.raises(DevnetError, match="providers"):
        fresh_devnet.seed(tasks=1, responses_per_task=99)


def test_simulator_submits_responses(fresh_devnet):
    src = fresh_devnet.publish_source("manual")
    task = fresh_devnet.publish_task(src)
    sim = fresh_devnet.simulate(rate=50, tasks=[task])
    try:
        until(lambda: len(sim.submitted) >= 3 or sim.errors, 30, "three simulated responses")
        assert len(sim.submitted) >= 3, sim.errors
    finally:
        sim.stop()
    assert not sim.running
    assert fresh_devnet.call("Task", task, "getAttemptCount") >= 3
    assert not sim.errors


def test_no_orphan_when_the_python_process_is_killed(tmp_path):
    """SIGKILL leaves no chance to clean up: anvil must still go (parent-death signal)."""
    state = tmp_path / "state.json"
    code = (
        "import sys, time\n"
        "from ogpu_widgets.devnet import Devnet\n"
        "d = Devnet().start()\n"
        f"open({str(state)!r}, 'w').write(str(d.pid))\n"
        "time.sleep(600)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    try:
        until(lambda: state.exists() and state.read_text(), 30, "the child to write its state")
        anvil_pid = int(state.read_text())
        assert _alive(anvil_pid)
        proc.kill()
        proc.wait(10)
        until(lambda: not _alive(anvil_pid), 20, "anvil to die with its parent")
    finally:
        proc.kill()


def test_cli_seeds_writes_state_and_stops_on_interrupt(tmp_path):
    state = tmp_path / "devnet.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "ogpu_widgets", "devnet", "--tasks", "4",
         "--responses-per-task", "2", "--delivery", "mixed", "--state-file", str(state)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("running"):
                break
        out = "".join(lines)
        data = json.loads(state.read_text())
        assert set(data) >= {"rpc_url", "chain_id", "contracts", "accounts", "sources", "tasks"}
        assert set(data["contracts"]) >= {"nexus", "controller", "vault", "terminal"}
        assert set(data["accounts"]["client"]) == {"address", "private_key"}
        assert all(set(p) == {"address", "private_key"} for p in data["accounts"]["providers"])
        assert len(data["tasks"]) == 4 and len(data["sources"]) == 2
        assert data["rpc_url"] in out and data["accounts"]["client"]["address"] in out
        assert "public test keys" in out
        from web3 import Web3

        assert Web3(Web3.HTTPProvider(data["rpc_url"])).eth.chain_id == data["chain_id"]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0
        until(lambda: not _port_open(data["rpc_url"]), 20, "the port to close")
    finally:
        proc.kill()


def _port_open(url: str) -> bool:
    import socket
    from urllib.parse import urlparse

    u = urlparse(url)
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((u.hostname, u.port)) == 0


def test_cli_rejects_bad_arguments():
    proc = subprocess.run(
        [sys.executable, "-m", "ogpu_widgets", "devnet", "--tasks", "-1"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2 and "must not be negative" in proc.stderr
