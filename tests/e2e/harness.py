"""A real JupyterLab server on loopback and the system Chromium, for the end-to-end tests and
the render benchmark (which imports this file)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from ogpu_widgets.devnet.process import free_port

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
             app: str = "lab/tree", **context_options):  # fmt: skip
    """``notebook`` open in JupyterLab with every cell run and its first table painted:
    ``(page, table, kernel)``; ``init_script`` runs in the page before its own scripts, ``wide``
    hides the file browser (the table gets the page's width), ``app`` is the front-end's path
    (``"notebooks"``: Notebook 7), ``context_options`` go to the browser context
    (``accept_downloads=True``...)."""
    context = browser.new_context(viewport=viewport or {"width": 1500, "height": 1000},
                                  **context_options)  # fmt: skip
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    page.goto(server.url(f"/{app}/notebooks/{notebook}"))
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


#: The first lines of a notebook that builds its own devnet in the kernel and makes it the
#: default network, with a manual source ``src`` (a test's own set-up follows).
DEVNET_CELL = """
import ogpu_widgets as ow
from ogpu_widgets.devnet import Devnet

dev = Devnet().start()
ow.set_default_network(dev.network)
src = dev.publish_source("manual")
"""

#: A cell showing ``table``: the kernel's ``df`` with the devnet client's key.
TABLE_CELL = """
table = ow.ResponseTable(df, account=dev.client.private_key)
table
"""


@contextlib.contextmanager
def notebook_lab(browser, base: Path, *cells: str, notebook: str = "lab.ipynb",
                 settings: dict[str, dict] | None = None, teardown: str | None = None,
                 **page_options):  # fmt: skip
    """A JupyterLab of its own (under ``base``) with one notebook of these code ``cells``, open,
    run and its first table painted: ``(page, table, kernel, server)``. ``settings`` go to
    :func:`jupyter_server`, ``page_options`` to :func:`lab_page`; ``teardown`` is run in the
    kernel at the end (``"dev.stop() or True"`` for a kernel's own devnet)."""
    notebooks = base / "nbs"
    notebooks.mkdir()
    write_notebook(notebooks / notebook, *cells)
    with (
        jupyter_server(base, notebooks, settings=settings) as server,
        lab_page(browser, server, notebook, **page_options) as (page, table, kernel),
    ):
        try:
            yield page, table, kernel, server
        finally:
            if teardown:
                kernel.eval(teardown)


def devnet_lab(browser, base: Path, setup: str, *, notebook: str = "lab.ipynb",
               timeout_ms: float = 240_000, **options):  # fmt: skip
    """:func:`notebook_lab` of a notebook that starts its own devnet in the kernel
    (:data:`DEVNET_CELL`), runs ``setup`` (which makes ``df``) and shows ``table``
    (:data:`TABLE_CELL`), wide; the devnet stops at the end. ``options`` go to
    :func:`notebook_lab`."""
    return notebook_lab(browser, base, DEVNET_CELL + setup, TABLE_CELL, notebook=notebook,
                        teardown="dev.stop() or True", timeout_ms=timeout_ms, wide=True,
                        **options)  # fmt: skip


def screenshot(target, name: str) -> None:
    """A screenshot of ``target`` (a page or a locator): into docs/ with
    ``$OGPU_UPDATE_SCREENSHOTS`` set, else into ``$TMPDIR`` (for a failure)."""
    out = ROOT / "docs" if os.environ.get("OGPU_UPDATE_SCREENSHOTS") else Path(
        os.environ.get("TMPDIR", "/tmp"))  # fmt: skip
    target.screenshot(path=str(out / name))


@dataclass
class Chain:
    """A devnet of the test process with a manual ``source``, its ``tasks`` (one response each:
    ``responses``) and its ``state`` file, for a notebook's kernel to read it."""

    dev: Any
    source: str
    tasks: list[str]
    responses: list[str]
    state: str


@contextlib.contextmanager
def seeded_chain(folder: Path, tasks: int):
    """A :class:`Chain` of ``tasks`` tasks (1 OGPU each), its state file in ``folder``."""
    from ogpu_widgets.devnet import Devnet

    with Devnet() as dev:
        src = dev.publish_source("manual")
        made = [dev.publish_task(src, payment_ogpu=1) for _ in range(tasks)]
        responses = [dev.respond(t, 0) for t in made]
        state = str(dev.write_state(folder / "devnet.json"))
        yield Chain(dev, src, made, responses, state)


# ---- waiting on the page: conditions, read in one evaluation ----------------------------------


def wait_in_page(target, predicate: str, arg=None, *, timeout_ms: float = 60_000,
                 what: str = "the condition"):  # fmt: skip
    """Wait until the JavaScript ``predicate(element, arg)`` returns something truthy for the
    element of the locator ``target``, checked at every animation frame, each time in ONE
    evaluation (one state of the DOM); return that value."""
    handle = target.element_handle(timeout=timeout_ms)
    try:
        found = target.page.wait_for_function(
            f"({{el, arg}}) => ({predicate})(el, arg)",
            arg={"el": handle, "arg": arg},
            polling="raf",
            timeout=timeout_ms,
        )
    except PlaywrightTimeout:
        raise AssertionError(f"timed out after {timeout_ms / 1000} s waiting for {what}") from None
    finally:
        handle.dispose()
    return found.json_value()


#: The keys of the rows in ``table``, in display order (the DOM follows the display order).
ROW_KEYS = """(table) => Array.from(table.querySelectorAll("[data-response]"),
                                    (row) => row.getAttribute("data-response"))"""

_ROWS_SETTLED = f"""(table, {{want, sort}}) => {{
  if (sort) {{
    const th = table.querySelector(`.ogpu-rt-th[data-col="${{CSS.escape(sort[0])}}"]`);
    if (!th || th.getAttribute("aria-sort") !== sort[1]) return null;
  }}
  const keys = ({ROW_KEYS})(table);
  return keys.length === want.length && keys.every((k, i) => k === want[i]) ? keys : null;
}}"""


def shown_rows(table) -> list[str]:
    """The keys of the rows ``table`` shows, in display order, read in one evaluation: one
    state of the DOM, never a mix of two renders (as a read per row can be)."""
    return table.evaluate(ROW_KEYS)


def wait_for_rows(table, want: list[str], *, sort: tuple[str, str] | None = None,
                  timeout_ms: float = 60_000) -> list[str]:  # fmt: skip
    """Wait until ``table`` shows exactly the rows ``want`` (keys, in that order) and, with
    ``sort=(column, "ascending" | "descending")``, its header says it is sorted so; the rows,
    as the evaluation that saw them settled read them."""
    try:
        return wait_in_page(table, _ROWS_SETTLED, {"want": list(want), "sort": sort},
                            timeout_ms=timeout_ms, what="the rows")  # fmt: skip
    except AssertionError:
        header = "" if sort is None else table.locator(
            f'.ogpu-rt-th[data-col="{sort[0]}"]').get_attribute("aria-sort")  # fmt: skip
        raise AssertionError(f"the table shows {shown_rows(table)} (aria-sort {header!r}), "
                             f"not {want} sorted {sort}") from None  # fmt: skip


#: The total of a table's "Showing N of TOTAL" line (null while it says something else).
ROW_TOTAL = r"""(table) => {
  const m = /Showing ([\d,]+) of ([\d,]+)/.exec(
    table.querySelector(".ogpu-rt-count")?.textContent ?? "");
  return m ? Number(m[2].replaceAll(",", "")) : null;
}"""


def wait_for_total(table, at_least: int, *, timeout_ms: float = 60_000) -> int:
    """Wait until ``table`` counts ``at_least`` rows in all; the count."""
    return wait_in_page(table, f"(t, n) => {{ const c = ({ROW_TOTAL})(t); return c >= n && c; }}",
                        at_least, timeout_ms=timeout_ms, what=f"{at_least} rows")  # fmt: skip


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
    settings: dict[str, dict] | None = None,
):
    """JupyterLab (and Notebook 7) on loopback with a token and a temporary root under ``base``.

    ``python`` is the interpreter that runs it (default: this one; e.g. another virtual
    environment's) and ``env`` its environment (default: this process's). ``settings`` are
    JupyterLab user settings by plugin, e.g. ``{"@jupyter-widgets/jupyterlab-manager:plugin":
    {"saveState": True}}``."""
    root, runtime = base / "root", base / "runtime"
    root.mkdir()
    shutil.copytree(notebooks or ROOT / "notebooks", root / "notebooks")
    plugins = {"@jupyterlab/apputils-extension:notification":
               {"fetchNews": "false", "checkForUpdates": False}, **(settings or {})}  # fmt: skip
    for plugin, values in plugins.items():
        package, name = plugin.rsplit(":", 1)
        folder = base / "settings" / package
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.jupyterlab-settings").write_text(json.dumps(values))
    env = dict(os.environ if env is None else env)
    env.update(
        JUPYTER_RUNTIME_DIR=str(runtime),
        JUPYTER_CONFIG_DIR=str(base / "config"),
        JUPYTER_DATA_DIR=str(base / "data"),
        JUPYTERLAB_SETTINGS_DIR=str(base / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"),
    )
    env.pop("CLIENT_PRIVATE_KEY", None)
    port, token = free_port(), secrets.token_hex(16)
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
