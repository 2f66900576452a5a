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


# ---- entries read as untrusted input -----------------------------------------------------------


def _in_thread(fn, timeout=10.0):
    """``fn()`` on a daemon thread; its result, or a failure when it does not return in time
    (a read that blocks must fail the test, not hang it)."""
    import threading

    out: list = []
    t = threading.Thread(target=lambda: out.append(fn()), daemon=True)
    t.start()
    t.join(timeout)
    assert not t.is_alive(), "the cache read blocked"
    return out[0]


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="FIFOs are POSIX")
@pytest.mark.parametrize("kind", ["fifo", "directory", "symlink to a fifo", "dangling symlink"])
def test_an_entry_that_is_not_a_regular_file_is_removed_without_blocking(tmp_path, kind):
    import os

    data = b'{"ok": 1}'
    root, blocks = add_file(data)
    cache = ResultCache(tmp_path / "c")
    file = cache.path_of(root)
    file.parent.mkdir(parents=True)
    if kind == "fifo":
        os.mkfifo(file)
    elif kind == "directory":
        file.mkdir()
        (file / "inside").write_bytes(b"x")
    elif kind == "symlink to a fifo":
        os.mkfifo(tmp_path / "fifo")
        file.symlink_to(tmp_path / "fifo")
    else:
        file.symlink_to(tmp_path / "nowhere")
    assert _in_thread(lambda: cache.get(root, "", check)) is None
    assert not os.path.lexists(file)  # the bad entry is gone (a link itself, not its target)
    if kind == "symlink to a fifo":
        assert (tmp_path / "fifo").exists()
    cache.put(root, "", blocks)  # and the good one takes its place
    forget_memory()
    assert cache.get(root, "", check) == data


@pytest.mark.skipif(not __import__("os").path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_symlink_to_a_device_is_never_read(tmp_path):
    # in a child with a memory limit: reading /dev/zero whole must fail there, not here
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(f"""
        import os, resource
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
        from ogpu_widgets.results.cache import ResultCache
        from ogpu_widgets.results.fetch import assemble
        from ogpu_widgets.results.unixfs import add_file
        root, blocks = add_file(b"x")
        cache = ResultCache({str(tmp_path / "c")!r})
        file = cache.path_of(root)
        file.parent.mkdir(parents=True)
        file.symlink_to("/dev/zero")
        assert cache.get(root, "", lambda c, p, g: assemble(c, p, g, 1000), 1000) is None
        assert not os.path.lexists(file) and os.path.exists("/dev/zero")
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_a_huge_entry_is_never_read_whole(tmp_path):
    import tracemalloc

    root, _ = add_file(b"x")
    cache = ResultCache(tmp_path)
    file = cache.path_of(root)
    with open(file, "wb") as f:
        f.truncate(300 << 20)  # sparse: 300 MB that take no disk
    tracemalloc.start()
    try:
        assert cache.get(root, "", check, 1_000_000) is None
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 << 20, peak  # not the 300 MB
    assert file.exists()  # maybe good for a call with a larger max_bytes: kept


def test_a_smaller_max_bytes_never_deletes_a_valid_entry(tmp_path):
    data = bytes(range(256)) * 4_000  # 1 MB, four blocks
    root, blocks = add_file(data)
    cache = ResultCache(tmp_path)
    cache.put(root, "", blocks)

    def capped(n):
        return lambda c, p, g: assemble(c, p, g, n)

    assert cache.get(root, "", capped(1000), 1000) is None  # too large for this call only
    assert cache.path_of(root).exists()
    assert cache.get(root, "", capped(10**7), 10**7) == data  # from the file, for a larger cap
    assert cache.get(root, "", capped(1000), 1000) is None  # nor from memory above the cap
    forget_memory()
    assert cache.get(root, "", capped(len(data)), len(data)) == data


def test_any_decoder_failure_removes_the_entry(tmp_path, monkeypatch):
    from ogpu_widgets.results import car

    root, blocks = add_file(b"x")
    cache = ResultCache(tmp_path)
    cache.put(root, "", blocks)
    forget_memory()

    def boom(data):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(car, "read_car", boom)
    assert cache.get(root, "", check) is None
    assert not cache.path_of(root).exists()
