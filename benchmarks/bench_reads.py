"""Benchmark: loading every response of many tasks, ogpu_widgets vs. the official SDK's way.

    .venv/bin/python benchmarks/bench_reads.py                 # 1,000 tasks x 10 responses
    .venv/bin/python benchmarks/bench_reads.py --tasks 100 --responses 5   # a quick run

Starts a devnet (anvil) and seeds it, then reads all responses

(a)  with ``load_responses(tasks=...)`` (read_path="auto": the lens, a deployless eth_call,
     many calls per JSON-RPC batch request);
(a') with ``load_responses(tasks=..., read_path="batch")`` (plain eth_calls, 500 per batch);
(b)  the way the official SDK reads: per task ``getAttemptCount()`` and ``getResponsesOf`` in
     chunks of 100 slots; per response ``getResponseParams()``, ``getStatus()``,
     ``responseTimestamp()`` and ``confirmedFinal()``; one web3 ``contract.functions.X().call()``
     each, one after another.

HTTP requests are counted at the transport (``requests.Session.send``, which web3's
HTTPProvider uses), with the eth_call and eth_chainId calls they carry (web3 7 sends an
eth_chainId before and after each contract call, so (b) makes three requests per read).
Prints wall times, request counts and the ratios; targets: (b)/(a) >= 100 and (a) <= 30 HTTP
requests for 10,000 responses. Exit status 1 when a target is missed on the
full-size run, or when the paths disagree.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path

import pandas as pd
import requests
from web3 import Web3

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ogpu_widgets import read as reader  # noqa: E402
from ogpu_widgets.chain import codec  # noqa: E402
from ogpu_widgets.chain.abi import abi  # noqa: E402
from ogpu_widgets.devnet import Devnet  # noqa: E402
from ogpu_widgets.records import ZERO_ADDRESS  # noqa: E402


class RequestCounter:
    """Counts HTTP requests made through any ``requests.Session`` while active, and the
    ``eth_call`` / ``eth_chainId`` JSON-RPC calls they carry."""

    def __init__(self) -> None:
        self.count = 0
        self.methods = {"eth_call": 0, "eth_chainId": 0}
        self._original = requests.Session.send

    @contextlib.contextmanager
    def counting(self):
        original = self._original
        counter = self

        def send(session, request, **kwargs):
            counter.count += 1
            body = request.body or b""
            if isinstance(body, str):
                body = body.encode()
            for method in counter.methods:
                counter.methods[method] += body.count(f'"{method}"'.encode())
            return original(session, request, **kwargs)

        self.count = 0
        self.methods = dict.fromkeys(self.methods, 0)
        requests.Session.send = send  # type: ignore[method-assign]
        try:
            yield self
        finally:
            requests.Session.send = original  # type: ignore[method-assign]


def sdk_way(rpc_url: str, tasks: list[str]) -> list[dict]:
    """Every response of ``tasks``, read as the official SDK reads them (sequential calls)."""
    w3 = Web3(Web3.HTTPProvider(rpc_url))
    task_abi, response_abi = abi("Task"), abi("Response")
    rows = []
    for t in tasks:
        task = w3.eth.contract(address=t, abi=task_abi)
        count = task.functions.getAttemptCount().call()
        addresses = []
        for lo in range(0, count, 100):
            hi = min(lo + 100, count)
            addresses += task.functions.getResponsesOf(lo, hi - 1).call()  # both inclusive
        for a in addresses:
            if a == ZERO_ADDRESS:
                continue
            r = w3.eth.contract(address=a, abi=response_abi)
            params = r.functions.getResponseParams().call()
            status = r.functions.getStatus().call()
            timestamp = r.functions.responseTimestamp().call()
            confirmed = r.functions.confirmedFinal().call()
            rows.append(
                {
                    "address": a,
                    "task": params[0],
                    "provider": params[1],
                    "data": params[2],
                    "payment": params[3],
                    "status": status,
                    "timestamp": timestamp,
                    "confirmed": confirmed,
                }
            )
    return rows


def timed(counter: RequestCounter, fn):
    codec.checksum.cache_clear()
    with counter.counting():
        t0 = time.perf_counter()
        result = fn()
        wall = time.perf_counter() - t0
    return result, wall, counter.count


def calls(counter: RequestCounter) -> str:
    m = counter.methods
    return f"({m['eth_call']} eth_call, {m['eth_chainId']} eth_chainId)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--responses", type=int, default=10, help="responses per task (<= 10)")
    parser.add_argument("--skip-sdk", action="store_true", help="skip (b), the slow baseline")
    args = parser.parse_args(argv)
    counter = RequestCounter()
    total = args.tasks * args.responses
    print(f"devnet: {args.tasks} tasks x {args.responses} responses = {total} responses")
    with Devnet(providers=max(10, args.responses)) as dev:
        t0 = time.perf_counter()
        seeded = dev.seed(tasks=args.tasks, responses_per_task=args.responses, delivery="manual")
        print(f"seeded in {time.perf_counter() - t0:.1f} s")
        tasks = seeded["tasks"]

        lens, t_lens, n_lens = timed(
            counter,
            lambda: reader.load_responses(tasks=tasks, network=dev.network, progress=False),
        )
        lens_calls = calls(counter)
        batch, t_batch, n_batch = timed(
            counter,
            lambda: reader.load_responses(
                tasks=tasks, network=dev.network, progress=False, read_path="batch"
            ),
        )
        batch_calls = calls(counter)
        pd.testing.assert_frame_equal(lens, batch)
        assert len(lens) == total, (len(lens), total)
        print(
            f"(a)  load_responses, lens (auto) : {t_lens:8.3f} s  {n_lens:6d} HTTP requests "
            f"{lens_calls}"
        )
        print(
            f"(a') load_responses, batch path  : {t_batch:8.3f} s  {n_batch:6d} HTTP requests "
            f"{batch_calls}"
        )
        ok = True
        if not args.skip_sdk:
            rows, t_sdk, n_sdk = timed(counter, lambda: sdk_way(dev.rpc_url, tasks))
            assert len(rows) == total, (len(rows), total)
            sdk = pd.DataFrame(rows).set_index("address")
            assert list(sdk.index) == list(lens.index)
            assert list(sdk["data"]) == list(lens["data"])
            assert [int(p) for p in sdk["payment"]] == list(lens["payment"])
            print(
                f"(b)  SDK way, sequential calls   : {t_sdk:8.3f} s  {n_sdk:6d} HTTP requests "
                f"{calls(counter)}"
            )
            print(f"ratio (b)/(a)  = {t_sdk / t_lens:8.1f}x  (target >= 100)")
            print(f"ratio (b)/(a') = {t_sdk / t_batch:8.1f}x")
            if total >= 10_000:
                ok = t_sdk / t_lens >= 100
        if total >= 10_000:
            print(f"(a) made {n_lens} HTTP requests for {total} responses (target <= 30)")
            ok = ok and n_lens <= 30
        return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
