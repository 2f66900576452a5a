"""A real JupyterLab server on loopback and the system Chromium, for the end-to-end tests and
the render benchmark (which imports this file)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


CHROMIUM_CANDIDATES = (
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/lib/chromium/chromium",
    "/usr/bin/google-chrome",
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def find_chromium() -> str | None:
    env = os.environ.get("CHROMIUM")
    if env:
        return env if Path(env).exists() else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return next((c for c in CHROMIUM_CANDIDATES if Path(c).exists()), None)


def write_notebook(path: Path, *sources: str) -> None:
    """A notebook of code cells with these sources (nothing run yet), for a test to open."""
    cells = [
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
         "source": src}
        for src in sources
    ]  # fmt: skip
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb = {"cells": cells, "metadata": {"kernelspec": kernelspec}, "nbformat": 4,
          "nbformat_minor": 5}  # fmt: skip
    path.write_text(json.dumps(nb))


def run_all_cells(page) -> None:
    """JupyterLab's Run → Run All Cells."""
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()


@contextlib.contextmanager
def lab_page(browser, server, notebook: str, *, init_script: str | None = None,
             timeout_ms: float = 120_000, viewport: dict | None = None, wide: bool = False,
             **context_options):  # fmt: skip
    """``notebook`` open in JupyterLab with every cell run and its first table painted:
    ``(page, table, kernel)``; ``init_script`` runs in the page before its own scripts, ``wide``
    hides the file browser (the table gets the page's width), ``context_options`` go to the
    browser context (``accept_downloads=True``...)."""
    context = browser.new_context(viewport=viewport or {"width": 1500, "height": 1000},
                                  **context_options)  # fmt: skip
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    page.goto(server.url(f"/lab/tree/notebooks/{notebook}"))
    page.locator(".jp-Notebook").first.wait_for(timeout=timeout_ms)
    server.wait_kernel_idle(notebook, timeout=timeout_ms / 1000)
    run_all_cells(page)
    table = page.locator(".ogpu-rt").first
    table.locator("[data-response]").first.wait_for(timeout=timeout_ms)
    kernel = server.kernel(notebook)
    try:
        if wide:
            kernel.wait_for("'table' in globals()", timeout=timeout_ms / 1000)
            if page.locator("#jp-left-stack").is_visible():
                page.get_by_role("menuitem", name="View", exact=True).click()
                page.get_by_role("menuitem", name=re.compile(r"^File Browser")).click()
        yield page, table, kernel
    finally:
        kernel.close()
        context.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterServer:
    def __init__(self, root: Path, port: int, token: str, runtime: Path) -> None:
        self.root, self.port, self.token, self.runtime = root, port, token, runtime
        self.base = f"http://127.0.0.1:{port}"

    def url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.base}{path}{sep}token={self.token}"

    def api(self, path: str):
        r = requests.get(self.url(f"/api{path}"), timeout=10)
        r.raise_for_status()
        return r.json()

    def kernel(self, notebook: str, timeout: float = 60.0):
        """A client of the kernel behind ``notebook``'s session (waits for the session)."""
        from jupyter_client import BlockingKernelClient

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for s in self.api("/sessions"):
                if s.get("path", "").endswith(notebook) and s.get("kernel"):
                    cf = self.runtime / f"kernel-{s['kernel']['id']}.json"
                    if cf.exists():
                        kc = BlockingKernelClient(connection_file=str(cf))
                        kc.load_connection_file()
                        kc.start_channels()
                        kc.wait_for_ready(timeout=60)
                        return KernelEval(kc)
            time.sleep(0.2)
        raise TimeoutError(f"no kernel session for {notebook}")

    def wait_kernel_idle(self, notebook: str, timeout: float = 120.0) -> None:
        """Wait until ``notebook`` has a kernel session whose kernel reports idle."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for s in self.api("/sessions"):
                kernel = s.get("kernel") or {}
                if s.get("path", "").endswith(notebook) and kernel.get("execution_state") == "idle":
                    return
            time.sleep(0.2)
        raise TimeoutError(f"the kernel of {notebook} did not become idle in {timeout} s")

    def shutdown_kernels(self) -> None:
        for s in self.api("/sessions"):
            requests.delete(self.url(f"/api/sessions/{s['id']}"), timeout=30)


class KernelEval:
    """Run code in the notebook's own kernel and read back a JSON value."""

    def __init__(self, kc) -> None:
        self.kc = kc

    def eval(self, expr: str, setup: str = "", timeout: float = 120.0):
        code = f"{setup}\nimport json as _json\nprint('@@' + _json.dumps({expr}, default=str))"
        out: list[str] = []
        errors: list[str] = []

        def hook(msg):
            t = msg["msg_type"]
            if t == "stream":
                out.append(msg["content"]["text"])
            elif t == "error":
                errors.append("\n".join(msg["content"]["traceback"]))

        self.kc.execute_interactive(code, output_hook=hook, timeout=timeout, store_history=False)
        if errors:
            raise AssertionError(f"kernel error for {expr!r}:\n{errors[0]}")
        for line in "".join(out).splitlines():
            if line.startswith("@@"):
                return json.loads(line[2:])
        raise AssertionError(f"no value from {expr!r}: {''.join(out)!r}")

    def wait_for(self, expr: str, timeout: float = 60.0, setup: str = ""):
        """Poll ``expr`` in the kernel until it is truthy; return its value."""
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            value = self.eval(expr, setup)
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"{expr!r} stayed {value!r} for {timeout} s")

    def close(self) -> None:
        self.kc.stop_channels()


@contextlib.contextmanager
def jupyter_server(
    base: Path,
    notebooks: Path | None = None,
    *,
    python: str | None = None,
    env: dict[str, str] | None = None,
    start_timeout: float = 120.0,
):
    """JupyterLab (and Notebook 7) on loopback with a token and a temporary root under ``base``.

    ``python`` is the interpreter that runs it (default: this one; e.g. another virtual
    environment's) and ``env`` its environment (default: this process's)."""
    root, runtime = base / "root", base / "runtime"
    root.mkdir()
    shutil.copytree(notebooks or ROOT / "notebooks", root / "notebooks")
    settings = base / "settings"
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (
        settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    ).write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    env = dict(os.environ if env is None else env)
    env.update(
        JUPYTER_RUNTIME_DIR=str(runtime),
        JUPYTER_CONFIG_DIR=str(base / "config"),
        JUPYTER_DATA_DIR=str(base / "data"),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"),
    )
    env.pop("CLIENT_PRIVATE_KEY", None)
    port, token = _free_port(), secrets.token_hex(16)
    log = open(base / "server.log", "w")  # noqa: SIM115 (closed in finally)
    proc = subprocess.Popen(
        [
            python or sys.executable, "-m", "jupyter", "lab", "--no-browser",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--allow-root",
        ],
        env=env, stdout=subprocess.DEVNULL, stderr=log,
    )  # fmt: skip
    server = JupyterServer(root, port, token, runtime)
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError((base / "server.log").read_text()[-3000:])
            try:
                if requests.get(server.url("/api/status"), timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("JupyterLab did not start")
            time.sleep(0.2)
        yield server
    finally:
        with contextlib.suppress(Exception):
            server.shutdown_kernels()
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
