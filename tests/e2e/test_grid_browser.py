"""The table as a keyboard grid and a laid-out tool, in a real JupyterLab: Tab in, arrow to a
row, review and confirm by keyboard only (checked on chain), the focus kept on the row; resize,
hide and restore columns, save, reload and find the layout intact; the 800 px layout; axe-core
finds no serious or critical violation in the widget, in the light and the dark theme."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from harness import devnet_lab, wait_in_page
from playwright.sync_api import expect
from support import until

pytestmark = pytest.mark.e2e

LONG = 240_000  # ms
NOTEBOOK = "grid.ipynb"

SETUP = r"""
task = dev.publish_task(src, payment_ogpu=1.25)
responses = [dev.respond(task, i, data=f"answer {i} " + "x" * 80) for i in range(3)]
other = dev.publish_task(src, payment_ogpu=2)
more = [dev.respond(other, i, data=f"other {i}") for i in range(4)]
df = ow.load_responses(tasks=[task, other], progress=False)
"""

FOCUSED_ROW = "() => document.activeElement?.closest('[data-response]')?.dataset.response ?? null"
IN_GRID = "() => !!document.activeElement?.closest('.ogpu-rt-scroll')"


@pytest.fixture(scope="module")
def lab(tmp_path_factory, browser):
    with devnet_lab(
        browser,
        tmp_path_factory.mktemp("grid-lab"),
        SETUP,
        notebook=NOTEBOOK,
        # save the widget state with the notebook (what "a saved notebook reopens with it" needs)
        settings={"@jupyter-widgets/jupyterlab-manager:plugin": {"saveState": True}},
        viewport={"width": 1400, "height": 1000},
    ) as lab:
        yield lab


def tab_into_grid(page, table) -> int:
    """From the toolbar's search field, Tab until the focus is in the grid; the presses."""
    table.get_by_label("Search all columns").focus()
    for n in range(1, 20):
        page.keyboard.press("Tab")
        if page.evaluate(IN_GRID):
            return n
    raise AssertionError("Tab never reached the grid")


def focus_on_row(page, target: str) -> None:
    """Wait until the focus is in the row of the response ``target``."""
    page.wait_for_function(f"() => ({FOCUSED_ROW})() === {json.dumps(target)}", timeout=30_000)


def active_cell_index(page) -> int:
    return page.evaluate(
        "() => Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell'))"
        ".findIndex(c => c.classList.contains('jp-mod-active'))"
    )


def test_keyboard_only_confirmation_lands_on_chain_and_keeps_the_focus(lab):
    page, table, k, _ = lab
    target = k.eval("responses[1]")
    provider = k.eval(f"table.df.loc[{target!r}, 'provider']")
    tab_into_grid(page, table)
    # one tab stop: Tab leaves the grid at once, Shift+Tab comes back to the same cell
    cell = page.evaluate("() => document.activeElement.getAttribute('role')")
    assert cell == "gridcell"
    page.keyboard.press("Tab")
    assert not page.evaluate(IN_GRID)
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(IN_GRID)

    notebook_cell = active_cell_index(page)
    for _ in range(20):
        if page.evaluate(FOCUSED_ROW) == target:
            break
        page.keyboard.press("ArrowDown")
    assert page.evaluate(FOCUSED_ROW) == target
    # the arrows moved in the grid, not between notebook cells
    assert active_cell_index(page) == notebook_cell
    expect(page.locator(".jp-Notebook .jp-Cell")).to_have_count(2)

    page.keyboard.press("p")
    review = page.get_by_text("This releases the payment and cannot be undone")
    expect(review).to_be_visible()
    for _ in range(6):
        if page.evaluate("() => document.activeElement?.textContent") == "Confirm payment":
            break
        page.keyboard.press("Shift+Tab")
    assert page.evaluate("() => document.activeElement?.textContent") == "Confirm payment"
    page.keyboard.press("Enter")

    # on chain, not from the widget's own state
    k.wait_for("dev.call('Task', task, 'getStatus') == 5", timeout=90)
    assert k.eval("dev.call('Task', task, 'winningProvider')") == provider
    row = table.locator(f'[data-response="{target}"]')
    expect(row).to_contain_text("confirmed", timeout=60_000)
    # the focus stays on the row (by its address) once the confirmation completes
    focus_on_row(page, target)
    page.keyboard.press("Escape")
    expect(review).to_be_hidden()
    focus_on_row(page, target)
    # a truncated cell shows its full text on focus (keyboard users get no hover title)
    page.keyboard.press("Home")
    for _ in range(12):
        if page.evaluate("() => document.activeElement.classList.contains('ogpu-rt-k-text')"):
            break
        page.keyboard.press("ArrowRight")
    tip = table.locator(".ogpu-rt-tip")
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("x" * 80)
    page.keyboard.press("Escape")
    # a row that can never be confirmed shows its state, not a disabled button
    done = table.locator(f'[data-response="{k.eval("responses[0]")}"]')
    expect(done.locator("button.ogpu-rt-confirm")).to_be_hidden()
    expect(done.locator(".ogpu-rt-status")).to_be_visible()


#: The table's headers are ``names`` and its task column is ``width`` wide (within 2 px).
LAID_OUT = """(table, {names, width}) => {
  const got = Array.from(table.querySelectorAll(".ogpu-rt-hrow .ogpu-rt-th[data-col]"),
                         (e) => e.dataset.col);
  const task = table.querySelector('.ogpu-rt-th[data-col="task"]');
  return got.join() === names.join() && task !== null
    && Math.abs(task.getBoundingClientRect().width - width) <= 2;
}"""

#: ``button`` (an argument) lies within the table's width.
WITHIN = """(table, button) => {
  const t = table.getBoundingClientRect(), b = button.getBoundingClientRect();
  return b.width > 0 && b.left >= t.left - 1 && b.right <= t.right + 1;
}"""


def header_names(table) -> list[str]:
    return table.locator(".ogpu-rt-hrow .ogpu-rt-th[data-col]").evaluate_all(
        "els => els.map(e => e.dataset.col)"
    )


def test_layout_is_saved_with_the_notebook_and_survives_a_reload(lab):
    page, table, k, jupyter = lab
    # resize by dragging the header edge
    th = table.locator('.ogpu-rt-th[data-col="task"]')
    before = th.bounding_box()["width"]
    handle = th.locator(".ogpu-rt-resize").bounding_box()
    x, y = handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 40, y, steps=4)
    page.mouse.move(x + 90, y, steps=4)
    page.mouse.up()
    width = k.wait_for("table.column_layout.get('widths', {}).get('task')")
    assert abs(width - (before + 90)) <= 4
    assert abs(th.bounding_box()["width"] - width) <= 2

    # hide and restore a column from the column menu, then hide another one
    table.get_by_role("button", name="Columns").click()
    menu = table.get_by_role("dialog", name="Columns")
    expect(menu).to_be_visible()
    menu.get_by_role("checkbox", name="provider").uncheck()
    expect(table.locator('.ogpu-rt-th[data-col="provider"]')).to_have_count(0)
    menu.get_by_role("checkbox", name="provider").check()
    expect(table.locator('.ogpu-rt-th[data-col="provider"]')).to_have_count(1)
    menu.get_by_role("checkbox", name="data").uncheck()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    k.wait_for("table.column_layout.get('hidden') == ['data']")
    expect(table.locator('.ogpu-rt-th[data-col="data"]')).to_have_count(0)
    shown = header_names(table)
    assert "data" not in shown and "provider" in shown

    # save (widget state included), reload the page: the same layout
    page.get_by_role("menuitem", name="File", exact=True).click()
    page.get_by_role("menuitem", name=re.compile(r"^Save Notebook")).first.click()
    path = jupyter.root / "notebooks" / NOTEBOOK

    def saved_layouts() -> list:
        # Jupyter writes the file in place (truncate, then write): a read between the two
        # sees a file that is not whole yet, which is "not saved yet", not a failure
        try:
            saved = json.loads(path.read_text())
        except json.JSONDecodeError:
            return []
        meta = saved["metadata"].get("widgets", {})
        state = meta.get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
        return [m["state"].get("column_layout") for m in state.values()]

    # the save is asynchronous: wait for the file to hold the widget state
    layouts = until(saved_layouts, timeout=30, what="the notebook saved with the widget state")
    assert {"order": [], "hidden": ["data"], "widths": {"task": width}} in layouts

    page.reload()
    table = page.locator(".ogpu-rt").first
    table.locator("[data-response]").first.wait_for(timeout=LONG)
    wait_in_page(table, LAID_OUT, {"names": shown, "width": width}, what="the saved layout")
    assert header_names(table) == shown
    th = table.locator('.ogpu-rt-th[data-col="task"]')
    assert abs(th.bounding_box()["width"] - width) <= 2
    # restore for the next tests
    table.get_by_role("button", name="Columns").click()
    table.get_by_role("dialog", name="Columns").get_by_role("button", name="Reset columns").click()
    page.keyboard.press("Escape")
    k.wait_for("table.column_layout == {'order': [], 'hidden': [], 'widths': {}}")


def test_usable_at_800px(lab):
    page, table, k, _ = lab
    page.set_viewport_size({"width": 800, "height": 900})
    try:
        table.scroll_into_view_if_needed()
        box = table.bounding_box()
        target = k.eval("more[0]")
        row = table.locator(f'[data-response="{target}"]')
        confirm = row.get_by_role("button", name=re.compile("^Confirm"))
        for loc in (
            table.locator(".ogpu-rt-th-confirm"),
            confirm,
            table.get_by_role("button", name="Columns"),
            table.get_by_role("button", name="Keyboard shortcuts"),
            table.get_by_label("Search all columns"),
        ):
            expect(loc).to_be_visible()
            b = loc.bounding_box()
            assert b["x"] >= box["x"] - 1 and b["x"] + b["width"] <= box["x"] + box["width"] + 1
        # scrolled fully to the right, the pinned checkbox and Confirm columns stay in view
        table.locator(".ogpu-rt-scroll").evaluate("e => { e.scrollLeft = e.scrollWidth; }")
        button = confirm.element_handle()
        wait_in_page(table, WITHIN, button, what="the Confirm button in view after the scroll")
        button.dispose()
        b = confirm.bounding_box()
        assert b["x"] >= box["x"] - 1 and b["x"] + b["width"] <= box["x"] + box["width"] + 1
        table.screenshot(path=str(Path(os.environ.get("TMPDIR", "/tmp")) / "grid-800.png"))
        confirm.click()
        expect(page.get_by_role("button", name="Cancel")).to_be_visible()
        page.keyboard.press("Escape")
        expect(page.get_by_role("button", name="Cancel")).to_be_hidden()
        # the help fits
        table.get_by_role("button", name="Keyboard shortcuts").click()
        help_box = table.get_by_role("dialog", name="Keyboard shortcuts").bounding_box()
        assert help_box["x"] >= box["x"] - 1
        assert help_box["x"] + help_box["width"] <= box["x"] + box["width"] + 1
        page.keyboard.press("Escape")
    finally:
        page.set_viewport_size({"width": 1400, "height": 1000})


def serious(results) -> list[str]:
    out = []
    for v in results.response["violations"]:
        if v.get("impact") in ("serious", "critical"):
            nodes = [" ".join(n["target"]) for n in v["nodes"]][:5]
            out.append(f"{v['id']} ({v['impact']}): {v['help']} — {nodes}")
    return out


def use_theme(page, name: str) -> None:
    page.get_by_role("menuitem", name="View", exact=True).click()
    page.get_by_role("menuitem", name=re.compile(r"^Activate Command Palette")).click()
    page.locator(".lm-CommandPalette-input").fill(f"Use Theme: {name}")
    page.locator(".lm-CommandPalette-item", has_text=re.compile(rf"^Use Theme: {name}$")).click()


@pytest.mark.parametrize("theme", ["JupyterLab Light", "JupyterLab Dark"])
def test_axe_finds_no_serious_violation(lab, theme):
    from axe_playwright_python.sync_playwright import Axe

    page, table, k, _ = lab
    use_theme(page, theme)
    light = "true" if theme.endswith("Light") else "false"
    expect(page.locator(f"body[data-jp-theme-light='{light}']")).to_have_count(1, timeout=30_000)
    table.scroll_into_view_if_needed()
    out = Path(os.environ.get("TMPDIR", "/tmp")) / f"grid-{theme.split()[-1].lower()}.png"
    table.screenshot(path=str(out))
    axe = Axe()
    found = serious(axe.run(page, context=".ogpu-rt"))
    # with the popovers open too
    table.get_by_role("button", name="Columns").click()
    found += serious(axe.run(page, context=".ogpu-rt"))
    page.keyboard.press("Escape")
    table.get_by_role("button", name="Keyboard shortcuts").click()
    found += serious(axe.run(page, context=".ogpu-rt"))
    page.keyboard.press("Escape")
    # and with a review panel open (a row that can be confirmed)
    row = table.locator(f'[data-response="{k.eval("more[1]")}"]')
    row.get_by_role("button", name=re.compile("^Confirm")).click()
    expect(page.get_by_role("button", name="Cancel")).to_be_visible()
    found += serious(axe.run(page, context=".ogpu-rt"))
    page.keyboard.press("Escape")
    assert found == [], "\n".join(found)
