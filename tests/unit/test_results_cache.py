"""The on-disk cache of verified results: CAR files per CID, verified again on every read, so a
changed file on disk is a miss, never a wrong result."""

from __future__ import annotations

from pathlib import Path

import pytest

from ogpu_widgets.errors import InvalidArgumentError
from ogpu_widgets.results.cache import ResultCache, default_cache_dir, forget_memory, open_cache
from ogpu_widgets.results.fetch import assemble
from ogpu_widgets.results.unixfs import add_file


def check(cid, path, get_block):
    return assemble(cid, path, get_block, 10_000_000)


@pytest.mark.parametrize("version", [0, 1])
@pytest.mark.parametrize("size", [12, 300_000, 1_000_000])
def test_round_trip_single_and_multi_block(tmp_path, version, size):
    data = bytes(i % 251 for i in range(size))
    root, blocks = add_file(data, cid_version=version)
    cache = ResultCache(tmp_path / "c")
    assert cache.get(root, "", check) is None
    cache.put(root, "", blocks)
    assert cache.get(root, "", check) == data
    forget_memory()
    assert cache.get(root, "", check) == data  # from the file
    files = list((tmp_path / "c").iterdir())
    assert [f.suffix for f in files] == [".car"]  # no temporary file left behind


def test_a_changed_file_on_disk_is_a_miss_and_is_removed(tmp_path):
    data = b'{"result": "positive", "confidence": 0.97}'
    root, blocks = add_file(data)
    cache = ResultCache(tmp_path)
    cache.put(root, "", blocks)
    assert cache.get(root, "", check) == data
    file = cache.path_of(root)
    raw = file.read_bytes()
    file.write_bytes(raw.replace(b"positive", b"negative"))
    assert cache.get(root, "", check) == data  # what this process verified, from memory
    forget_memory()
    assert cache.get(root, "", check) is None
    assert not file.exists()
    file.write_bytes(b"not a car")
    forget_memory()
    assert cache.get(root, "", check) is None and not file.exists()
    # blocks of another file stored under this CID: a miss too
    other_root, other_blocks = add_file(b"other")
    cache.put(root, "", other_blocks)
    forget_memory()
    assert cache.get(root, "", check) is None


def test_paths_are_cached_apart(tmp_path):
    cache = ResultCache(tmp_path)
    root, blocks = add_file(b"x")
    assert cache.path_of(root) != cache.path_of(root, "/a.json")
    assert cache.path_of(root, "/a") != cache.path_of(root, "/b")
    assert cache.path_of(root, "/") == cache.path_of(root)


def test_cache_directory_precedence(tmp_path, monkeypatch):
    monkeypatch.delenv("OGPU_WIDGETS_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "ogpu-widgets" / "ipfs"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == Path.home() / ".cache" / "ogpu-widgets" / "ipfs"
    monkeypatch.setenv("OGPU_WIDGETS_CACHE", str(tmp_path / "mine"))
    assert default_cache_dir() == tmp_path / "mine"
    assert open_cache(True).directory == tmp_path / "mine"
    assert open_cache(False) is None and open_cache(None) is None
    assert open_cache(tmp_path / "d").directory == tmp_path / "d"
    with pytest.raises(InvalidArgumentError, match="cache"):
        open_cache(3)


def test_an_unwritable_cache_is_logged_not_raised(tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cache = ResultCache(blocker / "sub")
    root, blocks = add_file(b"x")
    cache.put(root, "", blocks)  # no exception
    assert "cannot write" in caplog.text
    assert cache.get(root, "", check) is None
