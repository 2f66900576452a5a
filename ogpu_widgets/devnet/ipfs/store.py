"""The devnet's content store: UnixFS files and directories as blocks in memory, made exactly as
``ipfs add`` makes them (:func:`ogpu_widgets.results.unixfs.add_file`)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from ...results.cid import Cid, cid_of
from ...results.unixfs import (
    DIRECTORY,
    Link,
    UnixFs,
    add_file,
    decode_dag_pb,
    decode_unixfs,
    encode_dag_pb,
    encode_unixfs,
    file_from_blocks,
)

__all__ = ["IpfsStore"]


class IpfsStore:
    """Blocks by CID, in memory; thread-safe. ``add`` returns the same CID as ``ipfs add``
    (``cid_version=1``: ``ipfs add --cid-version=1``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._blocks: dict[Cid, bytes] = {}
        self._files: dict[Cid, bytes] = {}  # the content of each file added, by root
        # (data, version) -> root: the same bytes object is chunked once (bytes cache their hash)
        self._added: dict[tuple[bytes, int], Cid] = {}

    # ---- adding --------------------------------------------------------------------------------

    def add(self, data: bytes, cid_version: int = 0) -> Cid:
        """Store ``data`` as a UnixFS file; its root CID."""
        data = bytes(data)
        root = self._added.get((data, cid_version))
        if root is not None:
            return root
        root, blocks = add_file(data, cid_version=cid_version)
        with self._lock:
            self._blocks.update(blocks)
            self._files[root] = data
            self._added[(data, cid_version)] = root
        return root

    def add_json(self, obj: Any, cid_version: int = 0) -> Cid:
        """Store ``obj`` as compact UTF-8 JSON; its root CID."""
        text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return self.add(text.encode("utf-8"), cid_version)

    def add_directory(self, entries: Mapping[str, Cid], cid_version: int = 0) -> Cid:
        """Store a plain UnixFS directory of ``entries`` (name -> CID of content already in the
        store), links sorted by name as kubo writes them; its CID."""
        links = [Link(cid, name, self.dag_size(cid)) for name, cid in sorted(entries.items())]
        block = encode_dag_pb(links, encode_unixfs(UnixFs(DIRECTORY)))
        cid = cid_of(block, codec="dag-pb", version=cid_version)
        self.put_block(cid, block)
        return cid

    def put_block(self, cid: Cid, block: bytes) -> None:
        """Store one block as it is (tests build odd DAGs with it)."""
        with self._lock:
            self._blocks[cid] = bytes(block)

    def forget(self, cid: Cid) -> None:
        """Drop one block (a DAG with a hole)."""
        with self._lock:
            self._blocks.pop(cid, None)
            self._files.pop(cid, None)
            for key in [k for k, v in self._added.items() if v == cid]:
                del self._added[key]

    # ---- reading -------------------------------------------------------------------------------

    def __contains__(self, cid: object) -> bool:
        return isinstance(cid, Cid) and self._key(cid) is not None

    def __len__(self) -> int:
        return len(self._blocks)

    def _key(self, cid: Cid) -> Cid | None:
        """The stored CID holding the block ``cid`` names: a dag-pb block is the same block
        under CIDv0 and CIDv1 (same digest), as real gateways treat it."""
        if cid in self._blocks:
            return cid
        if cid.codec == "dag-pb":
            other = Cid(1 - cid.version, cid.codec, cid.digest) if cid.version in (0, 1) else None
            if other is not None and other in self._blocks:
                return other
        return None

    def get_block(self, cid: Cid) -> bytes:
        """The block ``cid`` names (under either CID version); :class:`KeyError` if the store
        does not hold it."""
        key = self._key(cid)
        if key is None:
            raise KeyError(cid)
        return self._blocks[key]

    def cat(self, cid: Cid, path: str = "") -> bytes:
        """The content of the file ``cid`` (or of ``path`` under the directory ``cid``);
        :class:`KeyError` for a block the store lacks, ``ResultError`` for no such file."""
        if not path.strip("/"):
            data = self._files.get(cid)
            if data is not None:
                return data
        return file_from_blocks(cid, self.get_block, max_bytes=1 << 40, path=path)

    def resolve(self, cid: Cid, path: str = "") -> tuple[Cid, list[Cid]]:
        """The CID ``path`` names under ``cid`` and the directory blocks on the way (``cid``
        first); :class:`KeyError` for a missing block or name."""
        on_the_way: list[Cid] = []
        for name in (p for p in path.split("/") if p):
            on_the_way.append(cid)
            block = self.get_block(cid)
            if cid.codec == "raw":
                raise KeyError(f"{cid} is a file, not a directory")
            links, data = decode_dag_pb(block)
            if decode_unixfs(data or b"").type != DIRECTORY:
                raise KeyError(f"{cid} is not a directory")
            cid = next((link.cid for link in links if link.name == name), None)  # type: ignore[assignment]
            if cid is None:
                raise KeyError(f"no {name!r} in {on_the_way[-1]}")
        return cid, on_the_way

    def dag(self, cid: Cid) -> Iterator[tuple[Cid, bytes]]:
        """Every block of the DAG under ``cid``, depth first, each once (the order of a
        gateway's CAR); :class:`KeyError` for a missing block."""
        seen: set[Cid] = set()
        stack = [cid]
        while stack:
            c = stack.pop()
            if c in seen:
                continue
            seen.add(c)
            block = self.get_block(c)
            yield c, block
            if c.codec == "dag-pb":
                stack.extend(reversed([link.cid for link in decode_dag_pb(block)[0]]))

    def dag_size(self, cid: Cid) -> int:
        """The bytes of every block under ``cid`` (a link's ``Tsize``)."""
        return sum(len(block) for _, block in self.dag(cid))
