"""The devnet's IPFS: a content store (UnixFS blocks in memory, CIDs exactly as ``ipfs add``
makes them), a local gateway with the trustless interface and test modes, and the sample results
simulated providers store there.

    with Devnet() as dev:
        cid = dev.ipfs.add_json({"result": "positive", "confidence": 0.97})
        url = dev.gateway.url_of(cid)        # http://127.0.0.1:<port>/ipfs/Qm…
        dev.gateway.tamper = True            # now every answer is altered
"""

from __future__ import annotations

from .gateway import CAR, RAW, Gateway, content_type, tamper_block, tamper_bytes
from .payloads import BAD_KINDS, KINDS, SampleResult, png, sample_result, store_result
from .store import IpfsStore

__all__ = [
    "BAD_KINDS",
    "CAR",
    "KINDS",
    "RAW",
    "Gateway",
    "IpfsStore",
    "SampleResult",
    "content_type",
    "png",
    "sample_result",
    "store_result",
    "tamper_block",
    "tamper_bytes",
]
