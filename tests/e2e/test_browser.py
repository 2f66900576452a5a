"""The whole chain in a real browser: chain → DataFrame → table → click → transaction → table."""

from __future__ import annotations

import re

import pytest
from harness import lab_page, screenshot, wait_in_page
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

LONG = 240_000  # ms: running the whole quickstart (devnet start and seeding included)
QUICKSTART = "quickstart.ipynb"


#: The element's own background is dark (its channels average below half).
DARK = """(e) => {
  const channels = (getComputedStyle(e).backgroundColor.match(/\\d+/g) ?? []).slice(0, 3);
  return channels.length === 3 && channels.reduce((a, c) => a + Number(c), 0) < 3 * 128;
}"""


@pytest.fixture(scope="module")
def lab(jupyter, browser):
    """The quickstart notebook, run to the end in JupyterLab; the page and its kernel."""
    with lab_page(browser, jupyter, QUICKSTART, timeout_ms=LONG) as (page, table, kernel):
        # the last section has run (nothing was confirmed: the notebook's paying cell waits for
        # PAY)
        kernel.wait_for("'fr_task' in globals()", timeout=LONG / 1000)
        jupyter.wait_kernel_idle(QUICKSTART, timeout=LONG / 1000)
        assert kernel.eval("len(table.confirmations)") == 0
        yield page, table, kernel


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
    expect(table.locator("img[src='x']")).to_have_count(0)


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
    screenshot(page, "screenshot-light.png")
    page.get_by_role("menuitem", name="View", exact=True).click()
    page.get_by_role("menuitem", name=re.compile(r"^Activate Command Palette")).click()
    page.locator(".lm-CommandPalette-input").fill("Use Theme: JupyterLab Dark")
    page.locator(
        ".lm-CommandPalette-item", has_text=re.compile(r"^Use Theme: JupyterLab Dark$")
    ).click()
    expect(page.locator("body[data-jp-theme-light='false']")).to_have_count(1, timeout=30_000)
    table.scroll_into_view_if_needed()
    # dark mode is right: the table's background follows the theme (once its styles apply)
    wait_in_page(table, DARK, what="a dark background for the table")
    screenshot(page, "screenshot-dark.png")


def test_notebook7_renders_the_table(jupyter, browser):
    jupyter.shutdown_kernels()
    try:
        with lab_page(browser, jupyter, QUICKSTART, timeout_ms=LONG, app="notebooks",
                      viewport={"width": 1400, "height": 1000}) as (page, table, _):  # fmt: skip
            expect(table.locator(".ogpu-rt-count").first).to_have_text(re.compile(r"^Showing \d"))
    finally:
        jupyter.shutdown_kernels()
