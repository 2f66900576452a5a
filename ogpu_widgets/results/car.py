"""CAR files (content-addressable archives), as trustless gateways send them
(``application/vnd.ipld.car``): a DAG-CBOR header ``{"roots": [CID…], "version": 1}`` and
length-prefixed ``CID + block`` sections. Reading checks the framing, not the blocks' hashes:
:func:`~ogpu_widgets.results.unixfs.file_from_blocks` checks each block it uses.

The header is decoded by ``libipld`` (DAG-CBOR) once :func:`check_cbor` has walked it (one
linear pass, no recursion: nested at most :data:`MAX_HEADER_DEPTH` deep, well-formed), or
directly when it is too short to nest more than a few hundred levels: the recursive decoder
never sees a deep header, whatever ``sys.getrecursionlimit()`` is. The
limits of the trustless gateway spec apply: no block over :data:`MAX_BLOCK` and no section over
:data:`MAX_SECTION`. The fixed header this module writes is encoded here (``libipld`` cannot
encode CID links)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

import libipld

from .cid import Cid, cid_from_bytes, put_uvarint, read_uvarint

__all__ = ["MAX_BLOCK", "MAX_HEADER_DEPTH", "MAX_SECTION", "car_cap", "check_cbor", "read_car",
           "write_car"]  # fmt: skip

_CARV2_PRAGMA = bytes.fromhex("0aa16776657273696f6e02")
_MAX_HEADER = 1 << 20
#: Largest block accepted (the trustless gateway spec: 2 MiB).
MAX_BLOCK = 2 * 1024 * 1024
#: Largest CAR section (CID + block) accepted (the trustless gateway spec: 8 MiB).
MAX_SECTION = 8 * 1024 * 1024
#: Deepest nesting of a CAR header (``{"roots": [CID]}`` is 3 deep; ``tag 42`` counts one).
MAX_HEADER_DEPTH = 16
#: Headers up to this many bytes (at most this many levels) go to the decoder unwalked.
_SHALLOW = 256


def car_cap(max_bytes: int) -> int:
    """Bytes accepted for a CAR (or all raw blocks) of a file of ``max_bytes``: the file plus
    the blocks' framing."""
    return max_bytes + max_bytes // 16 + 65_536


def check_cbor(data: bytes, max_depth: int = MAX_HEADER_DEPTH) -> None:
    """Check that ``data`` is exactly one well-formed DAG-CBOR item nested at most
    ``max_depth`` deep (definite lengths, minimal heads not required, tags 42 only):
    :class:`ValueError` otherwise. Iterative and linear in ``len(data)``: every item takes at
    least one byte, so no claimed count makes it loop longer."""
    pos, end = 0, len(data)
    left = [1]  # items still to read at each open level
    while left:
        if left[-1] == 0:
            left.pop()
            continue
        left[-1] -= 1
        if pos >= end:
            raise ValueError("CBOR: truncated")
        major, info = data[pos] >> 5, data[pos] & 31
        pos += 1
        if info < 24:
            n = info
        elif info <= 27:
            width = 1 << (info - 24)
            if pos + width > end:
                raise ValueError("CBOR: truncated")
            n = int.from_bytes(data[pos : pos + width], "big")
            pos += width
        else:
            raise ValueError(f"CBOR: additional information {info} is not DAG-CBOR")
        if major in (2, 3):
            if n > end - pos:
                raise ValueError("CBOR: a string runs past the end")
            pos += n
        elif major in (4, 5, 6):
            if major == 6 and n != 42:
                raise ValueError(f"CBOR: tag {n} is not DAG-CBOR (only 42, a CID)")
            count = 1 if major == 6 else n * (2 if major == 5 else 1)
            if count:
                if len(left) >= max_depth:
                    raise ValueError(f"CBOR: nested deeper than {max_depth}")
                if count > end - pos:
                    raise ValueError("CBOR: more items than bytes left")
                left.append(count)
        elif major == 7 and info < 20:
            raise ValueError(f"CBOR: simple value {info} is not DAG-CBOR")
    if pos != end:
        raise ValueError(f"CBOR: {end - pos} bytes after the item")


def _uvarint(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    return read_uvarint(buf, pos, "CAR", 9)


def _cid_length(buf: memoryview, pos: int, end: int) -> int:
    """The length of the binary CID starting at ``pos``."""
    if end - pos >= 2 and buf[pos] == 0x12 and buf[pos + 1] == 0x20:
        return 34  # CIDv0: a bare sha2-256 multihash
    p = pos
    for _ in range(3):  # version, codec, hash function
        _, p = _uvarint(buf, p)
    size, p = _uvarint(buf, p)
    return p + size - pos


def read_car(data: bytes) -> tuple[list[Cid], dict[Cid, bytes]]:
    """The roots and blocks of a CARv1 (or of the CARv1 inside a CARv2). Malformed framing, a
    header that is not ``{"roots", "version": 1}`` (or, longer than 256 bytes, nested deeper
    than :data:`MAX_HEADER_DEPTH`), a section over :data:`MAX_SECTION` or a block over
    :data:`MAX_BLOCK`, or a CID that is not a file's (dag-pb or raw, sha2-256) raise
    :class:`ValueError`. Block hashes are not checked here. The roots are returned as read;
    a reader who knows the CID it asked for ignores them (the trustless gateway spec)."""
    buf = memoryview(bytes(data))
    if bytes(buf[: len(_CARV2_PRAGMA)]) == _CARV2_PRAGMA:
        buf = _carv1_of_carv2(buf)
    if not len(buf):
        raise ValueError("CAR: empty")
    size, pos = _uvarint(buf, 0)
    if size == 0 or size > _MAX_HEADER or pos + size > len(buf):
        raise ValueError(f"CAR: header length {size} does not fit")
    raw = bytes(buf[pos : pos + size])
    try:
        if len(raw) > _SHALLOW:  # a shorter header cannot nest deep enough to matter
            check_cbor(raw)
        header = libipld.decode_dag_cbor(raw)
    except Exception as exc:  # whatever the decoder raises: a header that does not parse
        raise ValueError(f"CAR: the header is not DAG-CBOR ({exc})") from None
    if not isinstance(header, dict) or header.get("version") != 1:
        shown = header.get("version") if isinstance(header, dict) else type(header).__name__
        raise ValueError(f"CAR: header version {shown!r}, expected 1")
    roots_raw = header.get("roots")
    if not isinstance(roots_raw, list) or not all(isinstance(r, bytes) for r in roots_raw):
        raise ValueError("CAR: header roots are not a list of CIDs")
    roots = []
    for r in roots_raw:  # the roots only inform: one that is not a file's CID is left out
        with contextlib.suppress(ValueError):
            roots.append(cid_from_bytes(r))
    blocks: dict[Cid, bytes] = {}
    pos += size
    end = len(buf)
    while pos < end:
        length, pos = _uvarint(buf, pos)
        if length == 0 or pos + length > end:
            raise ValueError(f"CAR: a section of {length} bytes does not fit")
        if length > MAX_SECTION:
            raise ValueError(f"CAR: a section of {length:,} bytes, more than {MAX_SECTION:,}")
        section_end = pos + length
        cid_len = _cid_length(buf, pos, section_end)
        if cid_len > length:
            raise ValueError("CAR: a section's CID runs past the section")
        if length - cid_len > MAX_BLOCK:
            raise ValueError(f"CAR: a block of {length - cid_len:,} bytes, more than {MAX_BLOCK:,}")
        cid = cid_from_bytes(bytes(buf[pos : pos + cid_len]))
        blocks[cid] = bytes(buf[pos + cid_len : section_end])
        pos = section_end
    return roots, blocks


def _carv1_of_carv2(buf: memoryview) -> memoryview:
    header = buf[len(_CARV2_PRAGMA) : len(_CARV2_PRAGMA) + 40]
    if len(header) < 40:
        raise ValueError("CAR: truncated CARv2 header")
    offset = int.from_bytes(header[16:24], "little")
    size = int.from_bytes(header[24:32], "little")
    if offset + size > len(buf) or offset < len(_CARV2_PRAGMA) + 40:
        raise ValueError("CAR: CARv2 data does not fit")
    return buf[offset : offset + size]


def _cbor_head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for extra, width in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * width):
            return bytes([major << 5 | extra]) + n.to_bytes(width, "big")
    raise ValueError("CBOR: number too large")


def write_car(roots: list[Cid], blocks: Iterable[tuple[Cid, bytes]]) -> bytes:
    """A CARv1 of ``blocks`` (in the order given) with ``roots`` in its header."""
    header = bytearray(b"\xa2" + _cbor_head(3, 5) + b"roots" + _cbor_head(4, len(roots)))
    for root in roots:
        link = b"\x00" + root.bytes  # a CID link: tag 42 on the multibase-identity binary CID
        header += b"\xd8\x2a" + _cbor_head(2, len(link)) + link
    header += _cbor_head(3, 7) + b"version" + b"\x01"
    out = bytearray(put_uvarint(len(header)) + header)
    for cid, block in blocks:
        cid_bytes = cid.bytes
        out += put_uvarint(len(cid_bytes) + len(block)) + cid_bytes + block
    return bytes(out)
