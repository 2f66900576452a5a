"""Benchmark: fetching 1,000 results through an IPFS gateway with 50 ms added latency per request.

    .venv/bin/python benchmarks/bench_results.py               # 1,000 results, 50 ms latency
    .venv/bin/python benchmarks/bench_results.py --results 200 --latency 0.02   # a quick run

Starts a devnet (anvil and its local IPFS gateway), stores N varied JSON results in the devnet's
IPFS store (half CIDv0, half CIDv1) and points N responses at them with the gateway URL
``http://127.0.0.1:<port>/ipfs/<CID>``, as providers do on mainnet. (The responses are
``TaskResponse`` records made here, not submitted on chain: fetching depends only on ``data``.)
Then, with the gateway adding ``--latency`` seconds to every request:

(a) cold:   ``fetch_results(responses)`` with an empty cache: trustless CAR requests on a
            bounded pool (16 workers), every block verified against its CID, results cached;
(b) cached: the same call again (the gateway is not asked: every result comes from the
            on-disk cache, verified again on read; the in-process memory of verified content
            is emptied first), and (b') once more, from that memory;
(s) the SDK-style path: one sequential ``GET`` of each ``data`` URL, ``json.loads``, no cache
    and no verification, like ``ogpu``'s ``Response.fetch_data()``. One request costs the added
    latency, so this is measured on ``--sdk-sample`` results (100 by default) and scaled to N;
    the output says so.

Prints wall times and the ratios; targets: (s)/(a) >= 10 and (b) < 0.3 s for 1,000 results.
Exit status 1 when a target is missed on the full-size run, or when a result is wrong.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import ogpu_widgets as ow  # noqa: E402
from ogpu_widgets.devnet import Devnet  # noqa: E402
from ogpu_widgets.results.cache import forget_memory  # noqa: E402


def payloads(n: int, seed: int = 7) -> list[object]:
    rng = random.Random(seed)
    out: list[object] = []
    for i in range(n):
        shape = i % 4
        if shape == 0:
            out.append({"result": rng.choice(["positive", "negative", "neutral"]),
                        "confidence": round(rng.random(), 4), "i": i})  # fmt: skip
        elif shape == 1:
            out.append({"text": f"generated answer {i}: " + "lorem ipsum " * rng.randint(2, 40)})
        elif shape == 2:
            out.append({"embedding": [round(rng.gauss(0, 1), 5) for _ in range(64)], "i": i})
        else:
            out.append({"meta": {"model": "m-7b", "seed": i, "tags": ["a", "b"]}, "score": i})
    return out


def set_latency(dev: Devnet, seconds: float) -> None:
    gateway = dev.gateway
    gateway.latency = seconds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--results", type=int, default=1000)
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--sdk-sample", type=int, default=100)
    ap.add_argument("--workers", type=int, default=16)
    args = ap.parse_args()
    n = args.results
    full = n >= 1000 and args.latency >= 0.05

    with Devnet() as dev, tempfile.TemporaryDirectory() as cache_dir:
        objects = payloads(n)
        t = time.perf_counter()
        cids = [dev.ipfs.add(json.dumps(o).encode(), cid_version=i % 2)
                for i, o in enumerate(objects)]  # fmt: skip
        urls = [f"{dev.gateway_url}/ipfs/{cid}" for cid in cids]
        responses = [
            ow.TaskResponse(
                f"0x{i + 1:040x}", "0x" + "7" * 40, "0x" + "8" * 40, url, 0, "submitted", False, 0
            )  # fmt: skip
            for i, url in enumerate(urls)
        ]
        print(f"devnet gateway {dev.gateway_url}: {n} results stored in "
              f"{time.perf_counter() - t:.2f} s; added latency {args.latency * 1000:.0f} ms "
              "per request")  # fmt: skip
        set_latency(dev, args.latency)
        options = {"gateway": dev.gateway_url, "cache": cache_dir, "progress": False,
                   "workers": args.workers}  # fmt: skip

        # (s) the SDK-style path, on a sample
        sample = min(args.sdk_sample, n)
        session = requests.Session()
        t = time.perf_counter()
        sdk = []
        for url in urls[:sample]:
            reply = session.get(url, timeout=30)
            reply.raise_for_status()
            sdk.append(json.loads(reply.text))
        sdk_sample_s = time.perf_counter() - t
        sdk_s = sdk_sample_s * n / sample

        # (a) cold
        t = time.perf_counter()
        cold = ow.fetch_results(responses, **options)
        cold_s = time.perf_counter() - t
        # (b) cached: from the files (the in-process memory emptied first), then from memory
        forget_memory()
        t = time.perf_counter()
        cached = ow.fetch_results(responses, **options)
        cached_s = time.perf_counter() - t
        t = time.perf_counter()
        again = ow.fetch_results(responses, **options)
        memory_s = time.perf_counter() - t

    ok = (
        list(cold["result"]) == objects
        and list(cached["result"]) == objects
        and bool(cold["result_verified"].all())
        and bool(cached["result_verified"].all())
        and list(again["result"]) == objects
        and sdk == objects[:sample]
    )
    scaled = "" if sample == n else f" (measured on {sample}, x{n / sample:g})"
    print(f"(s) SDK-style, sequential GETs, no cache : {sdk_s:8.2f} s{scaled}")
    print(f"(a) fetch_results, cold (verified)       : {cold_s:8.2f} s   "
          f"{sdk_s / cold_s:6.1f}x faster than (s)")  # fmt: skip
    print(f"(b) fetch_results, cached on disk        : {cached_s:8.3f} s   "
          f"{sdk_s / cached_s:6.0f}x faster than (s)  (CAR files, verified again)")  # fmt: skip
    print(f"(b') fetch_results, again (in memory)    : {memory_s:8.3f} s")
    print(f"results equal and verified: {ok}")
    misses = []
    if sdk_s / cold_s < 10:
        misses.append(f"cold is {sdk_s / cold_s:.1f}x faster, target >= 10x")
    if cached_s >= 0.3 * max(n, 1000) / 1000:
        misses.append(f"cached takes {cached_s:.3f} s, target < 0.3 s for 1,000")
    for miss in misses:
        print("target missed:", miss)
    return 1 if not ok or (full and misses) else 0


if __name__ == "__main__":
    sys.exit(main())
