"""The devnet: process life cycle, seeding, the simulator, the CLI, and its IPFS gateway with
the chain (started and stopped with it; responses whose data are gateway URLs)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from support import http_get, port_open, until

from ogpu_widgets.devnet import Devnet, DevnetError
from ogpu_widgets.results.car import read_car
from ogpu_widgets.results.cid import locate
from ogpu_widgets.results.unixfs import file_from_blocks

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
        env={**os.environ, "PYTHONFAULTHANDLER": "1"},
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
        try:
            code = proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGABRT)  # faulthandler prints where every thread stands
            _, err = proc.communicate(timeout=30)
            raise AssertionError(f"the devnet CLI did not stop on SIGINT:\n{err}") from None
        assert code == 0, proc.stderr.read() if proc.stderr else ""
        until(lambda: not port_open(data["rpc_url"]), 20, "the port to close")
    finally:
        proc.kill()


# ---- the IPFS gateway with the chain -----------------------------------------------------------


def test_gateway_starts_and_stops_with_the_chain(tmp_path):
    with Devnet(providers=1) as dev:
        url = dev.gateway_url
        port = urlsplit(url).port
        assert url == f"http://127.0.0.1:{port}" and port_open(url)
        cid = dev.ipfs.add(b"hello world\n")
        assert http_get(f"{url}/ipfs/{cid}")[2] == b"hello world\n"
        state = json.loads(dev.write_state(tmp_path / "devnet.json").read_text())
        assert state["ipfs_gateway"] == url == dev.state()["ipfs_gateway"]
    assert not port_open(url)


def _responses(dev: Devnet, task: str) -> list[str]:
    n = dev.call("Task", task, "getAttemptCount")
    return [a for a in dev.call("Task", task, "getResponsesOf", 0, n - 1) if int(a, 16)]


def _data(dev: Devnet, response: str) -> str:
    return dev.call("Response", response, "getResponseParams")[2]


def test_respond_without_data_submits_a_gateway_url(devnet):
    src = devnet.publish_source("manual")
    task = devnet.publish_task(src)
    r0 = devnet.respond(task, 0)
    r1 = devnet.respond(task, 1, data="ipfs://kept-as-given")
    assert _data(devnet, r1) == "ipfs://kept-as-given"
    where = locate(_data(devnet, r0))
    assert where is not None and where.form == "gateway-path" and where.host == "127.0.0.1"
    assert _data(devnet, r0).startswith(f"{devnet.gateway_url}/ipfs/")
    status, _, body = http_get(f"{devnet.gateway_url}/ipfs/{where.cid}?format=car")
    roots, blocks = read_car(body)
    content = file_from_blocks(where.cid, blocks.__getitem__, max_bytes=10_000_000)
    assert content == devnet.ipfs.cat(where.cid) and content


def test_seeded_responses_are_gateway_urls_that_verify(fresh_devnet):
    dev = fresh_devnet
    dev.gateway.slow_delay = 0.0
    info = dev.seed(tasks=20, responses_per_task=3, delivery="manual")
    urls = [_data(dev, r) for t in info["tasks"] for r in _responses(dev, t)]
    assert len(urls) == 60
    versions, statuses = set(), []
    for url in urls:
        where = locate(url)
        assert where is not None and url == f"{dev.gateway_url}/ipfs/{where.cid}"
        versions.add(where.cid.version)
        status, _, body = http_get(f"{url}?format=car")
        statuses.append(status)
        if status == 200:
            roots, blocks = read_car(body)
            content = file_from_blocks(where.cid, blocks.__getitem__, max_bytes=10_000_000)
            assert content == http_get(url)[2]
    assert versions == {0, 1}
    assert statuses.count(404) == 2  # the missing ones: tasks 4 and 17 (provider 2 and 0)
    assert set(statuses) == {200, 404}
