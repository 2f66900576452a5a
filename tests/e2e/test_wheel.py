"""The package a data scientist installs: the wheel, `pip install`ed into a fresh virtual
environment without the dev extras and without Node.js, then their own JupyterLab from that
environment showing a ResponseTable. The devnet it reads runs from this (the dev) environment;
the wheel's environment only gets its state file, through ``OGPU_WIDGETS_NETWORK``."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import pytest
from harness import jupyter_server, lab_page, shown_rows
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "ogpu_widgets"
BUNDLE = PACKAGE / "static" / "widget.js"
TASKS, RESPONSES_PER_TASK = 4, 3
NOTEBOOK = "wheel.ipynb"


@dataclass
class WheelEnv:
    """A fresh virtual environment with the wheel, jupyterlab and ipykernel, nothing else."""

    wheel: Path
    venv: Path
    home: Path
    env: dict[str, str]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def python(self) -> str:
        return str(self.venv / "bin" / "python")

    def run(self, *args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
        """Run a command of the venv's bin/ in the clean environment, outside the checkout."""
        exe = str(self.venv / "bin" / args[0])
        return subprocess.run(
            [exe, *args[1:]],
            env={**self.env, **env},
            cwd=self.home,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def _pip_cache() -> str:
    if os.environ.get("PIP_CACHE_DIR"):
        return os.environ["PIP_CACHE_DIR"]
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(cache) / "pip")


def clean_env(venv: Path, home: Path) -> dict[str, str]:
    """This process's environment (proxies, pip's settings, locale) without anything of the dev
    environment: PATH is the venv's bin/ alone (no node, npm or anvil), HOME an empty directory,
    no $ANVIL, $FOUNDRY_DIR, virtualenv or Python path variables, no keys."""
    drop_prefixes = ("VIRTUAL_ENV", "PYTHON", "CONDA", "OGPU_", "JUPYTER", "PYENV")
    drop = {"ANVIL", "FOUNDRY_DIR", "CLIENT_PRIVATE_KEY", "PATH", "HOME", "NODE_PATH"}
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith(drop_prefixes)}
    env.update(
        PATH=str(venv / "bin"),
        HOME=str(home),
        PIP_CACHE_DIR=_pip_cache(),  # reuse downloads; HOME is empty
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    return env


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory, request) -> WheelEnv:
    if not BUNDLE.is_file():
        pytest.fail(f"{BUNDLE} is missing: `make install` builds the front-end bundle")
    base = tmp_path_factory.mktemp("wheel")
    timings: dict[str, float] = {}

    began = time.monotonic()
    dist = base / "dist"
    # the bundle is built already (skip-if-exists); the flag makes sure npm is never run
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
        env={**os.environ, "HATCH_JUPYTER_BUILDER_SKIP_NPM": "1"},
        cwd=base,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    (wheel,) = dist.glob("ogpu_widgets-*.whl")
    timings["build the wheel"] = time.monotonic() - began

    began = time.monotonic()
    venv, home = base / "venv", base / "home"
    home.mkdir()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    env = clean_env(venv, home)
    # jupyterlab and ipykernel at the dev environment's versions, so pip's cache serves them;
    # no bytecode compilation, which would be most of the time
    install = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-compile", str(wheel),
         f"jupyterlab=={version('jupyterlab')}", f"ipykernel=={version('ipykernel')}"],
        env=env, cwd=home, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr[-3000:]
    timings["create the venv and pip install"] = time.monotonic() - began

    yield WheelEnv(wheel, venv, home, env, timings)

    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        shown = ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\ntest_wheel timings: {shown}")


def test_the_wheel_carries_the_bundle_and_the_abis(wheel_env):
    with zipfile.ZipFile(wheel_env.wheel) as z:
        names = set(z.namelist())
        entry_points = next(z.read(n).decode() for n in names if n.endswith("entry_points.txt"))
    static = {f"ogpu_widgets/static/{p.name}" for p in BUNDLE.parent.iterdir() if p.is_file()}
    assert "ogpu_widgets/static/widget.js" in static  # and any stylesheet beside it
    assert static <= names
    abis = {f"ogpu_widgets/chain/abi/{p.name}" for p in (PACKAGE / "chain" / "abi").glob("*.json")}
    assert abis and abis <= names
    assert "ogpu_widgets/devnet/__init__.py" in names and "ogpu_widgets/__main__.py" in names
    assert not [n for n in names if n.startswith(("tests/", "js/", "notebooks/", "contracts/"))]
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert re.search(r"ogpu-widgets\s*=\s*ogpu_widgets\.__main__:main", entry_points)


def test_it_imports_in_a_clean_environment(wheel_env):
    path = wheel_env.env["PATH"]
    assert shutil.which("node", path=path) is None and shutil.which("npm", path=path) is None
    out = wheel_env.run(
        "python",
        "-c",
        "import importlib.util, json, ogpu_widgets as ow, ogpu_widgets.devnet\n"
        "dev = [m for m in ('pytest', 'playwright', 'ogpu', 'itables')"
        " if importlib.util.find_spec(m)]\n"
        "print(json.dumps({'file': ow.__file__, 'dev': dev}))",
    )
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert Path(info["file"]).is_relative_to(wheel_env.venv)  # the wheel's, not the checkout's
    assert info["dev"] == []  # no dev extras


def test_cli_help_and_a_missing_anvil(wheel_env):
    help_ = wheel_env.run("ogpu-widgets", "devnet", "--help")
    assert help_.returncode == 0, help_.stderr
    assert "--state-file" in help_.stdout and "--tasks" in help_.stdout

    # no anvil anywhere: PATH is the venv's bin/, HOME empty, $ANVIL unset, not a checkout
    began = time.monotonic()
    missing = wheel_env.run("ogpu-widgets", "devnet", "--tasks", "1")
    assert missing.returncode != 0
    assert "Traceback" not in missing.stderr
    for how in ("anvil was not found", "npm install -g @foundry-rs/anvil", "foundryup", "$ANVIL"):
        assert how in missing.stderr, missing.stderr
    assert time.monotonic() - began < 60


def _notebook(path: Path, client: str) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}  # fmt: skip
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import ogpu_widgets as ow  # the default network: $OGPU_WIDGETS_NETWORK\n"
            f"df = ow.load_responses(client={client!r})\n"
            "table = ow.ResponseTable(df)\n"
            "table"
        )
    ]
    nbformat.write(nb, str(path))


def test_a_response_table_renders_in_its_jupyterlab(wheel_env, browser, tmp_path):
    from ogpu_widgets.devnet import Devnet

    with Devnet(providers=RESPONSES_PER_TASK) as dev:
        seeded = dev.seed(tasks=TASKS, responses_per_task=RESPONSES_PER_TASK, delivery="manual")
        responses = set()
        for t in seeded["tasks"]:
            n = dev.call("Task", t, "getAttemptCount")
            responses |= {a for a in dev.call("Task", t, "getResponsesOf", 0, n - 1) if int(a, 16)}
        assert len(responses) == TASKS * RESPONSES_PER_TASK
        state = dev.write_state(tmp_path / "devnet.json")
        notebooks = tmp_path / "notebooks"
        notebooks.mkdir()
        _notebook(notebooks / NOTEBOOK, dev.client.address)

        began = time.monotonic()
        (tmp_path / "jupyter").mkdir()
        env = {**wheel_env.env, "OGPU_WIDGETS_NETWORK": str(state)}
        with jupyter_server(
            tmp_path / "jupyter", notebooks, python=wheel_env.python, env=env, start_timeout=240
        ) as server:
            wheel_env.timings["start its JupyterLab"] = time.monotonic() - began
            with lab_page(browser, server, NOTEBOOK, timeout_ms=180_000,
                          viewport={"width": 1400, "height": 900}) as (page, table, kernel):  # fmt: skip
                wheel_env.timings["open, run and paint"] = time.monotonic() - began
                page.screenshot(path=str(tmp_path / "wheel-jupyterlab.png"))  # for a failure
                n = len(responses)
                expect(table.locator(".ogpu-rt-count").first).to_have_text(
                    f"Showing {n:,} of {n:,}"
                )
                painted = shown_rows(table)
                assert painted and set(painted) <= responses
                assert len(set(painted)) == min(n, len(painted))

                where = kernel.eval("ow.__file__")
                assert Path(where).is_relative_to(wheel_env.venv), where
                assert set(kernel.eval("list(table.df.index)")) == responses
