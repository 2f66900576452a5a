"""CAR files (content-addressable archives), as trustless gateways send them
(``application/vnd.ipld.car``): a DAG-CBOR header ``{"roots": [CID…], "version": 1}`` and
length-prefixed ``CID + block`` sections. Reading checks the framing, not the blocks' hashes:
:func:`~ogpu_widgets.results.unixfs.file_from_blocks` checks each block it uses.

The header is decoded by ``libipld`` (DAG-CBOR); the fixed header this module writes is encoded
here (``libipld`` cannot encode CID links)."""

from __future__ import annotations

from collections.abc import Iterable

import libipld

from .cid import Cid, cid_from_bytes, put_uvarint, read_uvarint

__all__ = ["read_car", "write_car"]

_CARV2_PRAGMA = bytes.fromhex("0aa16776657273696f6e02")
_MAX_HEADER = 1 << 20


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
    header that is not ``{"roots", "version": 1}``, or a CID that is not a file's (dag-pb or
    raw, sha2-256) raise :class:`ValueError`. Block hashes are not checked here."""
    buf = memoryview(bytes(data))
    if bytes(buf[: len(_CARV2_PRAGMA)]) == _CARV2_PRAGMA:
        buf = _carv1_of_carv2(buf)
    if not len(buf):
        raise ValueError("CAR: empty")
    size, pos = _uvarint(buf, 0)
    if size == 0 or size > _MAX_HEADER or pos + size > len(buf):
        raise ValueError(f"CAR: header length {size} does not fit")
    try:
        header = libipld.decode_dag_cbor(bytes(buf[pos : pos + size]))
    except ValueError as exc:
        raise ValueError(f"CAR: the header is not DAG-CBOR ({exc})") from None
    if not isinstance(header, dict) or header.get("version") != 1:
        shown = header.get("version") if isinstance(header, dict) else type(header).__name__
        raise ValueError(f"CAR: header version {shown!r}, expected 1")
    roots_raw = header.get("roots")
    if not isinstance(roots_raw, list) or not all(isinstance(r, bytes) for r in roots_raw):
        raise ValueError("CAR: header roots are not a list of CIDs")
    roots = [cid_from_bytes(r) for r in roots_raw]
    blocks: dict[Cid, bytes] = {}
    pos += size
    end = len(buf)
    while pos < end:
        length, pos = _uvarint(buf, pos)
        if length == 0 or pos + length > end:
            raise ValueError(f"CAR: a section of {length} bytes does not fit")
        section_end = pos + length
        cid_len = _cid_length(buf, pos, section_end)
        if cid_len > length:
            raise ValueError("CAR: a section's CID runs past the section")
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
