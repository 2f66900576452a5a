"""Results in a real browser: a devnet whose responses point at its local IPFS gateway, a table in
JupyterLab, the Result column filling in, the detail and compare views by mouse and keyboard, a
confirmation from the compare view landing on chain, and hostile payloads staying inert."""

from __future__ import annotations

import re

import pytest
from harness import devnet_lab, screenshot
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

NOTEBOOK = "results.ipynb"

SETUP = r"""
from ogpu_widgets.devnet.ipfs import png

task = dev.publish_task(src, payment_ogpu=1.5)
answers = [
    {"result": "positive", "confidence": 0.97, "model": {"name": "m1"}},
    {"result": "positive", "confidence": 0.91, "model": {"name": "m1"}},
    {"result": "negative", "confidence": 0.55, "model": {"name": "m2"}},
]
responses = [dev.respond(task, i, data=dev.gateway.url_of(dev.ipfs.add_json(a)))
             for i, a in enumerate(answers)]
htask = dev.publish_task(src, payment_ogpu=1)
HOSTILE = [
    dev.ipfs.add_json({"x": "<script>window.__pwned = 1</script>",
                       "svg": "<svg onload='window.__pwned = 2'></svg>",
                       "img": "<img src=x onerror='window.__pwned = 3'>"}),
    dev.ipfs.add(b"<svg xmlns='http://www.w3.org/2000/svg' onload='window.__pwned = 4'>"
                 b"<script>window.__pwned = 5</script></svg>"),
    dev.ipfs.add("\x1b[31mred\x1b[0m \u202eevil\u202c <b>bold</b>".encode()),
    dev.ipfs.add(b"A" * 100_000),
    dev.ipfs.add(png(48)),
]
hostile = [dev.respond(htask, i, data=dev.gateway.url_of(c)) for i, c in enumerate(HOSTILE)]
df = ow.load_responses(tasks=[task, htask], progress=False)
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory, browser):
    with devnet_lab(
        browser,
        tmp_path_factory.mktemp("results-lab"),
        SETUP,
        notebook=NOTEBOOK,
        viewport={"width": 1500, "height": 1100},
    ) as (page, table, kernel, _):
        yield page, table, kernel


def result_cell(table, address: str):
    return table.locator(f'[data-response="{address}"] [data-result-state]')


def test_the_result_column_fills_in(lab):
    page, table, k = lab
    responses = k.eval("responses")
    hostile = k.eval("hostile")
    for a in responses + hostile:
        expect(result_cell(table, a)).not_to_have_attribute("data-result-state", "loading",
                                                            timeout=60_000)  # fmt: skip
    first = result_cell(table, responses[0])
    expect(first).to_have_attribute("data-result-state", "ok")
    expect(first).to_contain_text('{"result":"positive","confidence":0.97,"model":{"name":"m1"}}')
    expect(first).to_contain_text("✓")
    expect(result_cell(table, hostile[4])).to_contain_text("image 48×48 PNG")
    # the kernel fetched them (verified against their CIDs) and keeps them by response address
    k.wait_for(f"set({responses + hostile!r}) <= set(table.results.index)")
    assert k.eval(f"bool(table.results.loc[{responses!r}, 'result_verified'].all())") is True
    assert k.eval(f"table.results.loc[{responses[2]!r}, 'result']") == {
        "result": "negative", "confidence": 0.55, "model": {"name": "m2"}}  # fmt: skip


def test_the_detail_view_by_mouse_and_keyboard(lab):
    page, table, k = lab
    a = k.eval("responses[0]")
    row = table.locator(f'[data-response="{a}"]')
    row.get_by_role("button", name=f"Show the result of response {a}").click()
    dialog = table.get_by_role("dialog", name=f"Result of response {a}")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text('"positive"')
    expect(dialog).to_contain_text("✓ verified")
    expect(dialog.locator("details").first).to_have_attribute("open", "")
    dialog.get_by_role("button", name="Close the result").click()
    expect(dialog).to_be_hidden()
    # keyboard: R from the row's Confirm button, Escape back to it
    confirm = row.get_by_role("button", name=re.compile("^Confirm"))
    confirm.focus()
    page.keyboard.press("r")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Close the result")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(confirm).to_be_focused()


def test_compare_then_confirm_from_it_lands_on_chain(lab):
    page, table, k = lab
    responses = k.eval("responses")
    target = responses[1]
    provider = k.eval(f"table.df.loc[{target!r}, 'provider']")
    before = k.eval(f"dev.call('Vault', dev.contracts['vault'], 'balanceOf', {provider!r})")
    payment = k.eval(f"int(table.df.loc[{target!r}, 'payment'])")

    row = table.locator(f'[data-response="{responses[0]}"]')
    confirm = row.get_by_role("button", name=re.compile("^Confirm"))
    # the row's own review panel shows the result being paid for
    confirm.click()
    panel = table.locator(".ogpu-rt-review")
    expect(panel).to_contain_text('verified — {"result":"positive","confidence":0.97')
    expect(panel).to_contain_text("2 other responses of this task will not be paid.")
    screenshot(table, "screenshot-review.png")
    page.get_by_role("button", name="Cancel").click()
    expect(panel).to_be_hidden()
    confirm.focus()
    page.keyboard.press("c")
    view = table.get_by_role("dialog", name=re.compile("^Compare the responses of task"))
    expect(view).to_be_visible()
    expect(view.locator("th[data-compare-response]")).to_have_count(3)
    differs = view.locator('tr[data-diff="true"]')
    expect(differs.filter(has_text="result")).to_have_count(1)
    expect(differs.filter(has_text="confidence")).to_have_count(1)
    expect(view.locator('td[data-differs="true"]', has_text='"negative"')).to_have_count(1)
    expect(view).to_contain_text("✓ verified")
    screenshot(page, "screenshot-compare.png")
    page.keyboard.press("Escape")
    expect(view).to_be_hidden()
    expect(confirm).to_be_focused()

    # by mouse: open it again and pay the second response from its column
    row.get_by_role("button", name=f"Compare the responses of the task of {responses[0]}").click()
    expect(view).to_be_visible()
    view.get_by_role("button", name=f"Confirm response {target}").click()
    panel = view.locator(".ogpu-rt-review")
    expect(panel).to_contain_text("This releases the payment and cannot be undone")
    expect(panel).to_contain_text("2 other responses of this task will not be paid.")
    expect(panel).to_contain_text('verified — {"result":"positive","confidence":0.91')
    view.get_by_role("button", name="Confirm payment").click()
    expect(panel).to_contain_text("Confirmed", timeout=60_000)
    # on chain, not from the widget's own state
    k.wait_for("dev.call('Task', task, 'getStatus') == 5")
    assert k.eval("dev.call('Task', task, 'winningProvider')") == provider
    after = k.eval(f"dev.call('Vault', dev.contracts['vault'], 'balanceOf', {provider!r})")
    assert after - before == payment
    for other in (responses[0], responses[2]):
        button = view.get_by_role("button", name=re.compile(f"^Confirm response {other}"))
        expect(button).to_be_disabled()
    view.get_by_role("button", name="Close the comparison").click()
    expect(view).to_be_hidden()
    expect(table.locator(f'[data-response="{target}"]')).to_contain_text("confirmed")


def test_hostile_payloads_stay_inert(lab):
    page, table, k = lab
    hostile = k.eval("hostile")
    width = table.bounding_box()["width"]
    for i, a in enumerate(hostile):
        row = table.locator(f'[data-response="{a}"]')
        expect(result_cell(table, a)).not_to_have_attribute("data-result-state", "loading",
                                                            timeout=60_000)  # fmt: skip
        row.get_by_role("button", name=f"Show the result of response {a}").click()
        dialog = table.get_by_role("dialog", name=f"Result of response {a}")
        expect(dialog).to_be_visible()
        expect(dialog.locator(".ogpu-rt-result-body")).to_be_visible()
        if i == 4:  # the PNG, drawn from its bytes
            img = dialog.locator("img")
            expect(img).to_have_attribute("alt", "Result image 48×48")
            expect(img).to_have_attribute("src", re.compile(r"^(blob:|data:image/png;base64,)"))
        # the payload never widens the table
        box = dialog.bounding_box()
        assert box["width"] <= width + 1, (i, box, width)
        if i == 0:
            expect(dialog).to_contain_text("<script>window.__pwned = 1</script>")
        if i == 1:
            expect(dialog).to_contain_text("<svg xmlns=")
        if i == 2:
            expect(dialog).to_contain_text("␛[31mred")
            expect(dialog).to_contain_text("\\u202eevil")
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
    assert page.evaluate("window.__pwned") is None
    for tag in ("script", "svg", "iframe", "object", "embed", "b"):
        expect(table.locator(tag)).to_have_count(0)
    expect(table.locator("img")).to_have_count(0)  # the image left with its dialog
    # a 100 kB single line stays one ellipsized cell
    cell = result_cell(table, hostile[3])
    assert cell.evaluate("e => e.scrollWidth <= e.clientWidth + 1 && e.clientWidth < 1000")
    text = cell.locator(".ogpu-rt-rtext")
    assert text.evaluate("e => getComputedStyle(e).textOverflow") == "ellipsis"
    assert text.evaluate("e => getComputedStyle(e).unicodeBidi") == "isolate"
