"""Benchmark: 1,000 results over a plain gateway (one that ignores the trustless request and
sends the file), verified by importing each file again with its CID's profile.

    .venv/bin/python benchmarks/bench_plain_gateway.py                 # 1,000 results
    .venv/bin/python benchmarks/bench_plain_gateway.py --results 200   # a quick run

Starts the devnet's IPFS gateway in its plain mode (``trustless = False``) over an in-memory
store holding N varied results: a third CIDv0 (``ipfs add``), two thirds CIDv1 (``ipfs add
--cid-version=1``: raw leaves; a file of one chunk is a single raw block, ``bafkrei…``); one in
ten is multi-block (600 KB, 3 chunks) and one in twenty sits below a directory path. Then,
with no cache:

(h) honest: ``fetch_results`` of all N; the share verified (target: every file not below a
    directory path), the share left unverified (the directory paths) and the wall time;
(t) tampering: the same gateway altering every file; the share caught (``result_verified``
    False and the content dropped: target 100% of the checkable ones) and the wall time;
(a) for scale, the same N through the trustless interface (CAR).

Exit status 1 when a share misses its target or a result is wrong.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import ogpu_widgets as ow  # noqa: E402
from ogpu_widgets.devnet.ipfs import Gateway, IpfsStore  # noqa: E402


def payload(i: int, rng: random.Random) -> bytes:
    if i % 10 == 9:  # multi-block
        items = [{"i": k, "v": round(rng.random(), 5)} for k in range(28_000)]
        return json.dumps(items).encode()
    obj = {"result": rng.choice(["positive", "negative", "neutral"]),
           "confidence": round(rng.random(), 4), "i": i,
           "text": "lorem ipsum " * rng.randint(2, 40)}  # fmt: skip
    return json.dumps(obj).encode()


def build(n: int, store: IpfsStore, gateway: Gateway) -> tuple[list[str], list[object], int]:
    rng = random.Random(11)
    datas, want, below = [], [], 0
    for i in range(n):
        body = payload(i, rng)
        cid = store.add(body, cid_version=0 if i % 3 == 0 else 1)
        if i % 20 == 7:
            folder = store.add_directory({"result.json": cid})
            datas.append(gateway.url_of(folder, "/result.json"))
            below += 1
        else:
            datas.append(gateway.url_of(cid))
        want.append(json.loads(body))
    return datas, want, below


def responses(datas: list[str]) -> list[ow.TaskResponse]:
    return [
        ow.TaskResponse(
            f"0x{i + 1:040x}", "0x" + "7" * 40, "0x" + "8" * 40, d, 0, "submitted", False, 0
        )  # fmt: skip
        for i, d in enumerate(datas)
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--results", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=16)
    args = ap.parse_args()
    n = args.results
    store = IpfsStore()
    gateway = Gateway(store).start()
    try:
        datas, want, below = build(n, store, gateway)
        rows = responses(datas)
        checkable = n - below
        options = {"gateway": gateway.url, "progress": False, "workers": args.workers,
                   "cache": False}  # fmt: skip
        print(f"plain gateway {gateway.url}: {n} results ({checkable} checkable, {below} below "
              "a directory path)")  # fmt: skip

        gateway.trustless = False
        t = time.perf_counter()
        honest = ow.fetch_results(rows, **options)
        honest_s = time.perf_counter() - t
        verified = int((honest["result_verified"] == True).sum())  # noqa: E712
        unverified = int(honest["result_verified"].isna().sum())
        print(f"(h) honest, plain      : {honest_s:7.2f} s   verified {verified}/{n} "
              f"({verified / n:.1%}), unverified {unverified} (directory paths)")  # fmt: skip

        gateway.tamper = True
        t = time.perf_counter()
        logging.getLogger("ogpu_widgets.results").setLevel(logging.ERROR)  # the warning, once
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tampered = ow.fetch_results(rows, **options)
        tampered_s = time.perf_counter() - t
        caught = int((tampered["result_verified"] == False).sum())  # noqa: E712
        dropped = bool(tampered.loc[tampered["result_verified"] == False, "result"].isna().all())  # noqa: E712
        print(f"(t) tampering, plain   : {tampered_s:7.2f} s   caught {caught}/{checkable} "
              f"({caught / max(checkable, 1):.1%}), content dropped: {dropped}")  # fmt: skip

        gateway.tamper, gateway.trustless = False, True
        t = time.perf_counter()
        car = ow.fetch_results(rows, **options)
        car_s = time.perf_counter() - t
        print(f"(a) honest, trustless  : {car_s:7.2f} s   verified "
              f"{int((car['result_verified'] == True).sum())}/{n}")  # noqa: E712  # fmt: skip
    finally:
        gateway.stop()

    ok = (
        verified == checkable
        and unverified == below
        and honest["result"].tolist() == want
        and caught == checkable
        and dropped
    )
    print(f"shares on target and results equal: {ok}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
