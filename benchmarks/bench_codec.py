"""Benchmark: the codec's EIP-55 checksum against eth_utils', on the address counts a bulk
read meets (why ``ogpu_widgets.chain.codec`` keeps its own, table-driven checksum).

    .venv/bin/python benchmarks/bench_codec.py            # 100,000 addresses

Prints per-address times of ``eth_utils.to_checksum_address``, ``codec.checksum`` (one at a
time, as the readers decode words), ``codec.checksummed`` (a whole DataFrame index at once,
verified) and the ratios. The results are compared for equality first.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eth_utils import to_checksum_address  # noqa: E402

from ogpu_widgets.chain import codec  # noqa: E402


def timed(fn) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()
    raw = [os.urandom(20) for _ in range(args.n)]
    theirs = [to_checksum_address(r) for r in raw]
    codec.checksum.cache_clear()
    ours = [codec.checksum(r) for r in raw]
    assert ours == theirs, "the codec disagrees with eth_utils"
    codec._KNOWN.clear()
    assert codec.checksummed([a.lower() for a in theirs]) == theirs

    t_eth = timed(lambda: [to_checksum_address(r) for r in raw])
    codec.checksum.cache_clear()
    t_one = timed(lambda: [codec.checksum(r) for r in raw])
    codec._KNOWN.clear()
    t_all = timed(lambda: codec.checksummed(theirs))
    t_known = timed(lambda: codec.checksummed(theirs))
    per = 1e6 / args.n
    print(f"{args.n:,} addresses, microseconds per address")
    print(f"  eth_utils.to_checksum_address     {t_eth * per:7.2f}")
    print(f"  codec.checksum (one at a time)    {t_one * per:7.2f}   {t_eth / t_one:5.1f}x faster")
    print(f"  codec.checksummed (verify index)  {t_all * per:7.2f}   {t_eth / t_all:5.1f}x faster")
    print(
        f"  ... spellings this process made   {t_known * per:7.2f}   {t_eth / t_known:5.1f}x faster"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
