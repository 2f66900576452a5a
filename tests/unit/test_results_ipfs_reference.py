"""results.unixfs and results.car against the reference implementation: the CIDs and blocks
that ipfs-unixfs-importer (Helia's importer, with kubo's `ipfs add` defaults) makes, CARs
written by @ipld/car, and our CARs read back by @ipld/car (js/scripts/ipfs-cids.mjs).

Skipped when node or js/node_modules is missing, except under CI=true, where that fails."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from ogpu_widgets.results.car import read_car, write_car
from ogpu_widgets.results.cid import parse_cid
from ogpu_widgets.results.unixfs import add_file, file_from_blocks

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "js" / "scripts" / "ipfs-cids.mjs"
CHUNK = 262_144


def _node() -> str:
    node = shutil.which("node")
    ready = node and (ROOT / "js" / "node_modules" / "ipfs-unixfs-importer").is_dir()
    if not ready:
        reason = "node or js/node_modules (ipfs-unixfs-importer) is missing: make install"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return node  # type: ignore[return-value]


def _run(*args: str) -> list[dict]:
    proc = subprocess.run(
        [_node(), str(SCRIPT), *args], cwd=ROOT / "js", capture_output=True, text=True, timeout=240
    )
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def _bytes(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


SMALL = {
    "hello": b"hello world\n",
    "empty": b"",
    "one-byte": b"\x00",
    "one-chunk": _bytes(CHUNK, 1),
    "one-chunk-and-a-byte": _bytes(CHUNK + 1, 2),
    "three-mb": _bytes(3 * 1024 * 1024 + 17, 3),
    "json": json.dumps({"result": "positive", "confidence": 0.97}).encode(),
}


def test_small_and_multi_block_files_match_the_reference_block_for_block(tmp_path):
    paths = []
    for name, data in SMALL.items():
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    cars = tmp_path / "cars"
    cars.mkdir()
    lines = _run("--car-dir", str(cars), *paths)
    assert [line["file"] for line in lines] == paths
    for n, (name, data) in enumerate(SMALL.items()):
        line = lines[n]
        assert line["size"] == len(data)
        for version in (0, 1):
            root, blocks = add_file(data, cid_version=version)
            assert str(root) == line[f"v{version}"], (name, version)
            # the reference's blocks, read from its CAR, are ours exactly
            roots, theirs = read_car((cars / f"{n}.v{version}.car").read_bytes())
            assert roots == [root] and theirs == blocks, (name, version)
            assert file_from_blocks(root, theirs.__getitem__, max_bytes=len(data)) == data
    assert lines[0]["v0"] == "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"


def test_a_two_level_tree_matches_the_reference(tmp_path):
    """174 chunks fill one node; one byte more needs a second layer of inner nodes."""
    data = _bytes(174 * CHUNK + 1, 4)
    path = tmp_path / "two-levels.bin"
    path.write_bytes(data)
    (line,) = _run(str(path))
    for version in (0, 1):
        root, blocks = add_file(data, cid_version=version)
        assert str(root) == line[f"v{version}"], version
        assert len(blocks) == 175 + 2 + 1  # leaves, two inner nodes, the root
        assert file_from_blocks(root, blocks.__getitem__, max_bytes=len(data)) == data


def test_the_reference_reads_our_cars(tmp_path):
    files = []
    for name in ("hello", "empty", "three-mb"):
        for version in (0, 1):
            root, blocks = add_file(SMALL[name], cid_version=version)
            path = tmp_path / f"{name}.v{version}.car"
            path.write_bytes(write_car([root], blocks.items()))
            files.append((path, root, blocks))
    lines = _run("--read-car", *(str(p) for p, _, _ in files))
    for line, (_, root, blocks) in zip(lines, files, strict=True):
        assert line["roots"] == [str(root)]
        got = {parse_cid(c): digest for c, digest in line["blocks"]}
        assert got == {c: c.digest.hex() for c in blocks}
