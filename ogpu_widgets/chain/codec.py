"""The one checksum, calldata builder and return-data decoder of the library.

* :func:`checksum` turns 20 raw bytes into the EIP-55 string (a table-driven variant of
  ``eth_utils.to_checksum_address``, cached; ``benchmarks/bench_codec.py`` measures why: bulk
  reads checksum every task, provider and response they decode). :func:`to_address` validates
  user input and returns the same spelling.
* :func:`calldata` builds the call data of any function of the bundled ABIs (``eth_abi``;
  words of ``uint``/``address`` arguments are written directly, which is the same encoding).
* :func:`decode_output` decodes a call's return data with ``eth_abi``; :func:`word`,
  :func:`uint_array`, :func:`task_params` and :func:`response_params` are the hand-written
  decoders the bulk readers use on thousands of results (same results, no per-call type
  parsing).
* Text from the chain (a response's ``data``, a task's ``config``) is decoded as UTF-8 with
  replacement characters by :func:`text`; the exact bytes stay available through
  :func:`raw_text`.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Any

import numpy as np
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import is_address, is_checksum_address

from ..errors import InvalidAddressError
from .abi import abi

__all__ = [
    "ZERO_ADDRESS",
    "address_of_word",
    "calldata",
    "checksum",
    "checksummed",
    "decode_output",
    "function",
    "response_params",
    "selector",
    "task_params",
    "text",
    "to_address",
    "uint_array",
    "word",
]

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"

try:  # safe-pysha3's C keccak: about 8x faster per call than eth_hash's pycryptodome backend
    from sha3 import keccak_256 as _keccak_256

    def keccak(data: bytes) -> bytes:
        """Keccak-256 of ``data``."""
        return _keccak_256(data).digest()

except ImportError:  # pragma: no cover - the dependency is declared; eth_hash is the fallback
    from eth_hash.auto import keccak

    _keccak_256 = None
ADDRESS_MASK = (1 << 160) - 1

# ---- EIP-55 --------------------------------------------------------------------------------------

# A letter of the address is upper case where the matching nibble of keccak(lowercase hex) is
# >= 8, i.e. its ASCII code loses 0x20: computed on whole integers, no loop per character.
_HIGH_NIBBLE = bytes(0x20 if b & 0x80 else 0 for b in range(256))
_LOW_NIBBLE = bytes(0x20 if b & 0x08 else 0 for b in range(256))
_LETTER = bytes(0x20 if chr(b) in "abcdef" else 0 for b in range(256))


#: Spellings this process computed (a set lookup then verifies them); cleared past _KNOWN_MAX.
_KNOWN: set[str] = set()
_KNOWN_MAX = 1 << 22


def _remember(spellings: list[str] | str) -> None:
    if len(_KNOWN) > _KNOWN_MAX:
        _KNOWN.clear()
    if isinstance(spellings, str):
        _KNOWN.add(spellings)
    else:
        _KNOWN.update(spellings)


@lru_cache(maxsize=1 << 16)
def checksum(raw: bytes) -> str:
    """The EIP-55 checksummed address of 20 raw bytes."""
    h = raw.hex().encode()
    digest = keccak(h)[:20]
    mask = bytearray(40)
    mask[0::2] = digest.translate(_HIGH_NIBBLE)
    mask[1::2] = digest.translate(_LOW_NIBBLE)
    flip = int.from_bytes(mask, "big") & int.from_bytes(h.translate(_LETTER), "big")
    out = "0x" + (int.from_bytes(h, "big") - flip).to_bytes(40, "big").decode()
    _remember(out)
    return out


def to_address(value: Any, what: str = "address") -> str:
    """``value`` (a hex string or 20 bytes) as a checksummed address, or
    :class:`InvalidAddressError` naming it. Mixed case must be a correct EIP-55 checksum: a typo
    in a checksummed address would silently name another account."""
    if isinstance(value, bytes | bytearray) and len(value) == 20:
        return checksum(bytes(value))
    if not isinstance(value, str) or not is_address(value):
        if isinstance(value, str | bytes) and len(value) > 80:  # never echo a huge value back
            shown = f"{value[:20]!r}… ({len(value)} long)"
        elif isinstance(value, int) and not -(10**40) < value < 10**40:
            shown = "(a very large int)"
        else:
            shown = repr(
                value if isinstance(value, str | bytes | int | None) else type(value).__name__
            )
        raise InvalidAddressError(
            f"{what} {shown} is not a valid address: expected 0x followed by 40 hex digits"
            " (mixed case must be a correct EIP-55 checksum)",
            value=value,
            argument=what,
        )
    digits = value[2:] if value[:2] in ("0x", "0X") else value
    if not (digits.islower() or digits.isupper() or digits.isdigit()) and not is_checksum_address(
        "0x" + digits
    ):
        raise InvalidAddressError(
            f"{what} {value!r} has mixed case but not a correct EIP-55 checksum (a typo?); "
            "check it, or pass it all lower case",
            value=value,
            argument=what,
        )
    return checksum(bytes.fromhex(digits))


def checksummed(values: Any, what: str = "address") -> list[str]:
    """Many addresses (hex strings) in their checksummed spelling, each verified like
    :func:`to_address` (a wrong mixed-case checksum raises :class:`InvalidAddressError`).
    Vectorized: one keccak per address, the EIP-55 casing computed on whole arrays."""
    vals = list(values)
    if all(v in _KNOWN for v in vals):  # spellings this process made: verified already
        return vals
    n = len(vals)
    if not all(isinstance(v, str) and len(v) == 42 for v in vals) or not _HEX_RUN.fullmatch(
        "".join(vals)
    ):
        return [to_address(v, what) for v in vals]  # raises, naming the first bad one
    joined = "".join(vals)
    lower = joined.lower().encode("ascii")
    if _keccak_256 is not None:  # the C hasher called directly: this loop is the whole cost
        h = _keccak_256
        hashed = [h(lower[i + 2 : i + 42]).digest()[:20] for i in range(0, 42 * n, 42)]
    else:  # pragma: no cover
        hashed = [keccak(lower[i + 2 : i + 42])[:20] for i in range(0, 42 * n, 42)]
    digests = np.frombuffer(b"".join(hashed), np.uint8).reshape(n, 20)
    nibbles = np.empty((n, 40), np.uint8)
    nibbles[:, 0::2] = digests >> 4
    nibbles[:, 1::2] = digests & 0x0F
    full = np.frombuffer(lower, np.uint8).reshape(n, 42).copy()
    chars = full[:, 2:]
    full[:, 2:] = np.where((chars >= ord("a")) & (nibbles >= 8), chars - 32, chars)
    text = full.tobytes().decode("ascii")
    out = [text[i : i + 42] for i in range(0, 42 * n, 42)]
    given = np.frombuffer(joined.encode("ascii"), np.uint8).reshape(n, 42)
    for row in np.flatnonzero((given != full).any(axis=1)):
        d = vals[row][2:]
        if not (d.islower() or d.isupper() or d.isdigit()):
            to_address(vals[row], what)  # a wrong mixed-case checksum: raises, naming it
    _remember(out)
    return out


_HEX_RUN = re.compile(r"(?:0[xX][0-9a-fA-F]{40})*")


def address_of_word(w: bytes) -> str:
    """The checksummed address in the low 20 bytes of a 32-byte word."""
    return checksum(bytes(w[12:32]))


# ---- calldata ----------------------------------------------------------------------------------


@cache
def function(contract: str, name: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """(0x selector, input types, output types) of ``contract.name`` in the bundled ABIs."""
    for item in abi(contract):
        if item.get("type") == "function" and item.get("name") == name:
            inputs = tuple(_abi_type(i) for i in item.get("inputs", []))
            outputs = tuple(_abi_type(o) for o in item.get("outputs", []))
            return "0x" + selector(f"{name}({','.join(inputs)})"), inputs, outputs
    raise KeyError(f"{contract}.{name} is not in the bundled ABI")


def _abi_type(item: dict[str, Any]) -> str:
    t = item["type"]
    if t.startswith("tuple"):
        return "(" + ",".join(_abi_type(c) for c in item["components"]) + ")" + t[5:]
    return t


@cache
def selector(signature: str) -> str:
    """The 4-byte selector of a function signature, as 8 hex digits (no 0x)."""
    return keccak(signature.encode()).hex()[:8]


_WORD_TYPES = ("uint256", "uint8", "address", "bool")


def calldata(contract: str, name: str, *args: Any) -> str:
    """0x call data of ``contract.name(*args)``."""
    sel, types, _ = function(contract, name)
    if all(t in _WORD_TYPES for t in types) and len(args) == len(types):
        return sel + "".join(f"{int(a, 16) if isinstance(a, str) else int(a):064x}" for a in args)
    return sel + abi_encode(types, args).hex()


def decode_output(contract: str, name: str, result: bytes | str) -> tuple[Any, ...]:
    """The outputs of ``contract.name`` decoded from its return data (bytes or 0x hex); raises
    ``ValueError`` when the data does not decode."""
    raw = bytes.fromhex(result[2:]) if isinstance(result, str) else result
    try:
        return tuple(abi_decode(function(contract, name)[2], raw))
    except Exception as exc:
        raise ValueError(f"{contract}.{name} returned data that does not decode") from exc


# ---- hand-written decoders of the bulk readers ------------------------------------------------


def text(raw: bytes) -> str:
    """Text from the chain: UTF-8, with U+FFFD where the bytes are not UTF-8."""
    return raw.decode("utf-8", "replace")


def word(raw: bytes | None, at: int = 0) -> int:
    """The uint256 at byte ``at``; ``ValueError`` when the data is short (or the call
    reverted: ``None``)."""
    if raw is None or len(raw) < at + 32:
        raise ValueError("short return data")
    return int.from_bytes(raw[at : at + 32], "big")


def raw_text(raw: bytes, base: int, head: int) -> bytes:
    """The bytes of a dynamic ``string``/``bytes`` whose offset is at ``base + head``."""
    off = base + word(raw, base + head)
    n = word(raw, off)
    if off + 32 + n > len(raw):
        raise ValueError("string past the end of return data")
    return raw[off + 32 : off + 32 + n]


def task_params(raw: bytes) -> tuple[str, str, int, int]:
    """``taskParams()`` -> (address source, string config, uint256 expiry, uint256 payment)."""
    if word(raw, 0) >> 160:
        raise ValueError("not an address")
    return (
        address_of_word(raw[0:32]),
        text(raw_text(raw, 0, 0x20)),
        word(raw, 0x40),
        word(raw, 0x60),
    )


def response_params(raw: bytes) -> tuple[str, str, bytes, int]:
    """``getResponseParams()`` -> (address task, address provider, data bytes, payment)."""
    base = word(raw, 0)
    if word(raw, base) >> 160 or word(raw, base + 0x20) >> 160:
        raise ValueError("not an address")
    return (
        address_of_word(raw[base : base + 32]),
        address_of_word(raw[base + 0x20 : base + 0x40]),
        raw_text(raw, base, 0x40),
        word(raw, base + 0x60),
    )


def uint_array(raw: bytes | None) -> list[int]:
    """A dynamic ``uint256[]``/``address[]`` as ints."""
    if raw is None:
        raise ValueError("reverted")
    off = word(raw, 0)
    n = word(raw, off)
    if off + 32 + 32 * n > len(raw):
        raise ValueError("array past the end of return data")
    return [int.from_bytes(raw[p : p + 32], "big") for p in range(off + 32, off + 32 + 32 * n, 32)]
