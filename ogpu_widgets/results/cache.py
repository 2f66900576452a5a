"""The content-addressed on-disk cache of verified results.

IPFS content never changes, so a result verified once need not be fetched again. The cache
keeps, per CID (and path inside it), the blocks the result was verified from, as a CAR file
(``<cid bytes in hex>[-<path hash>].car``), written atomically (a temporary file, then a
rename). The files are untrusted input when read: only a regular file is opened (never through
a symbolic link, never a FIFO, a device or a directory; checked before and after opening, and
opened without blocking), no more than the call's cap is read, and the blocks are verified
again against the CID before anything is returned. A changed, damaged or foreign entry is a
miss and is removed, never a wrong result, whatever its decoding raises. A valid entry larger
than one call's ``max_bytes`` is a miss for that call only: it stays for the others. What a
process verified it also keeps in memory (bounded), so a repeated fetch skips the disk.

The directory is ``$OGPU_WIDGETS_CACHE``, else ``$XDG_CACHE_HOME/ogpu-widgets/ipfs``, else
``~/.cache/ogpu-widgets/ipfs``. Only verified results are stored; unverified ones are fetched
every time.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import stat
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgumentError, ResultTooLargeError

if TYPE_CHECKING:
    from .cid import Cid

__all__ = ["CACHE_ENV", "ResultCache", "default_cache_dir", "forget_memory", "open_cache"]

#: Environment variable naming the cache directory.
CACHE_ENV = "OGPU_WIDGETS_CACHE"

log = logging.getLogger("ogpu_widgets.results")

#: ``assemble(cid, path, get_block) -> bytes``: the verifying reassembly of :mod:`.fetch`.
Assemble = Callable[["Cid", str, Callable[["Cid"], bytes]], bytes]


def default_cache_dir() -> Path:
    """``$OGPU_WIDGETS_CACHE``, else the user's cache directory's ``ogpu-widgets/ipfs``."""
    env = os.environ.get(CACHE_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "ogpu-widgets" / "ipfs"


def open_cache(cache: Any) -> ResultCache | None:
    """The cache a ``cache=`` argument names: True (the default directory), False/None (no
    cache), or a directory (str or path)."""
    if cache is None or cache is False:
        return None
    if cache is True:
        return ResultCache(default_cache_dir())
    if isinstance(cache, ResultCache):
        return cache
    if isinstance(cache, str | os.PathLike):
        return ResultCache(Path(cache).expanduser())
    raise InvalidArgumentError(
        f"cache={type(cache).__name__}: pass True, False or a directory", argument="cache"
    )


class ResultCache:
    """One cache directory (created on the first write)."""

    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = Path(directory)

    def __repr__(self) -> str:
        return f"ResultCache({str(self.directory)!r})"

    def path_of(self, cid: Cid, path: str = "") -> Path:
        name = cid.bytes.hex()
        if path and path != "/":
            name += "-" + hashlib.sha256(path.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return self.directory / f"{name}.car"

    def get(
        self, cid: Cid, path: str, assemble: Assemble, max_bytes: int = 10_000_000
    ) -> bytes | None:
        """The verified content of ``cid`` (at ``path``), or None on a miss. A bad entry (not
        a regular file, damaged, not verifying) is removed; one whose content is larger than
        ``max_bytes`` (``assemble`` raises :class:`ResultTooLargeError`, or the file is larger
        than a CAR of ``max_bytes`` can be) is a miss and stays. Content verified in this
        process is kept in memory too (up to :data:`MEMORY_BYTES`): IPFS content never
        changes."""
        key = (str(self.directory), cid.bytes, path)
        with _memory_lock:
            hit = _memory.get(key)
            if hit is not None:
                _memory.move_to_end(key)
        if hit is not None:
            return hit if len(hit) <= max_bytes else None
        content = self._read(cid, path, assemble, max_bytes)
        if content is not None:
            _remember(key, content)
        return content

    def _read(self, cid: Cid, path: str, assemble: Assemble, max_bytes: int) -> bytes | None:
        from .car import car_cap, read_car

        file = self.path_of(cid, path)
        try:
            data = _read_regular(file, car_cap(max_bytes))
        except _TooLarge:
            return None  # maybe good for a call with a larger max_bytes: kept
        except _NotRegular as exc:
            log.warning("the cache entry %s is %s, not a file; removing it", file, exc)
            _remove(file, exc.st)
            return None
        except OSError:
            return None
        if data is None:
            return None
        try:
            _, blocks = read_car(data[0])  # the roots are ignored: the CID is the one asked

            def get_block(c: Cid) -> bytes:
                try:
                    return blocks[c]
                except KeyError:
                    raise ValueError(f"block {c} is missing") from None

            return assemble(cid, path, get_block)
        except ResultTooLargeError:
            return None  # a valid entry too large for this call only: kept for others
        except Exception as exc:  # whatever decoding raised: the file is not a good entry
            log.warning("the cached file %s does not verify (%s); removing it", file, exc)
            _remove(file, data[1])
            return None

    def put(self, cid: Cid, path: str, blocks: dict[Cid, bytes]) -> None:
        """Store the blocks that verified ``cid`` (at ``path``); a failure to write is logged,
        never raised (the result is good either way)."""
        from .car import write_car

        file = self.path_of(cid, path)
        tmp = None
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            data = write_car([cid], list(blocks.items()))
            fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=".tmp-", suffix=".car")
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, file)
            tmp = None
            _memory_clear((str(self.directory), cid.bytes, path))
        except (OSError, ValueError) as exc:
            log.warning("cannot write the result cache file %s: %s", file, exc)
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

    def clear(self) -> int:
        """Remove every cached result; returns how many files were removed."""
        forget_memory()
        n = 0
        for file in self.directory.glob("*.car"):
            with contextlib.suppress(OSError):
                file.unlink()
                n += 1
        return n


# ---- the in-process memory of verified content ------------------------------------------------

#: Bytes of verified content kept in memory across calls (least recently used dropped first).
MEMORY_BYTES = 64 * 1024 * 1024
_memory: OrderedDict[tuple[str, bytes, str], bytes] = OrderedDict()
_memory_size = [0]
_memory_lock = threading.Lock()


def _remember(key: tuple[str, bytes, str], content: bytes) -> None:
    if len(content) > MEMORY_BYTES // 8:
        return
    with _memory_lock:
        if key in _memory:
            return
        _memory[key] = content
        _memory_size[0] += len(content)
        while _memory_size[0] > MEMORY_BYTES:
            _, dropped = _memory.popitem(last=False)
            _memory_size[0] -= len(dropped)


def _memory_clear(key: tuple[str, bytes, str]) -> None:
    with _memory_lock:
        dropped = _memory.pop(key, None)
        if dropped is not None:
            _memory_size[0] -= len(dropped)


def forget_memory() -> None:
    """Empty the in-process memory (the files stay)."""
    with _memory_lock:
        _memory.clear()
        _memory_size[0] = 0


# ---- reading an entry as untrusted input -------------------------------------------------------

_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


class _NotRegular(Exception):
    """The entry is not a regular file (``st``: what ``lstat`` saw)."""

    def __init__(self, what: str, st: os.stat_result) -> None:
        super().__init__(what)
        self.st = st


class _TooLarge(Exception):
    """The entry is larger than the call's cap."""


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a directory"),
                       (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):  # fmt: skip
        if test(mode):
            return name
    return "not a regular file"


def _read_regular(file: Path, cap: int) -> tuple[bytes, os.stat_result] | None:
    """The bytes of ``file`` and its ``lstat``, or None when there is none. Only a regular
    file is opened and read (``_NotRegular`` otherwise), and only when it holds at most
    ``cap`` bytes (``_TooLarge``; at most ``cap + 1`` bytes are ever read)."""
    try:
        st = os.lstat(file)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(st.st_mode):
        raise _NotRegular(_kind(st.st_mode), st)
    if st.st_size > cap:
        raise _TooLarge
    fd = os.open(file, _OPEN_FLAGS)
    try:
        now = os.fstat(fd)
        if not stat.S_ISREG(now.st_mode) or (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
            raise OSError("the cache entry changed while it was opened")  # a miss, kept
        chunks, got = [], 0
        while got <= cap:
            chunk = os.read(fd, min(cap + 1 - got, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
    finally:
        os.close(fd)
    if got > cap:
        raise _TooLarge
    return b"".join(chunks), st


def _remove(file: Path, seen: os.stat_result) -> None:
    """Remove the bad entry ``file`` if it is still the one seen (not a good one written by
    another process since); a directory with what it holds, a link itself, not its target."""
    try:
        st = os.lstat(file)
        if (st.st_dev, st.st_ino) != (seen.st_dev, seen.st_ino):
            return
        if stat.S_ISDIR(st.st_mode):
            shutil.rmtree(file)
        else:
            os.unlink(file)
    except OSError as exc:
        log.warning("cannot remove the bad cache entry %s: %s", file, exc)
