"""Benchmark: the cost of live updates (``ogpu_widgets.live``).

    .venv/bin/python benchmarks/bench_live.py                    # 10,000 and 100,000 rows
    .venv/bin/python benchmarks/bench_live.py --quick            # 1,000 and 5,000 rows, short run

Starts a devnet (anvil) and prints:

1. HTTP requests per idle poll, with a watcher whose scope holds 10,000 and then 100,000
   responses (seeded: ``--tasks`` tasks x ``--responses`` responses; for 100,000, three times
   as many seeded and the rest as a row index the subscribers select against, since anvil
   does not hold 100,000 responses on a small machine), plus ``--subscribers`` more
   subscribers on the same network. Requests are counted
   at the transport (every ``requests.Session.send`` of the process) and by the poller.
   Target: <= 2, whatever the rows or subscribers.
2. Kernel memory (RSS) and thread count sampled over a run of ``--duration`` seconds with
   ``poll_interval=0.05``, while simulated providers answer and 100 subscriptions are opened
   and closed every second. Target: flat (threads constant; RSS growth small and not
   proportional to the run).
3. :func:`paint_latency`: the delay from the block holding a response to its row being
   painted; the live table's part (see its docstring).

Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import ogpu_widgets as ow  # noqa: E402
from ogpu_widgets.devnet import Devnet  # noqa: E402
from ogpu_widgets.live import POLLERS, subscribe  # noqa: E402


class TransportCounter:
    """Counts every HTTP request of the process (``requests.Session.send``) while active."""

    def __init__(self) -> None:
        self.count = 0
        self._original = requests.Session.send
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def counting(self):
        original, counter = self._original, self

        def send(session, request, **kwargs):
            with counter._lock:
                counter.count += 1
            return original(session, request, **kwargs)

        requests.Session.send = send  # type: ignore[method-assign]
        try:
            yield self
        finally:
            requests.Session.send = original  # type: ignore[method-assign]


def rss_mib() -> float:
    """This process's resident set size in MiB (Linux ``/proc``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def seed(dev: Devnet, tasks: int, responses: int) -> list[str]:
    """``tasks`` manual tasks with ``responses`` responses each (short payloads: fast)."""
    began = time.perf_counter()
    out = dev.seed(
        tasks=tasks,
        responses_per_task=responses,
        delivery="manual",
        data=lambda task, provider, i: f"ipfs://bench/{task[2:10]}/{i}",
    )["tasks"]
    print(
        f"  seeded {tasks:,} tasks x {responses} responses in {time.perf_counter() - began:.1f} s"
    )
    return out


def idle_cost(
    dev: Devnet, tasks: list[str], subscribers: int, polls: int, synthetic_rows: int = 0
) -> float:
    """HTTP requests per idle poll with a watcher over ``tasks`` and ``subscribers`` more.
    ``synthetic_rows``: the extra subscribers also select events against an index of that
    many more rows (response addresses), as tables of that size would."""
    rows = len(ow.load_responses(tasks=tasks, network=dev, progress=False))
    watcher = ow.watch_responses(tasks=tasks, network=dev, poll_interval=0.2)
    index = {f"0x{i:040x}" for i in range(synthetic_rows)}

    def table_like(events):
        return [e for e in events if getattr(e, "response", None) in index]

    extra = [subscribe(dev, table_like, poll_interval=0.2) for _ in range(subscribers)]
    rows += synthetic_rows
    poller = watcher.poller
    counter = TransportCounter()
    try:
        assert poller.wait_polls(poller.polls + 2, 60), "the poller does not poll"
        with counter.counting():
            first, made = poller.polls, poller.requests
            assert poller.wait_polls(first + polls, 120)
            n = poller.polls - first
            transport = counter.count
        per_poll = transport / n
        print(f"  {rows:>7,} rows, {len(tasks):>6,} tasks, {subscribers + 1:>3} subscribers: "
              f"{per_poll:.2f} HTTP requests per idle poll ({transport} over {n} polls; the "
              f"poller counted {poller.requests - made})")  # fmt: skip
        return per_poll
    finally:
        watcher.stop()
        for sub in extra:
            sub.close()


def steady_run(dev: Devnet, tasks: list[str], duration: float) -> tuple[float, int]:
    """RSS and threads over ``duration`` s of fast polling, simulated answers and subscriber
    churn; (RSS growth in MiB after warm-up, thread count spread)."""
    received = [0]
    watcher = ow.watch_responses(
        tasks=tasks,
        network=dev,
        poll_interval=0.05,
        on_event=lambda ev: received.__setitem__(0, received[0] + 1),
    )
    sim = dev.simulate(rate=5, tasks=tasks)
    samples: list[tuple[float, float, int]] = []
    began = time.monotonic()
    try:
        while (elapsed := time.monotonic() - began) < duration:
            churn = [subscribe(dev, lambda events: None, poll_interval=0.05) for _ in range(100)]
            for sub in churn:
                sub.close()
            samples.append((elapsed, rss_mib(), threading.active_count()))
            time.sleep(1.0)
    finally:
        sim.stop()
        watcher.stop()
    print(f"  {'t (s)':>6} {'RSS (MiB)':>10} {'threads':>8}")
    step = max(1, len(samples) // 10)
    for t, rss, threads in samples[::step] + ([samples[-1]] if len(samples) % step else []):
        print(f"  {t:6.1f} {rss:10.1f} {threads:8d}")
    warm = samples[len(samples) // 5 :] or samples
    growth = warm[-1][1] - warm[0][1]
    spread = max(s[2] for s in warm) - min(s[2] for s in warm)
    poller_polls = watcher.poller.polls
    print(f"  {poller_polls} polls ({poller_polls / duration:.1f}/s), {received[0]} events delivered, "
          f"{len(sim.submitted)} responses simulated; RSS growth after warm-up "
          f"{growth:+.1f} MiB, thread count spread {spread}")  # fmt: skip
    return growth, spread


# ---- the live table's part ------------------------------------------------------------------------


def paint_latency(dev: Devnet, tasks: list[str], responses: int = 50) -> dict[str, float] | None:
    """The delay from the block holding a response to its row being painted in a live
    ``ResponseTable`` (``poll_interval=1``) in JupyterLab and headless Chromium: p50/p95 over
    ``responses`` responses, in seconds. Target: p95 <= 2.5 s.

    A source of its own gets ``ceil(responses / 9)`` tasks with one response each (``tasks`` is
    not used: its providers have all answered). A notebook (run in JupyterLab by the harness of
    ``tests/e2e``) shows ``ResponseTable(source=..., poll_interval=1)``, sorted by "Submitted"
    (newest first, so new rows are on screen). Then providers answer one at a time, 0.3-0.9 s
    apart; for each, the wall clock just before ``submitResponse`` is sent (the devnet mines it
    at once: the block's moment, taken early so the figure errs long) is compared with the
    moment Chromium painted its row (a MutationObserver sees the row's ``data-response`` and
    the time is taken after the next animation frame plus one task; ``Date.now()``, the same
    clock on the same machine). Returns None (and says why) when no browser is available."""
    import math
    import random
    import re
    import statistics
    import tempfile

    import nbformat

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
    from harness import CHROMIUM_ARGS, find_chromium, jupyter_server

    chromium = find_chromium()
    if chromium is None:
        print("  skipped: no Chromium (install `chromium` or set $CHROMIUM)")
        return None
    from playwright.sync_api import sync_playwright

    src = dev.publish_source("manual")
    mine = [dev.publish_task(src, payment_ogpu=1) for _ in range(math.ceil(responses / 9))]
    for t in mine:
        dev.respond(t, 0)
    plan = [(t, p) for p in range(1, 10) for t in mine][:responses]
    mined: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        state = str(dev.write_state(base / "devnet.json"))
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
        nb.cells = [
            nbformat.v4.new_code_cell(
                "import ogpu_widgets as ow\n"
                f"table = ow.ResponseTable(source={src!r}, network={state!r}, poll_interval=1)\n"
                "table"
            )
        ]
        (base / "nb").mkdir()
        nbformat.write(nb, base / "nb" / "live.ipynb")
        (base / "lab").mkdir()
        with jupyter_server(base / "lab", base / "nb") as server, sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=chromium, headless=True, args=CHROMIUM_ARGS
            )
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            page.goto(server.url("/lab/tree/notebooks/live.ipynb"))
            page.locator(".jp-Notebook").first.wait_for(timeout=120_000)
            server.wait_kernel_idle("live.ipynb", timeout=120)
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()
            table = page.locator(".ogpu-rt").first
            table.locator("[data-response]").first.wait_for(timeout=120_000)
            header = table.get_by_role("columnheader", name=re.compile("^Submitted")).first
            header.click()
            header.click()  # newest first
            page.wait_for_timeout(500)
            page.evaluate(
                """() => {
                  const root = document.querySelector(".ogpu-rt");
                  const seen = new Set(Array.from(root.querySelectorAll("[data-response]"),
                                                  (e) => e.getAttribute("data-response")));
                  window.__painted = {};
                  const note = (addr) => {
                    if (!addr || seen.has(addr)) return;
                    seen.add(addr);
                    requestAnimationFrame(() => setTimeout(() => { window.__painted[addr] = Date.now(); }, 0));
                  };
                  new MutationObserver((records) => {
                    for (const r of records) {
                      if (r.type === "attributes") note(r.target.getAttribute("data-response"));
                      for (const n of r.addedNodes || []) {
                        if (n.nodeType === 1 && n.hasAttribute("data-response")) note(n.getAttribute("data-response"));
                      }
                    }
                  }).observe(root, { subtree: true, childList: true, attributes: true,
                                     attributeFilter: ["data-response"] });
                }"""
            )
            rng = random.Random(7)
            for task, provider in plan:
                dev.attempt(task, provider)
                t0 = time.time()
                mined[dev.submit_response(task, provider)] = t0
                time.sleep(rng.uniform(0.3, 0.9))
            deadline = time.monotonic() + 15
            painted: dict[str, float] = {}
            while time.monotonic() < deadline:
                painted = page.evaluate("() => window.__painted")
                if all(a in painted for a in mined):
                    break
                time.sleep(0.25)
            browser.close()
    delays = sorted(painted[a] / 1000 - t for a, t in mined.items() if a in painted)
    missing = len(mined) - len(delays)
    if len(delays) < 2:
        print(f"  FAILED: {len(delays)} of {len(mined)} rows painted")
        return {"p50": math.inf, "p95": math.inf, "max": math.inf, "missing": missing}
    p50 = statistics.median(delays)
    p95 = statistics.quantiles(delays, n=20, method="inclusive")[-1]
    ok = p95 <= 2.5 and missing == 0
    print(
        f"  {len(delays)} responses: p50 {p50:.2f} s, p95 {p95:.2f} s, max {delays[-1]:.2f} s, "
        f"min {delays[0]:.2f} s, {missing} not painted -> {'PASS' if ok else 'FAIL'}"
    )
    return {"p50": p50, "p95": p95 if not missing else math.inf, "max": delays[-1],
            "missing": missing}  # fmt: skip


# ---- main ----------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=1_000)
    parser.add_argument("--responses", type=int, default=10)
    parser.add_argument("--subscribers", type=int, default=99)
    parser.add_argument("--polls", type=int, default=20)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--quick", action="store_true", help="small sizes and a short run")
    args = parser.parse_args()
    if args.quick:
        args.tasks, args.responses, args.polls, args.duration = 200, 5, 10, 15.0
    ok = True
    with Devnet() as dev:
        print("1. HTTP requests per idle poll (target <= 2)")
        small = seed(dev, args.tasks, args.responses)
        ok &= idle_cost(dev, small, args.subscribers, args.polls) <= 2
        # anvil falls over past ~70,000 responses on a 2-core machine: the rest of the 100,000
        # rows are an index the subscribers select against (the poller never reads rows)
        more = [t for _ in range(2) for t in seed(dev, args.tasks, args.responses)]
        rows = 10 * len(small) * args.responses - 3 * len(small) * args.responses
        ok &= idle_cost(dev, small + more, args.subscribers, args.polls, rows) <= 2
        print(f"\n2. memory and threads over {args.duration:.0f} s, poll_interval=0.05 (flat)")
        source = dev.publish_source("manual")
        fresh = [dev.publish_task(source) for _ in range(50)]  # open to simulated answers
        growth, spread = steady_run(dev, fresh, args.duration)
        ok &= spread == 0 and growth < 20
        print("\n3. block -> row painted, live table, poll_interval=1 (target p95 <= 2.5 s)")
        figures = paint_latency(dev, small[:100])
        if figures is not None:
            ok &= figures["p95"] <= 2.5
    POLLERS.close_all()
    print("\nall targets met" if ok else "\nA TARGET WAS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
