"""The whole chain in a real browser: chain → DataFrame → table → click → transaction → table."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from harness import run_all_cells
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

DOCS = Path(__file__).resolve().parents[2] / "docs"
LONG = 240_000  # ms: running the whole quickstart (devnet start and seeding included)


def wait_for_kernel_idle(page, jupyter, notebook: str = "quickstart.ipynb") -> None:
    page.locator(".jp-Notebook").first.wait_for(timeout=LONG)
    jupyter.wait_kernel_idle(notebook, timeout=LONG / 1000)


def screenshot(page, name: str, target) -> None:
    out = (
        DOCS
        if os.environ.get("OGPU_UPDATE_SCREENSHOTS")
        else Path(os.environ.get("TMPDIR", "/tmp"))
    )
    target.screenshot(path=str(out / name))


@pytest.fixture(scope="module")
def lab(jupyter, browser):
    """The quickstart notebook, run to the end in JupyterLab; the page and its kernel."""
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    page = context.new_page()
    page.goto(jupyter.url("/lab/tree/notebooks/quickstart.ipynb"))
    wait_for_kernel_idle(page, jupyter)
    run_all_cells(page)
    table = page.locator(".ogpu-rt").first
    table.locator("[data-response]").first.wait_for(timeout=LONG)
    kernel = jupyter.kernel("quickstart.ipynb")
    # the last section has run (nothing was confirmed: the notebook's paying cell waits for PAY)
    kernel.wait_for("'fr_task' in globals()", timeout=LONG / 1000)
    jupyter.wait_kernel_idle("quickstart.ipynb", timeout=LONG / 1000)
    assert kernel.eval("len(table.confirmations)") == 0
    yield page, table, kernel
    kernel.close()
    context.close()


def test_rows_match_the_dataframe(lab):
    page, table, k = lab
    n = k.eval("len(table.df)")
    assert n > 50
    expect(table.locator(".ogpu-rt-count").first).to_have_text(f"Showing {n:,} of {n:,}")
    # virtualized: only the visible rows are in the DOM
    assert 0 < table.locator("[data-response]").count() <= 150


def test_sort_and_filter_reach_view_in_the_kernel(lab):
    page, table, k = lab
    table.get_by_role("columnheader", name=re.compile("^Payment")).first.click()
    k.wait_for(
        "list(table.view.index) == list(table.df.sort_values('payment_ogpu', kind='stable').index)"
    )
    table.get_by_label("Filter Delivery").select_option("manual_confirmation")
    k.wait_for(
        "len(table.view) == int((table.df.delivery_method == 'manual_confirmation').sum()) "
        "and set(table.view.delivery_method) == {'manual_confirmation'}"
    )
    shown = k.eval("len(table.view)")
    total = k.eval("len(table.df)")
    expect(table.locator(".ogpu-rt-count").first).to_have_text(f"Showing {shown:,} of {total:,}")
    table.get_by_role("button", name="Reset view").click()
    k.wait_for("len(table.view) == len(table.df)")


def test_confirm_in_the_browser_pays_on_chain(lab):
    page, table, k = lab
    responses = k.eval("[r.address for r in ow.get_task_responses(task)]")
    target, others = responses[0], responses[1:]
    provider = k.eval(f"table.df.loc[{target!r}, 'provider']")
    before = k.eval(f"dev.call('Vault', dev.contracts['vault'], 'balanceOf', {provider!r})")
    payment = k.eval(f"int(table.df.loc[{target!r}, 'payment'])")

    table.get_by_label("Search all columns").fill(k.eval("task"))
    expect(table.locator(".ogpu-rt-count").first).to_have_text(re.compile(r"^Showing 3 of"))
    row = table.locator(f'[data-response="{target}"]')
    row.get_by_role("button", name=re.compile("^Confirm")).click()
    review = page.get_by_text("This releases the payment and cannot be undone")
    expect(review).to_be_visible()
    page.get_by_role("button", name="Cancel").click()
    expect(review).to_be_hidden()
    assert k.eval(f"{target!r} in table.confirmations") is False

    row.get_by_role("button", name=re.compile("^Confirm")).click()
    page.get_by_role("button", name="Confirm payment").click()
    expect(row).to_contain_text("confirmed", timeout=60_000)

    # on chain, not from the widget's own state
    assert k.eval("dev.call('Task', task, 'getStatus')") == 5
    assert k.eval("dev.call('Task', task, 'winningProvider')") == provider
    after = k.eval(f"dev.call('Vault', dev.contracts['vault'], 'balanceOf', {provider!r})")
    assert after - before == payment
    for other in others:
        other_row = table.locator(f'[data-response="{other}"]')
        expect(other_row.locator("button.ogpu-rt-confirm")).to_be_hidden()
        expect(other_row).to_contain_text("finalized")

    # hostile provider data is inert text
    hostile = table.get_by_text('<img src=x onerror="alert(1)">', exact=False)
    expect(hostile.first).to_be_visible()
    assert table.locator("img[src='x']").count() == 0


def test_selection_reaches_the_kernel(lab):
    page, table, k = lab
    table.get_by_label("Search all columns").fill(k.eval("task"))
    responses = k.eval("[r.address for r in ow.get_task_responses(task)]")[:2]
    for address in responses:
        table.locator(f'[data-response="{address}"]').get_by_role("checkbox").check()
    k.wait_for(f"sorted(table.selected.index) == {sorted(responses)!r}")
    k.eval("table.select([])")
    for address in responses:
        expect(
            table.locator(f'[data-response="{address}"]').get_by_role("checkbox")
        ).not_to_be_checked()
    table.get_by_label("Search all columns").fill("")


def test_screenshots_light_and_dark(lab):
    page, table, k = lab
    if page.locator("#jp-left-stack").is_visible():  # give the table the page's width
        page.get_by_role("menuitem", name="View", exact=True).click()
        page.get_by_role("menuitem", name=re.compile(r"^File Browser")).click()
    table.scroll_into_view_if_needed()
    screenshot(page, "screenshot-light.png", page)
    page.get_by_role("menuitem", name="View", exact=True).click()
    page.get_by_role("menuitem", name=re.compile(r"^Activate Command Palette")).click()
    page.locator(".lm-CommandPalette-input").fill("Use Theme: JupyterLab Dark")
    page.locator(
        ".lm-CommandPalette-item", has_text=re.compile(r"^Use Theme: JupyterLab Dark$")
    ).click()
    expect(page.locator("body[data-jp-theme-light='false']")).to_have_count(1, timeout=30_000)
    table.scroll_into_view_if_needed()
    screenshot(page, "screenshot-dark.png", page)
    # dark mode is right: the table's background follows the theme
    bg = table.evaluate("e => getComputedStyle(e).backgroundColor")
    channels = [int(c) for c in re.findall(r"\d+", bg)[:3]]
    assert sum(channels) < 3 * 128, bg


def test_notebook7_renders_the_table(jupyter, browser):
    jupyter.shutdown_kernels()
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(jupyter.url("/notebooks/notebooks/quickstart.ipynb"))
        wait_for_kernel_idle(page, jupyter)
        run_all_cells(page)
        table = page.locator(".ogpu-rt").first
        table.locator("[data-response]").first.wait_for(timeout=LONG)
        expect(table.locator(".ogpu-rt-count").first).to_have_text(re.compile(r"^Showing \d"))
    finally:
        jupyter.shutdown_kernels()
        context.close()
