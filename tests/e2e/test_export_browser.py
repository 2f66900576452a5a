"""Export, messages and history in a real browser: "Download CSV" in JupyterLab + Chromium gives
the rows of ``table.view`` (same rows, same order, exact wei, formula-looking data neutralized);
at 800 px the review panel keeps Close and "Confirm payment" in view; a row confirmed before
the table was built shows its confirming transaction."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from harness import devnet_lab, wait_for_rows
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

NOTEBOOK = "export.ipynb"

SETUP = r"""
tasks = [dev.publish_task(src, payment_ogpu=p) for p in (1.234567890123456, 2, 0.000001)]
DATA = ["=HYPERLINK(\"http://evil\")", "+1+1", 'a "quoted", value', "line\nbreak", "-2", "@x"]
responses = [dev.respond(tasks[i % 3], i // 3, data=d) for i, d in enumerate(DATA)]
done = dev.confirm(responses[2])  # confirmed before the table exists
confirm_tx = str(done["transactionHash"]).lower()
df = ow.load_responses(tasks=tasks, progress=False)
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory, browser):
    with devnet_lab(
        browser,
        tmp_path_factory.mktemp("export-lab"),
        SETUP,
        notebook=NOTEBOOK,
        viewport={"width": 1400, "height": 1000},
        accept_downloads=True,
    ) as (page, table, kernel, _):
        yield page, table, kernel


def test_download_csv_is_the_view_with_exact_wei(lab):
    page, table, k = lab
    # a view that is not the table's order: sort by payment, highest first (ties keep the
    # table's order), as the kernel computes it on its own
    want = k.eval("list(table.df.sort_values('payment', ascending=False, kind='stable').index)")
    assert len(want) == 6
    sort = table.locator('[data-sort="payment_ogpu"]')
    sort.click()
    sort.click()
    keys = wait_for_rows(table, want, sort=("payment_ogpu", "descending"))
    k.wait_for(f"list(table.view.index) == {keys!r}", timeout=30)
    with page.expect_download(timeout=60_000) as info:
        table.get_by_role("button", name="Download CSV").click()
    download = info.value
    assert download.suggested_filename == "responses.csv"
    text = Path(download.path()).read_bytes().decode("utf-8-sig")
    assert "\r\n" in text
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    view = k.eval(
        "[{'address': a, 'task': r.task, 'provider': r.provider, 'data': r.data,"
        " 'payment': str(int(r.payment))} for a, r in table.view.iterrows()]"
    )
    assert [r["Response"] for r in rows] == [v["address"] for v in view] == keys
    assert [r["Payment (wei)"] for r in rows] == [v["payment"] for v in view]
    assert [r["Task"] for r in rows] == [v["task"] for v in view]
    assert [r["Provider"] for r in rows] == [v["provider"] for v in view]
    for r, v in zip(rows, view, strict=True):
        data = v["data"]
        expected = "'" + data if data[:1] in ("=", "+", "-", "@", "\t", "\r") else data
        assert r["Data"] == expected
        assert "e" not in r["Payment (wei)"].lower() and r["Payment (wei)"].isdigit()
    # only the visible columns: nothing the table does not show (client, confirmed, ...)
    shown_labels = table.get_by_role("columnheader").all_inner_texts()
    assert "Client" not in rows[0] and "client" not in rows[0]
    assert len(shown_labels) >= 2


def test_a_confirmed_row_shows_its_transaction(lab):
    page, table, k = lab
    r = k.eval("responses[2]")
    tx = k.eval("confirm_tx")
    k.wait_for(f"table.confirm_txs.get({r!r}) == {tx!r}", timeout=60)
    cell = table.locator(f'[data-response="{r}"] .ogpu-rt-k-confirm')
    expect(cell).to_contain_text("confirmed")
    expect(cell.locator(".ogpu-rt-tx:visible")).to_have_text(f"{tx[:8]}…{tx[-6:]}")
    expect(cell.locator(".ogpu-rt-tx:visible")).to_have_attribute("title", tx)


def test_the_review_panel_fits_at_800px(lab):
    page, table, k = lab
    page.set_viewport_size({"width": 800, "height": 700})
    a = k.eval("responses[0]")
    row = table.locator(f'[data-response="{a}"]')
    row.scroll_into_view_if_needed()
    row.get_by_role("button", name=re.compile("^Confirm")).click()
    panel = table.locator(".ogpu-rt-review")
    expect(panel).to_be_visible()
    close = panel.get_by_role("button", name="Close the review")
    confirm = panel.get_by_role("button", name="Confirm payment")
    expect(close).to_be_visible()
    expect(confirm).to_be_visible()
    width = page.viewport_size["width"]
    for button in (close, confirm):
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box
        # not clipped by the panel's own scroll box
        region = panel.locator(".ogpu-rt-review-region").bounding_box()
        assert region is not None
        assert (
            box["y"] >= region["y"] - 1
            and box["y"] + box["height"] <= region["y"] + region["height"] + 1
        )
    expect(panel).to_contain_text("OGPU (")  # the exact wei next to the payment
    page.screenshot(path="/tmp/export-800-review.png")
    close.click()
    expect(panel).to_be_hidden()
    # the compare view, and the review docked in it, fit too
    row.get_by_role("button", name=f"Compare the responses of the task of {a}").click()
    view = table.get_by_role("dialog", name=re.compile("^Compare the responses of task"))
    expect(view).to_be_visible()
    view.get_by_role("button", name=f"Confirm response {a}").click()
    docked = view.locator(".ogpu-rt-review")
    for name in ("Close the review", "Confirm payment"):
        button = docked.get_by_role("button", name=name)
        expect(button).to_be_visible()
        box = button.bounding_box()
        outer = view.bounding_box()
        assert box is not None and outer is not None
        assert (
            box["x"] >= outer["x"] - 1
            and box["x"] + box["width"] <= min(width, outer["x"] + outer["width"]) + 1
        )
        assert box["y"] + box["height"] <= outer["y"] + outer["height"] + 1, (box, outer)
    page.screenshot(path="/tmp/export-800-compare.png")
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    page.set_viewport_size({"width": 1400, "height": 1000})
