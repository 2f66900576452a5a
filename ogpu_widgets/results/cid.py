"""Content identifiers: parsing and printing CIDs, finding the CID a response's ``data`` names,
and checking a block against its CID.

Only what a UnixFS file needs is accepted: CIDv0 (``Qm…``, dag-pb) and CIDv1 with the codec
``dag-pb`` or ``raw``, both with a sha2-256 multihash. Multibase and the CID's binary layout are
decoded by ``libipld`` (the Rust ``cid``/``multibase`` crates); the digest is sha2-256 from
``hashlib``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import libipld

__all__ = [
    "CODECS",
    "Cid",
    "Located",
    "block_matches",
    "cid_of",
    "cid_from_bytes",
    "locate",
    "parse_cid",
    "put_uvarint",
    "read_uvarint",
    "unsupported",
]


def put_uvarint(n: int) -> bytes:
    """``n`` as an unsigned LEB128 varint (CAR sections, protobuf fields, multiformats)."""
    if n < 0:
        raise ValueError("a varint here is never negative")
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def read_uvarint(buf: bytes | memoryview, pos: int, what: str, max_bytes: int) -> tuple[int, int]:
    """The unsigned LEB128 varint at ``pos`` (at most ``max_bytes`` bytes, minimally encoded)
    and the position after it; ``ValueError`` naming ``what`` (``CAR``, ``protobuf``)."""
    value = shift = 0
    for i in range(max_bytes):
        if pos + i >= len(buf):
            raise ValueError(f"{what}: truncated varint")
        b = buf[pos + i]
        value |= (b & 0x7F) << shift
        if b < 0x80:
            if b == 0 and i:
                raise ValueError(f"{what}: varint not minimally encoded")
            return value, pos + i + 1
        shift += 7
    raise ValueError(f"{what}: varint longer than {max_bytes} bytes")


#: The multicodec codes of the codecs a UnixFS file is made of.
CODECS = {"dag-pb": 0x70, "raw": 0x55}
_CODEC_NAMES = {code: name for name, code in CODECS.items()}
_SHA2_256 = 0x12
_MULTIHASH_PREFIX = bytes([_SHA2_256, 32])
_HASH_NAMES = {0x00: "identity", 0x11: "sha1", 0x13: "sha2-512", 0x16: "sha3-256",
               0x1B: "keccak-256", 0x1E: "blake3", 0xB220: "blake2b-256"}  # fmt: skip
_CID_CHARS = re.compile(r"[A-Za-z0-9_-]+")
_OTHER_CODECS = {0x71: "dag-cbor", 0x0129: "dag-json", 0x72: "libp2p-key", 0x0200: "json",
                 0x51: "cbor"}  # fmt: skip


@dataclass(frozen=True)
class Cid:
    """A CIDv0 or CIDv1 of a ``dag-pb`` or ``raw`` block hashed with sha2-256."""

    version: int  # 0 or 1
    codec: str  # "dag-pb" or "raw"
    digest: bytes  # the sha2-256 digest

    def __post_init__(self) -> None:
        if self.version not in (0, 1):
            raise ValueError(f"CID version {self.version!r}: only 0 and 1 exist")
        if self.codec not in CODECS:
            raise ValueError(f"CID codec {self.codec!r}: only dag-pb and raw are supported")
        if self.version == 0 and self.codec != "dag-pb":
            raise ValueError("a CIDv0 is always dag-pb")
        if not isinstance(self.digest, bytes) or len(self.digest) != 32:
            raise ValueError("a sha2-256 digest is 32 bytes")

    def __str__(self) -> str:
        """v0: base58btc ``Qm…``; v1: base32 lower case ``b…``."""
        return libipld.encode_cid(self.bytes)

    def __repr__(self) -> str:
        return f"Cid({str(self)!r})"

    @property
    def bytes(self) -> bytes:
        """The binary CID (as in dag-pb links and CAR files)."""
        if self.version == 0:
            return _MULTIHASH_PREFIX + self.digest
        return bytes([1, CODECS[self.codec]]) + _MULTIHASH_PREFIX + self.digest

    def to_v1(self) -> Cid:
        """The same block named by a CIDv1 (base32 ``bafy…``), as subdomain gateways want."""
        return self if self.version == 1 else Cid(1, self.codec, self.digest)


def _from_info(info: dict, shown: str) -> Cid:
    version, codec, mh = info["version"], info["codec"], info["hash"]
    if codec not in _CODEC_NAMES:
        name = _OTHER_CODECS.get(codec, hex(codec))
        raise ValueError(f"CID {shown}: codec {name} is not a file's (only dag-pb and raw are)")
    if mh["code"] != _SHA2_256:
        name = _HASH_NAMES.get(mh["code"], hex(mh["code"]))
        raise ValueError(f"CID {shown}: hash function {name} is not supported (only sha2-256)")
    if mh["size"] != 32 or len(mh["digest"]) != 32:
        raise ValueError(f"CID {shown}: a sha2-256 digest is 32 bytes, not {mh['size']}")
    return Cid(version, _CODEC_NAMES[codec], bytes(mh["digest"]))


def parse_cid(text: str) -> Cid:
    """The :class:`Cid` of a CID string (v1 in any multibase but those with ``+``/``/``);
    :class:`ValueError` saying why not (not a CID, another codec or hash function)."""
    if not isinstance(text, str):
        raise ValueError(f"a CID is a string, not a {type(text).__name__}")
    shown = repr(text[:80] + ("…" if len(text) > 80 else ""))
    if not text or text != text.strip():
        raise ValueError(f"{shown} is not a CID: empty or surrounded by spaces")
    # multibase letters only: libipld would also take "…/ipfs/CID" and find the CID in it
    if len(text) > 200 or not _CID_CHARS.fullmatch(text):
        raise ValueError(f"{shown} is not a CID")
    try:
        info = libipld.decode_cid(text)
    except ValueError as exc:
        reason = str(exc).removeprefix("Failed to decode CID.").strip() or "undecodable"
        raise ValueError(f"{shown} is not a CID ({reason})") from None
    return _from_info(info, shown)


def cid_from_bytes(data: bytes) -> Cid:
    """The :class:`Cid` of a binary CID (exactly, nothing after it); :class:`ValueError` if not."""
    data = bytes(data)
    try:
        info = libipld.decode_cid(data)
    except Exception as exc:  # whatever the decoder raises: not a CID
        raise ValueError(f"not a binary CID ({exc})") from None
    cid = _from_info(info, f"0x{data[:40].hex()}")
    if cid.bytes != data:
        raise ValueError(f"binary CID {cid} is followed by {len(data) - len(cid.bytes)} bytes")
    return cid


def cid_of(block: bytes, *, codec: str = "raw", version: int = 1) -> Cid:
    """The CID of ``block`` (sha2-256)."""
    return Cid(version, codec, hashlib.sha256(block).digest())


def block_matches(cid: Cid, block: bytes) -> bool:
    """Whether ``block`` is the block ``cid`` names: its sha2-256 digest is the CID's."""
    return hashlib.sha256(block).digest() == cid.digest


# ---- where data names a CID ------------------------------------------------------------------


@dataclass(frozen=True)
class Located:
    """The CID a response's ``data`` names, and how."""

    cid: Cid
    path: str  # "" or the sub-path after the CID ("/a/b.json"), percent-decoded
    form: str  # "ipfs-scheme" | "gateway-path" | "subdomain" | "bare"
    host: str | None  # the host named in the URL, if any (lower case, without the port)


_SUBDOMAIN = re.compile(r"^([a-z0-9]+)\.ipfs\.(.+)$")


def _cid_or_none(text: str) -> Cid | None:
    try:
        return parse_cid(text)
    except ValueError:
        return None


def _clean_path(rest: str) -> str | None:
    """A sub-path: "" or "/a/b" (percent-decoded, no empty, "." or ".." segments); None if
    it is not one."""
    parts = [unquote(p) for p in rest.split("/") if p]
    if any(p in (".", "..") or "/" in p or "\x00" in p for p in parts):
        return None
    return "".join("/" + p for p in parts)


_IPNS = "an IPNS name names no IPFS CID: only IPFS content is fetched (and verified)"


def _parts(data: Any) -> tuple[str, str | None, str, str] | str | None:
    """How ``data`` names IPFS content: ``(form, host, CID text, the path after it)``;
    :data:`_IPNS` for an IPNS name; None for anything else (another URL, text, too long)."""
    if not isinstance(data, str):
        return None
    text = data.strip()
    if not text or len(text) > 8192:
        return None
    lower = text[:8].lower()
    for prefix, scheme in (("ipfs://", True), ("/ipfs/", False)):
        if (lower if scheme else text).startswith(prefix):
            body = re.split(r"[?#]", text[len(prefix) :], maxsplit=1)[0]
            head, _, rest = body.partition("/")
            return ("ipfs-scheme" if scheme else "gateway-path"), None, head, rest
    if lower.startswith("ipns://") or text.startswith("/ipns/"):
        return _IPNS
    if lower.startswith(("http://", "https://")):
        try:
            url = urlsplit(text)
            host = url.hostname
        except ValueError:
            return None
        if not host:
            return None
        if url.path.startswith("/ipfs/"):
            head, _, rest = url.path[len("/ipfs/") :].partition("/")
            return "gateway-path", host, unquote(head), rest
        m = _SUBDOMAIN.match(host)
        if m:
            return "subdomain", host, m.group(1), url.path
        return _IPNS if url.path.startswith("/ipns/") or ".ipns." in host else None
    return "bare", None, text, ""


def locate(data: str) -> Located | None:
    """The CID named by ``data`` and where: ``ipfs://CID[/path]``,
    ``http(s)://host/ipfs/CID[/path]``, ``/ipfs/CID[/path]`` (``gateway-path`` without a host),
    ``https://CID.ipfs.host[/path]`` or a bare CID. ``None`` when ``data`` names no valid CID
    (other URLs, ``ipns``, text). Query strings and fragments are dropped. Nothing is fetched."""
    parts = _parts(data)
    if not isinstance(parts, tuple):
        return None
    form, host, head, rest = parts
    cid, path = _cid_or_none(head), _clean_path(rest)
    return None if cid is None or path is None else Located(cid, path, form, host)


def unsupported(data: str) -> str | None:
    """Why ``data``, which :func:`locate` found no usable CID in, still names IPFS content this
    library cannot fetch (an IPNS name; a CID with another codec or hash function, or not a
    CID; a path with ``..``), or None when it does not look like IPFS content at all (another
    URL, text)."""
    parts = _parts(data)
    if not isinstance(parts, tuple):
        return parts
    form, _, head, rest = parts
    try:
        parse_cid(head)
    except ValueError as exc:
        reason = str(exc)
        if form != "bare":
            return reason
        # a bare CID only when it decodes as one, of a kind not supported (other text is not
        # IPFS content)
        known = (": codec ", ": hash function ", ": a sha2-256 digest ")
        return reason if any(k in reason for k in known) else None
    if _clean_path(rest) is None:
        return f"the path {rest[:80]!r} after the CID has empty, '.' or '..' parts"
    return None
