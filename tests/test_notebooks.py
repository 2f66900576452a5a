"""All three notebooks execute headless (the real-network one against a devnet)."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

from ogpu_widgets.devnet import Devnet

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def run_notebook(name: str, timeout: int = 300) -> nbformat.NotebookNode:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()
    return nb


def outputs_text(nb: nbformat.NotebookNode) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            parts.append(str(out.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


def test_quickstart_runs(monkeypatch):
    monkeypatch.delenv("CLIENT_PRIVATE_KEY", raising=False)
    nb = run_notebook("quickstart.ipynb")
    text = outputs_text(nb)
    assert "ResponseTable(" in text
    assert "finalized" in text  # first-response tasks, finalized by the chain itself
    assert "nothing sent: set PAY = True" in text  # "Run all" pays no one
    widget_outputs = [
        o
        for c in nb.cells
        for o in c.get("outputs", [])
        if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    assert widget_outputs, "the table did not display"


def test_analysis_runs(monkeypatch):
    monkeypatch.delenv("MPLBACKEND", raising=False)  # plots render inline
    nb = run_notebook("analysis.ipynb")
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) >= 3


def test_real_network_runs_against_a_devnet(monkeypatch, tmp_path):
    with Devnet() as dev:
        dev.seed(tasks=5, responses_per_task=2, delivery="mixed")
        state = dev.write_state(tmp_path / "devnet.json")
        monkeypatch.setenv("OGPU_WIDGETS_NETWORK", str(state))
        monkeypatch.setenv("OGPU_CLIENT_ADDRESS", dev.client.address)
        monkeypatch.delenv("CLIENT_PRIVATE_KEY", raising=False)
        nb = run_notebook("real-network.ipynb")
    text = outputs_text(nb)
    assert "network: devnet" in text
    assert "read-only" in text
    assert "5 tasks, 8 responses" in text
