"""The live table in a real JupyterLab and Chromium: simulated providers answer and rows appear
without any cell being run; a confirmation from another process turns the row and its
siblings final; the Pause/Resume switch and the Refresh button work."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from harness import notebook_lab, seeded_chain, wait_for_total
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

WAIT = 60_000  # ms


def live_cell(state: str, source: str, key: str) -> str:
    return (
        "import ogpu_widgets as ow\n"
        f"table = ow.ResponseTable(source={source!r}, network={state!r}, account={key!r},\n"
        "                          poll_interval=1)\n"
        "table"
    )


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    with seeded_chain(tmp_path_factory.mktemp("chain"), tasks=3) as c:
        yield c.dev, c.source, c.tasks, c.state


@pytest.fixture(scope="module")
def lab(chain, browser, tmp_path_factory):
    dev, src, tasks, state = chain
    cell = live_cell(state, src, dev.client.private_key)
    with notebook_lab(browser, tmp_path_factory.mktemp("live-lab"), cell,
                      notebook="live.ipynb") as (page, table, kernel, _):  # fmt: skip
        yield page, table, kernel


#: Kernel code: a watcher of the task ``task`` of the table's network, on the network's one
#: shared poller (every table of that network is given what it is given), keeping what it sees.
WATCH = """
from ogpu_widgets.live import POLLERS, ResponseSubmitted
seen = []
watcher = ow.watch_responses(tasks=[{task!r}], network=table.network, poll_interval=0.2,
                             on_event=seen.append)
"""


def polled_past(k, response: str) -> None:
    """Wait until the kernel's watcher has been given ``response``: the network's poller has
    read past its block, and given it to every subscriber it had."""
    k.wait_for(f"any(isinstance(e, ResponseSubmitted) and e.response == {response!r} "
               "for e in seen)")  # fmt: skip


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
        wait_for_total(table, 8)  # rows arrived; no cell was run
    finally:
        sim.stop()
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
    # paused: the network's poller reads past a new response, and the table is not given it
    k.eval("True", setup=WATCH.format(task=open_task))
    try:
        quiet = dev.respond(open_task, free[0])
        polled_past(k, quiet)
        assert k.eval("watcher.poller.subscribers") == 1  # the watcher's, not the table's
        assert not k.eval(f"{quiet!r} in table.df.index")
        assert count(table) == before  # nothing moves
        table.get_by_role("button", name="Refresh").click()
        expect(table.locator(f'[data-response="{quiet}"]')).to_have_count(1, timeout=WAIT)
        assert count(table) == before + 1
        missed = dev.respond(open_task, free[1])
        polled_past(k, missed)
        assert k.eval("watcher.poller.subscribers") == 1
        assert not k.eval(f"{missed!r} in table.df.index")
        assert count(table) == before + 1
    finally:
        k.eval("watcher.stop() or True")
    table.get_by_role("button", name="Resume").click()
    expect(indicator).to_have_attribute("data-live", "on")
    k.wait_for("table.live is True and table.subscription is not None")
    # what happened while paused is read on resuming
    expect(table.locator(f'[data-response="{missed}"]')).to_have_count(1, timeout=WAIT)
    expect(indicator.locator(".ogpu-rt-live-label")).to_have_text("Live", timeout=WAIT)
