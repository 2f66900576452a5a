"""The content-addressed on-disk cache of verified results.

IPFS content never changes, so a result verified once need not be fetched again. The cache
keeps, per CID (and path inside it), the blocks the result was verified from, as a CAR file
(``<cid bytes in hex>[-<path hash>].car``), written atomically (a temporary file, then a
rename). A read verifies the blocks again against the CID before anything is returned, so a
changed or damaged file on disk is a miss (and is removed), never a wrong result. What a
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
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgumentError, ResultError

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

    def get(self, cid: Cid, path: str, assemble: Assemble) -> bytes | None:
        """The verified content of ``cid`` (at ``path``), or None on a miss. A file that does
        not verify is removed. Content verified in this process is kept in memory too (up to
        :data:`MEMORY_BYTES`): IPFS content never changes."""
        key = (str(self.directory), cid.bytes, path)
        with _memory_lock:
            hit = _memory.get(key)
            if hit is not None:
                _memory.move_to_end(key)
                return hit
        content = self._read(cid, path, assemble)
        if content is not None:
            _remember(key, content)
        return content

    def _read(self, cid: Cid, path: str, assemble: Assemble) -> bytes | None:
        from .car import read_car

        file = self.path_of(cid, path)
        try:
            data = file.read_bytes()
        except OSError:
            return None
        try:
            roots, blocks = read_car(data)
            if cid not in roots:
                raise ValueError("the root is not the CID")

            def get_block(c: Cid) -> bytes:
                try:
                    return blocks[c]
                except KeyError:
                    raise ValueError(f"block {c} is missing") from None

            return assemble(cid, path, get_block)
        except (ValueError, ResultError) as exc:
            log.warning("the cached file %s does not verify (%s); removing it", file, exc)
            with contextlib.suppress(OSError):
                file.unlink()
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
