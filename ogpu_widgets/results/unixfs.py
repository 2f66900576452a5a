"""UnixFS files: reading one back from its blocks (each checked against its CID) and making the
blocks of one exactly as ``ipfs add`` does (kubo's defaults: 256 KiB chunks, a balanced DAG of
at most 174 links per node; CIDv0 with UnixFS leaves, or CIDv1 with raw leaves).

The dag-pb and UnixFS protobuf (de)coding is written here and in :mod:`.dagpb`: no sound, maintained Python library
of it exists (``ipld-dag-pb`` 0.0.1 copies data a byte at a time). It follows the DAG-PB spec
(links before data; strict decoding) and is checked block for block against the reference
importer (``ipfs-unixfs-importer``, Helia's) by ``tests/unit/test_results_ipfs_reference.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import ResultError, ResultTooLargeError, ResultVerificationError
from .cid import Cid, block_matches, cid_of, put_uvarint
from .dagpb import Link, decode_dag_pb, encode_dag_pb, fields, links_of, read_varint

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_MAX_LINKS",
    "Link",
    "UnixFs",
    "add_file",
    "decode_dag_pb",
    "decode_unixfs",
    "encode_dag_pb",
    "encode_unixfs",
    "file_from_blocks",
    "links_of",
]

DEFAULT_CHUNK_SIZE = 262_144
DEFAULT_MAX_LINKS = 174
#: UnixFS ``Data.Type`` values.
RAW, DIRECTORY, FILE, METADATA, SYMLINK, HAMT_SHARD = range(6)
_TYPE_NAMES = {RAW: "raw", DIRECTORY: "directory", FILE: "file", METADATA: "metadata",
               SYMLINK: "symlink", HAMT_SHARD: "sharded directory"}  # fmt: skip
_MAX_DEPTH = 32


# ---- UnixFS ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnixFs:
    """The UnixFS ``Data`` message of a dag-pb node (the fields a file and a directory use)."""

    type: int
    data: bytes | None = None
    filesize: int | None = None
    blocksizes: tuple[int, ...] = field(default_factory=tuple)

    @property
    def type_name(self) -> str:
        return _TYPE_NAMES.get(self.type, f"type {self.type}")


def encode_unixfs(u: UnixFs) -> bytes:
    out = bytearray(b"\x08" + put_uvarint(u.type))
    if u.data is not None:
        out += b"\x12" + put_uvarint(len(u.data)) + u.data
    if u.filesize is not None:
        out += b"\x18" + put_uvarint(u.filesize)
    for size in u.blocksizes:
        out += b"\x20" + put_uvarint(size)
    return bytes(out)


def decode_unixfs(buf: bytes) -> UnixFs:
    """The UnixFS message (unknown and metadata fields skipped); :class:`ValueError` if it is
    not one."""
    kind: int | None = None
    data: bytes | None = None
    filesize: int | None = None
    blocksizes: list[int] = []
    for number, wire, value in fields(buf):
        if number == 1 and wire == 0:
            kind = value  # type: ignore[assignment]
        elif number == 2 and wire == 2:
            data = value  # type: ignore[assignment]
        elif number == 3 and wire == 0:
            filesize = value  # type: ignore[assignment]
        elif number == 4 and wire == 0:
            blocksizes.append(value)  # type: ignore[arg-type]
        elif number == 4 and wire == 2:  # packed
            packed, pos = value, 0
            assert isinstance(packed, bytes)
            while pos < len(packed):
                size, pos = read_varint(packed, pos)
                blocksizes.append(size)
        elif number in (1, 2, 3):
            raise ValueError(f"unixfs: field {number} has wire type {wire}")
    if kind is None:
        raise ValueError("unixfs: no Type")
    return UnixFs(kind, data, filesize, tuple(blocksizes))


# ---- making a file ---------------------------------------------------------------------------


def add_file(
    data: bytes,
    *,
    cid_version: int = 0,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    max_links: int = DEFAULT_MAX_LINKS,
    raw_leaves: bool | None = None,
) -> tuple[Cid, dict[Cid, bytes]]:
    """The root CID and the blocks of ``data`` as ``ipfs add`` makes them (kubo's defaults).

    ``cid_version=0``: dag-pb leaves holding UnixFS File nodes, CIDv0 ``Qm…``.
    ``cid_version=1`` (``ipfs add --cid-version=1``): raw leaves, dag-pb inner nodes, CIDv1;
    a file of one chunk is its raw leaf itself (``bafkrei…``). Either way fixed-size chunks
    and a balanced DAG of at most ``max_links`` links per node. ``raw_leaves``: raw leaves or
    UnixFS ones (default: raw for CIDv1, as ``--raw-leaves`` defaults; CIDv0 has none)."""
    if cid_version not in (0, 1):
        raise ValueError(f"cid_version {cid_version!r}: use 0 or 1")
    raw = cid_version == 1 if raw_leaves is None else bool(raw_leaves)
    if raw and cid_version == 0:
        raise ValueError("raw leaves need CIDv1")
    if chunk_size < 1 or max_links < 2:
        raise ValueError("chunk_size must be positive and max_links at least 2")
    data = bytes(data)
    blocks: dict[Cid, bytes] = {}
    # each entry: (cid, tsize, filesize)
    level: list[tuple[Cid, int, int]] = []
    for start in range(0, max(len(data), 1), chunk_size):
        chunk = data[start : start + chunk_size]
        if raw:
            block = chunk
            cid = cid_of(block, codec="raw", version=1)
        else:
            unixfs = UnixFs(FILE, chunk or None, len(chunk))
            block = encode_dag_pb([], encode_unixfs(unixfs))
            cid = cid_of(block, codec="dag-pb", version=cid_version)
        blocks[cid] = block
        level.append((cid, len(block), len(chunk)))
    while len(level) > 1:
        parents: list[tuple[Cid, int, int]] = []
        for start in range(0, len(level), max_links):
            group = level[start : start + max_links]
            filesize = sum(g[2] for g in group)
            unixfs = UnixFs(FILE, None, filesize, tuple(g[2] for g in group))
            block = encode_dag_pb([Link(c, "", t) for c, t, _ in group], encode_unixfs(unixfs))
            cid = cid_of(block, codec="dag-pb", version=cid_version)
            blocks[cid] = block
            parents.append((cid, len(block) + sum(g[1] for g in group), filesize))
        level = parents
    return level[0][0], blocks


# ---- reading a file --------------------------------------------------------------------------


class _Reader:
    """One walk of a DAG: every block fetched, checked against its CID and decoded once. The
    walk is bounded whatever the DAG: at most :data:`_MAX_DEPTH` levels (an explicit stack,
    no recursion: ``sys.getrecursionlimit()`` plays no part) and ``max_visits`` nodes (a DAG
    may link one block many times), so its work is linear in the blocks' bytes plus the
    visits."""

    def __init__(self, get_block: Callable[[Cid], bytes], max_bytes: int) -> None:
        self.get_block = get_block
        self.max_bytes = max_bytes
        self.fetched: dict[Cid, tuple[list[Link], UnixFs | None, bytes]] = {}
        self.visits = 0
        self.max_visits = 1_000 + max(0, max_bytes) // 64
        self.out = bytearray()

    def node(self, cid: Cid) -> tuple[list[Link], UnixFs | None, bytes]:
        """A block's links and UnixFS message (``None`` for a raw block), and the block."""
        self.visits += 1
        if self.visits > self.max_visits:
            raise ResultError(
                f"malformed UnixFS file {cid}: more than {self.max_visits} nodes", cid=str(cid)
            )
        got = self.fetched.get(cid)
        if got is not None:
            return got
        block = bytes(self.get_block(cid))
        if not block_matches(cid, block):
            raise ResultVerificationError(
                f"block {cid} does not match its CID: the gateway served other bytes",
                cid=str(cid),
            )
        if cid.codec == "raw":
            got = [], None, block
        else:
            try:
                links, data = decode_dag_pb(block)
                got = links, decode_unixfs(data or b""), block
            except ValueError as exc:
                raise ResultError(
                    f"block {cid} is not a UnixFS node: {exc}", cid=str(cid)
                ) from None
        self.fetched[cid] = got
        return got

    def append(self, chunk: bytes, root: Cid) -> None:
        if len(self.out) + len(chunk) > self.max_bytes:
            raise ResultTooLargeError(
                f"the content of {root} is larger than max_bytes={self.max_bytes}",
                cid=str(root), size=len(self.out) + len(chunk), max_bytes=self.max_bytes,
            )  # fmt: skip
        self.out += chunk

    def _enter(self, cid: Cid, root: Cid, depth: int) -> _Part | int:
        """Start the part ``cid``: a raw leaf is appended whole (its size returned); a UnixFS
        node appends its own data and is returned to walk its links."""
        if depth > _MAX_DEPTH:
            raise ResultError(f"malformed UnixFS file {root}: deeper than {_MAX_DEPTH}")
        links, unixfs, block = self.node(cid)
        if unixfs is None:
            self.append(block, root)
            return len(block)
        if unixfs.type not in (FILE, RAW):
            raise ResultError(f"{cid} is a {unixfs.type_name}, not a file", cid=str(cid))
        if depth == 0 and (unixfs.filesize or 0) > self.max_bytes:
            raise ResultTooLargeError(
                f"the content of {root} is {unixfs.filesize} bytes, more than "
                f"max_bytes={self.max_bytes}",
                cid=str(root), size=unixfs.filesize, max_bytes=self.max_bytes,
            )  # fmt: skip
        self.append(unixfs.data or b"", root)
        return _Part(links, unixfs, len(unixfs.data or b""))

    def file(self, cid: Cid, root: Cid) -> int:
        """Append the file ``cid`` to the output, depth first; the number of bytes it held."""
        first = self._enter(cid, root, 0)
        if isinstance(first, int):
            return first
        stack = [first]
        while True:
            part = stack[-1]
            if part.next < len(part.links):
                got = self._enter(part.links[part.next].cid, root, len(stack))
                part.next += 1
                if isinstance(got, _Part):
                    stack.append(got)
                    continue
            else:
                stack.pop()
                got = part.done(root)
                if not stack:
                    return got
                part = stack[-1]
            part.child_held(got, root)

    def resolve(self, root: Cid, path: str) -> Cid:
        """The CID ``path`` names under ``root`` (through plain UnixFS directories)."""
        cid = root
        for name in (p for p in path.split("/") if p):
            links, unixfs, _ = self.node(cid)
            kind = "raw block" if unixfs is None else unixfs.type_name
            if unixfs is None or unixfs.type != DIRECTORY:
                if unixfs is not None and unixfs.type == HAMT_SHARD:
                    raise ResultError(
                        f"{cid} is a sharded directory: looking up {name!r} is not supported",
                        cid=str(root),
                    )
                raise ResultError(f"{cid} is a {kind}, not a directory: no {name!r} in it",
                                  cid=str(root))  # fmt: skip
            for link in links:
                if link.name == name:
                    cid = link.cid
                    break
            else:
                raise ResultError(f"no {name!r} in directory {cid}", cid=str(root))
        return cid


@dataclass
class _Part:
    """A UnixFS node of a file being walked: its links, the next to read, the bytes held so
    far; the sizes its links must hold (its ``blocksizes``) are checked as each one ends."""

    links: list[Link]
    unixfs: UnixFs
    held: int
    next: int = 0

    def child_held(self, got: int, root: Cid) -> None:
        sizes = self.unixfs.blocksizes
        i = self.next - 1
        if len(sizes) == len(self.links) and got != sizes[i]:
            raise ResultError(
                f"malformed UnixFS file {root}: a part holds {got} bytes, its parent "
                f"says {sizes[i]}", cid=str(root),
            )  # fmt: skip
        self.held += got

    def done(self, root: Cid) -> int:
        if self.unixfs.filesize is not None and self.held != self.unixfs.filesize:
            raise ResultError(
                f"malformed UnixFS file {root}: {self.held} bytes where it says "
                f"{self.unixfs.filesize}", cid=str(root),
            )  # fmt: skip
        return self.held


def file_from_blocks(
    root: Cid, get_block: Callable[[Cid], bytes], *, max_bytes: int, path: str = ""
) -> bytes:
    """The content of the UnixFS file ``root`` (or of ``path`` under the directory ``root``),
    fetching each block with ``get_block`` and checking it against its CID.

    A block that does not hash to its CID raises :class:`ResultVerificationError`; content
    beyond ``max_bytes`` :class:`ResultTooLargeError` (a file's declared size is checked before
    its parts are fetched); a directory, a symlink or a malformed DAG :class:`ResultError`.
    Whatever ``get_block`` raises goes through."""
    reader = _Reader(get_block, max_bytes)
    target = reader.resolve(root, path) if path.strip("/") else root
    reader.file(target, root)
    return bytes(reader.out)
