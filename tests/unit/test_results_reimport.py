"""results.reimport: plain content imported again with the CID's profile."""

from __future__ import annotations

import random

import pytest

from ogpu_widgets.results.cid import cid_of
from ogpu_widgets.results.reimport import Unverifiable, reimport
from ogpu_widgets.results.unixfs import add_file, file_from_blocks

DATA = random.Random(5).randbytes(600_000)


@pytest.mark.parametrize(
    "version,raw_leaves", [(0, False), (1, True), (1, False)], ids=["v0", "v1-raw", "v1-unixfs"]
)
@pytest.mark.parametrize("size", [0, 1, 262_144, 262_145, 600_000])
def test_every_profile_round_trips_and_its_blocks_read_back(version, raw_leaves, size):
    data = DATA[:size]
    root, _ = add_file(data, cid_version=version, raw_leaves=raw_leaves)
    blocks = reimport(root, "", data)
    assert blocks is not None and root in blocks
    assert file_from_blocks(root, blocks.__getitem__, max_bytes=size + 1) == data


@pytest.mark.parametrize("version", [0, 1])
def test_other_content_does_not_match(version):
    root, _ = add_file(DATA, cid_version=version)
    assert reimport(root, "", DATA[:-1] + b"\x00") is None
    assert reimport(root, "", b"<html>welcome</html>") is None
    raw = cid_of(b"one block")
    assert reimport(raw, "", b"one block") == {raw: b"one block"}
    assert reimport(raw, "", b"one blocK") is None


def test_a_cidv0_root_written_as_cidv1_matches_under_the_cid_asked_for():
    root, _ = add_file(DATA, cid_version=0)
    blocks = reimport(root.to_v1(), "", DATA)
    assert blocks is not None and root.to_v1() in blocks and root not in blocks


def test_a_path_below_the_cid_cannot_be_re_derived():
    root, _ = add_file(b"x")
    with pytest.raises(Unverifiable, match="directory"):
        reimport(root, "/a/b.json", b"{}")
    assert reimport(root, "/", b"x") is not None


def test_raw_leaves_need_cidv1():
    with pytest.raises(ValueError, match="CIDv1"):
        add_file(b"x", cid_version=0, raw_leaves=True)
