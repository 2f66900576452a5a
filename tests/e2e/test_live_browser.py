"""The live table in a real JupyterLab and Chromium: simulated providers answer and rows appear
without any cell being run; a confirmation from another process turns the row and its
siblings final; the Pause/Resume switch and the Refresh button work."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import nbformat
import pytest
from harness import jupyter_server, lab_page
from playwright.sync_api import expect

from ogpu_widgets.devnet import Devnet

pytestmark = pytest.mark.e2e

WAIT = 60_000  # ms


def live_notebook(state: str, source: str, key: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A live table"),
        nbformat.v4.new_code_cell(
            "import ogpu_widgets as ow\n"
            f"table = ow.ResponseTable(source={source!r}, network={state!r}, account={key!r},\n"
            "                          poll_interval=1)\n"
            "table"
        ),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    with Devnet() as dev:
        src = dev.publish_source("manual")
        tasks = [dev.publish_task(src, payment_ogpu=1) for _ in range(3)]
        for t in tasks:
            dev.respond(t, 0)
        state = dev.write_state(tmp_path_factory.mktemp("chain") / "devnet.json")
        yield dev, src, tasks, str(state)


@pytest.fixture(scope="module")
def lab(chain, browser, tmp_path_factory):
    dev, src, tasks, state = chain
    notebooks = tmp_path_factory.mktemp("notebooks")
    nbformat.write(live_notebook(state, src, dev.client.private_key), notebooks / "live.ipynb")
    with (
        jupyter_server(tmp_path_factory.mktemp("jupyter"), notebooks) as server,
        lab_page(browser, server, "live.ipynb") as lab,
    ):
        yield lab


def count(table) -> int:
    text = table.locator(".ogpu-rt-count").first.inner_text()
    m = re.match(r"Showing ([\d,]+) of ([\d,]+)", text)
    assert m, text
    return int(m.group(2).replace(",", ""))


def test_rows_appear_while_providers_answer(chain, lab):
    dev, src, tasks, state = chain
    page, table, k = lab
    indicator = table.locator(".ogpu-rt-live")
    expect(indicator).to_have_attribute("data-live", "on")
    expect(table).to_have_attribute("data-live", "on")
    expect(indicator.locator(".ogpu-rt-live-label")).to_have_text("Live", timeout=WAIT)
    expect(indicator.locator(".ogpu-rt-live-age")).to_have_text(
        re.compile(r"updated .*ago|just now")
    )
    assert count(table) == 3
    sim = dev.simulate(rate=2, tasks=tasks)
    try:
        deadline = time.monotonic() + 60
        while count(table) < 8 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        sim.stop()
    assert count(table) >= 8  # rows arrived; no cell was run
    n = len(sim.submitted) + 3
    expect(table.locator(".ogpu-rt-count").first).to_have_text(f"Showing {n} of {n}", timeout=WAIT)
    for addr in sim.submitted:
        expect(table.locator(f'[data-response="{addr}"]')).to_have_count(1)
    assert k.wait_for(f"len(table.df) == {n} and set(table.df.index) >= set({sim.submitted!r})")


def test_a_confirmation_from_another_process_turns_the_task_final(chain, lab, tmp_path):
    dev, src, tasks, state = chain
    page, table, k = lab
    rows = k.eval("table.df.groupby('task').size().to_dict()")
    task = max(rows, key=rows.get)
    assert rows[task] >= 2
    addresses = k.eval(f"list(table.df.index[table.df.task == {task!r}])")
    winner, others = addresses[0], addresses[1:]
    code = (
        "import sys, ogpu_widgets as ow\n"
        "c = ow.confirm_response(sys.argv[1], account=sys.argv[2], network=sys.argv[3], wait=True)\n"
        "print(c.state)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, winner, dev.client.private_key, state],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    row = table.locator(f'[data-response="{winner}"]')
    expect(row).to_contain_text("confirmed", timeout=WAIT)
    expect(row).to_contain_text("finalized")
    for other in others:
        sibling = table.locator(f'[data-response="{other}"]')
        expect(sibling).to_contain_text("finalized", timeout=WAIT)
        expect(sibling).to_contain_text("task finalized")  # its Confirm is disabled, and why
    assert k.eval(f"table.df.loc[{winner!r}, 'status']") == "confirmed"


def test_pause_resume_and_refresh(chain, lab):
    dev, src, tasks, state = chain
    page, table, k = lab
    indicator = table.locator(".ogpu-rt-live")
    table.get_by_role("button", name="Pause").click()
    expect(indicator).to_have_attribute("data-live", "off")
    expect(indicator.locator(".ogpu-rt-live-label")).to_have_text("Paused")
    k.wait_for("table.live is False and table.subscription is None")
    open_task = k.eval(
        "next(t for t in table.df.task.unique() if table.df[table.df.task == t].task_status.iloc[0]"
        " != 'finalized')"
    )
    used = set(k.eval(f"list(table.df[table.df.task == {open_task!r}].provider)"))
    free = [p for p in dev.providers if p.address not in used]
    before = count(table)
    quiet = dev.respond(open_task, free[0])
    time.sleep(3)
    assert count(table) == before  # paused: nothing moves
    assert not k.eval(f"{quiet!r} in table.df.index")
    table.get_by_role("button", name="Refresh").click()
    expect(table.locator(f'[data-response="{quiet}"]')).to_have_count(1, timeout=WAIT)
    assert count(table) == before + 1
    missed = dev.respond(open_task, free[1])
    time.sleep(2)
    assert count(table) == before + 1
    table.get_by_role("button", name="Resume").click()
    expect(indicator).to_have_attribute("data-live", "on")
    k.wait_for("table.live is True and table.subscription is not None")
    # what happened while paused is read on resuming
    expect(table.locator(f'[data-response="{missed}"]')).to_have_count(1, timeout=WAIT)
    expect(indicator.locator(".ogpu-rt-live-label")).to_have_text("Live", timeout=WAIT)
