"""UnixFS files: reading one back from its blocks (each checked against its CID) and making the
blocks of one exactly as ``ipfs add`` does (kubo's defaults: 256 KiB chunks, a balanced DAG of
at most 174 links per node; CIDv0 with UnixFS leaves, or CIDv1 with raw leaves).

The dag-pb and UnixFS protobuf (de)coding is written here: no sound, maintained Python library
of it exists (``ipld-dag-pb`` 0.0.1 copies data a byte at a time). It follows the DAG-PB spec
(links before data; strict decoding) and is checked block for block against the reference
importer (``ipfs-unixfs-importer``, Helia's) by ``tests/unit/test_results_ipfs_reference.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from ..errors import ResultError, ResultTooLargeError, ResultVerificationError
from .cid import Cid, block_matches, cid_from_bytes, cid_of, put_uvarint, read_uvarint

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


# ---- protobuf wire format --------------------------------------------------------------------


def _read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    return read_uvarint(buf, pos, "protobuf", 10)  # 64 bits


def _fields(buf: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """(field number, wire type, value) of each field; length-delimited values as bytes."""
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = _read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ValueError("protobuf: field number 0")
        if wire == 0:
            value, pos = _read_varint(buf, pos)
        elif wire == 2:
            size, pos = _read_varint(buf, pos)
            if pos + size > end:
                raise ValueError("protobuf: length-delimited field runs past the end")
            value, pos = bytes(buf[pos : pos + size]), pos + size
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            if pos + size > end:
                raise ValueError("protobuf: fixed-size field runs past the end")
            value, pos = int.from_bytes(buf[pos : pos + size], "little"), pos + size
        else:
            raise ValueError(f"protobuf: wire type {wire} is not supported")
        yield number, wire, value


# ---- dag-pb ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """A dag-pb link: the child's CID, its name (``""`` in files' links) and its ``Tsize``
    (the bytes of the child's whole DAG)."""

    cid: Cid
    name: str | None = ""
    tsize: int | None = None


def encode_dag_pb(links: Sequence[Link], data: bytes | None) -> bytes:
    """A dag-pb block: links first, then data (the canonical order of the DAG-PB spec)."""
    out = bytearray()
    for link in links:
        h = link.cid.bytes
        body = b"\x0a" + put_uvarint(len(h)) + h
        if link.name is not None:
            name = link.name.encode("utf-8")
            body += b"\x12" + put_uvarint(len(name)) + name
        if link.tsize is not None:
            body += b"\x18" + put_uvarint(link.tsize)
        out += b"\x12" + put_uvarint(len(body)) + body
    if data is not None:
        out += b"\x0a" + put_uvarint(len(data)) + data
    return bytes(out)


def decode_dag_pb(block: bytes) -> tuple[list[Link], bytes | None]:
    """The links and data of a dag-pb block, decoded as strictly as the DAG-PB spec asks;
    :class:`ValueError` for anything else."""
    links: list[Link] = []
    data: bytes | None = None
    for number, wire, value in _fields(block):
        if wire != 2 or number not in (1, 2):
            raise ValueError(f"dag-pb: unexpected field {number} (wire type {wire}) in PBNode")
        assert isinstance(value, bytes)
        if number == 1:
            if data is not None:
                raise ValueError("dag-pb: duplicate Data")
            data = value
        else:
            if data is not None:
                raise ValueError("dag-pb: Links after Data")
            links.append(_decode_link(value))
    return links, data


def _decode_link(buf: bytes) -> Link:
    got: dict[int, int | bytes] = {}
    for number, wire, value in _fields(buf):
        if number not in (1, 2, 3) or wire != (0 if number == 3 else 2):
            raise ValueError(f"dag-pb: unexpected field {number} (wire type {wire}) in PBLink")
        if number in got:
            raise ValueError("dag-pb: duplicate field in PBLink")
        if any(n > number for n in got):
            raise ValueError("dag-pb: PBLink fields out of order")
        got[number] = value
    if 1 not in got:
        raise ValueError("dag-pb: a link without Hash")
    name = got.get(2)
    try:
        text = name.decode("utf-8") if isinstance(name, bytes) else None
    except UnicodeDecodeError:
        raise ValueError("dag-pb: a link Name that is not UTF-8") from None
    tsize = got.get(3)
    assert isinstance(got[1], bytes) and (tsize is None or isinstance(tsize, int))
    return Link(cid_from_bytes(got[1]), text, tsize)


def links_of(cid: Cid, block: bytes) -> list[Cid]:
    """The CIDs a block links to (none for a raw block)."""
    if cid.codec == "raw":
        return []
    return [link.cid for link in decode_dag_pb(block)[0]]


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
    for number, wire, value in _fields(buf):
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
                size, pos = _read_varint(packed, pos)
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
    """One walk of a DAG: every block fetched once, checked against its CID."""

    def __init__(self, get_block: Callable[[Cid], bytes], max_bytes: int) -> None:
        self.get_block = get_block
        self.max_bytes = max_bytes
        self.fetched: dict[Cid, bytes] = {}
        self.visits = 0
        # a DAG may link one block many times: bound the walk, not only the output
        self.max_visits = 1_000 + max(0, max_bytes) // 64
        self.out = bytearray()

    def block(self, cid: Cid) -> bytes:
        self.visits += 1
        if self.visits > self.max_visits:
            raise ResultError(
                f"malformed UnixFS file {cid}: more than {self.max_visits} nodes", cid=str(cid)
            )
        block = self.fetched.get(cid)
        if block is None:
            block = bytes(self.get_block(cid))
            if not block_matches(cid, block):
                raise ResultVerificationError(
                    f"block {cid} does not match its CID: the gateway served other bytes",
                    cid=str(cid),
                )
            self.fetched[cid] = block
        return block

    def node(self, cid: Cid) -> tuple[list[Link], UnixFs | None, bytes]:
        """A block's links and UnixFS message (``None`` for a raw block)."""
        block = self.block(cid)
        if cid.codec == "raw":
            return [], None, block
        try:
            links, data = decode_dag_pb(block)
            unixfs = decode_unixfs(data or b"")
        except ValueError as exc:
            raise ResultError(f"block {cid} is not a UnixFS node: {exc}", cid=str(cid)) from None
        return links, unixfs, block

    def append(self, chunk: bytes, root: Cid) -> None:
        if len(self.out) + len(chunk) > self.max_bytes:
            raise ResultTooLargeError(
                f"the content of {root} is larger than max_bytes={self.max_bytes}",
                cid=str(root), size=len(self.out) + len(chunk), max_bytes=self.max_bytes,
            )  # fmt: skip
        self.out += chunk

    def file(self, cid: Cid, root: Cid, depth: int = 0) -> int:
        """Append the file ``cid`` to the output; the number of bytes it held."""
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
        sizes = unixfs.blocksizes if len(unixfs.blocksizes) == len(links) else None
        held = len(unixfs.data or b"")
        self.append(unixfs.data or b"", root)
        for i, link in enumerate(links):
            got = self.file(link.cid, root, depth + 1)
            if sizes is not None and got != sizes[i]:
                raise ResultError(
                    f"malformed UnixFS file {root}: a part holds {got} bytes, its parent "
                    f"says {sizes[i]}", cid=str(root),
                )  # fmt: skip
            held += got
        if unixfs.filesize is not None and held != unixfs.filesize:
            raise ResultError(
                f"malformed UnixFS file {root}: {held} bytes where it says {unixfs.filesize}",
                cid=str(root),
            )
        return held

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
