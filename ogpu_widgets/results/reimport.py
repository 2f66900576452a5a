"""Checking content a plain gateway sent (it ignored the trustless request): import it again with
the profile the CID implies and compare CIDs.

- a ``raw`` CID names one block, the content itself: its hash is compared;
- a CIDv0 (``Qm…``) is what ``ipfs add`` makes by default: dag-pb leaves, 256 KiB chunks, a
  balanced DAG of at most 174 links per node;
- a CIDv1 dag-pb root is ``ipfs add --cid-version=1``: raw leaves, the same chunks and layout
  (also tried: the same with UnixFS leaves, ``--raw-leaves=false``, and a CIDv0 written as a
  CIDv1).

:func:`add_file` makes those blocks in linear time, once per profile, on content already cut at
``max_bytes``. Content that matches is verified, and its blocks are what the cache keeps; content
that matches none is not what the CID names. A CID whose profile the content cannot be
re-imported to (a path below a directory, whose blocks a plain gateway does not send) cannot be
checked that way (:class:`Unverifiable`).
"""

from __future__ import annotations

from .cid import Cid, block_matches
from .unixfs import add_file

__all__ = ["PROFILES", "Unverifiable", "reimport"]

#: (CID version, raw leaves) tried for a dag-pb CID, by its version: ``ipfs add``'s defaults
#: (and for a CIDv1, a CIDv0 written as CIDv1: the same digest).
PROFILES = {0: ((0, False),), 1: ((1, True), (1, False), (0, False))}


class Unverifiable(Exception):
    """The CID's profile cannot be re-derived from the content (why: the message)."""


def reimport(cid: Cid, path: str, content: bytes) -> dict[Cid, bytes] | None:
    """The blocks of ``content`` imported as ``cid`` was (a ``dict`` holding ``cid``), or None
    when no profile of ``cid`` gives ``cid``: the content is not what it names.
    :class:`Unverifiable` when ``path`` is below ``cid`` (a directory's)."""
    if path.strip("/"):
        raise Unverifiable(
            f"not verified: the gateway sent the plain file at {path!r} below {cid} (no "
            "trustless reply), and a file inside a directory cannot be checked without the "
            "directory's blocks; use a trustless gateway to verify it"
        )
    if cid.codec == "raw":
        return {cid: content} if block_matches(cid, content) else None
    for version, raw_leaves in PROFILES.get(cid.version, ()):
        root, blocks = add_file(content, cid_version=version, raw_leaves=raw_leaves)
        if root.codec == cid.codec and root.digest == cid.digest:
            blocks[cid] = blocks.pop(root)  # the root under the CID asked for
            return blocks
    return None
