"""Plausible, varied task results for the devnet's simulated providers, good and bad.

A task has a kind (classification, generated text, embedding, nested metadata, plain text, an
image), and its providers answer it differently (classifiers disagree now and then). Some
answers are bad on purpose: malformed JSON, a very large result, a CID the store does not hold
(the gateway answers 404), a slow one, hostile strings. All of it is deterministic in
``(task_index, provider_index, seed)``; both CID versions appear."""

from __future__ import annotations

import json
import math
import random
import struct
import zlib
from dataclasses import dataclass
from functools import lru_cache

from ...results.cid import Cid
from ...results.unixfs import add_file
from .gateway import Gateway
from .store import IpfsStore

__all__ = ["BAD_KINDS", "KINDS", "SampleResult", "png", "sample_result", "store_result"]

TASK_KINDS = ("classification", "text", "classification", "embedding", "metadata",
              "classification", "plain", "image", "classification", "text")  # fmt: skip
BAD_KINDS = ("malformed", "large", "missing", "slow", "hostile")
KINDS = tuple(dict.fromkeys(TASK_KINDS)) + BAD_KINDS
# (task slot, provider) -> bad kind; task slot = (task_index + seed) % 20. Provider 0 answers
# first-response tasks too, so the bad kinds also show up there.
_BAD = {(2, 1): "malformed", (3, 0): "hostile", (4, 2): "missing", (6, 1): "slow",
        (9, 0): "hostile", (12, 2): "malformed", (14, 1): "hostile", (17, 0): "missing",
        (19, 1): "slow", (15, 0): "malformed"}  # fmt: skip
LARGE_BYTES = 3 * 1024 * 1024
_LABELS = ("positive", "negative", "neutral")
_SENTENCES = (
    "The quarterly report shows steady growth in GPU rentals across all regions.",
    "A small red fox jumps over the sleeping dog near the river bank.",
    "Distributed inference lowers cost when providers compete on price and latency.",
    "The model summarizes the document in three short bullet points.",
    "Translation: Bonjour le monde, ceci est un test de traduction automatique.",
    "Results may vary between providers because sampling is not deterministic.",
)
_MODELS = ("llama-3.1-8b-instruct", "mistral-7b-v0.3", "qwen2.5-7b", "phi-3-mini")
_GPUS = ("RTX 4090", "RTX 3090", "A100 40GB", "L40S", "H100 80GB")


@dataclass(frozen=True)
class SampleResult:
    """One provider's result: its bytes, kind and CID version; ``missing`` results are never
    stored (their CID is valid, the gateway answers 404); ``slow`` ones are answered late."""

    data: bytes
    kind: str
    cid_version: int

    @property
    def missing(self) -> bool:
        return self.kind == "missing"

    @property
    def slow(self) -> bool:
        return self.kind == "slow"

    @property
    def bad(self) -> bool:
        return self.kind in BAD_KINDS


def _json(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sample_result(
    task_index: int, provider_index: int, seed: int = 0, *, kind: str | None = None
) -> SampleResult:
    """The result provider ``provider_index`` gives to task ``task_index`` (``kind`` forces
    one of :data:`KINDS`)."""
    slot = (task_index + seed) % 20
    if kind is None:
        kind = _BAD.get((slot, provider_index))
        if kind is None and provider_index == 0 and (task_index + seed) % 100 == 8:
            kind = "large"
        kind = kind or TASK_KINDS[(task_index + seed) % len(TASK_KINDS)]
    elif kind not in KINDS:
        raise ValueError(f"unknown result kind {kind!r}: one of {', '.join(KINDS)}")
    version = 1 if (task_index + provider_index + seed) % 3 == 2 else 0
    rng = random.Random((seed * 1_000_003 + task_index) * 64 + provider_index)
    task_rng = random.Random(seed * 1_000_003 + task_index)
    return SampleResult(_make(kind, rng, task_rng, task_index, provider_index), kind, version)


def _make(kind: str, rng: random.Random, task_rng: random.Random, task: int, prov: int) -> bytes:
    if kind in ("classification", "slow"):
        truth = task_rng.choice(_LABELS)
        label = truth if rng.random() < 0.75 else rng.choice([x for x in _LABELS if x != truth])
        return _json({"result": label, "confidence": round(rng.uniform(0.51, 0.99), 2)})
    if kind == "text":
        words = " ".join(rng.sample(_SENTENCES, rng.randint(1, 3)))
        return _json({"text": words, "tokens": len(words.split()) + rng.randint(2, 9),
                      "finish_reason": rng.choice(("stop", "stop", "length"))})  # fmt: skip
    if kind == "embedding":
        base = [task_rng.gauss(0, 1) for _ in range(16)]
        vec = [round(b + rng.gauss(0, 0.05), 4) for b in base]
        return _json({"embedding": vec, "dim": len(vec), "model": "e5-small-v2"})
    if kind == "metadata":
        return _json({
            "model": {"name": rng.choice(_MODELS), "version": f"1.{rng.randint(0, 4)}.0",
                      "quantization": rng.choice(("q4_k_m", "q8_0", "fp16"))},
            "metrics": {"latency_ms": rng.randint(80, 2400), "gpu": rng.choice(_GPUS),
                        "vram_gb": rng.choice((12, 24, 40, 80)), "tokens_per_s":
                        round(rng.uniform(20, 180), 1)},
            "result": {"label": task_rng.choice(_LABELS), "score": round(rng.random(), 3)},
        })  # fmt: skip
    if kind == "plain":
        return (f"provider {prov} answer for task {task}:\n{rng.choice(_SENTENCES)}\n").encode()
    if kind == "image":
        return png(64, prov % 8)
    if kind == "malformed":
        return rng.choice((b'{"result": "positive", "confidence": 0.9',
                           b"{'result': 'positive', 'confidence': 0.8}",
                           b'{"result": positive}', b'{"confidence": NaN, "result": }'))  # fmt: skip
    if kind == "large":
        return _large()
    if kind == "missing":  # never stored: only its CID is used
        return _json({"result": "lost", "task": task, "provider": prov})
    if kind == "hostile":
        return _hostile(rng.randrange(4))
    raise ValueError(kind)


@lru_cache(maxsize=1)
def _large() -> bytes:
    rng = random.Random(42)
    rows = [_json([round(rng.uniform(-1, 1), 6) for _ in range(64)]) for _ in range(256)]
    parts, size = [], 0
    while size < LARGE_BYTES:  # 256 distinct rows, repeated: a few MB of valid JSON, fast
        parts.append(rows[len(parts) % len(rows)])
        size += len(parts[-1]) + 1
    return b'{"embeddings":[' + b",".join(parts) + b'],"note":"a very large result"}'


@lru_cache(maxsize=4)
def _hostile(variant: int) -> bytes:
    if variant == 0:
        return _json({"result": "<script>alert(1)</script>", "confidence": 0.99,
                      "note": "<img src=x onerror=alert(document.cookie)>"})  # fmt: skip
    if variant == 1:
        return _json({"result": "<svg onload=alert(1)><circle r=10 /></svg>",
                      "text": "\x1b[31mRED\x1b[0m \x1b[2J\x1b]0;pwned\x07 done",
                      "rtl": "invoice\u202etxt.exe", "zero_width": "a\u200bb\u200dc"})  # fmt: skip
    if variant == 2:
        return _json({"text": "A" * 100_000, "tokens": 100_000})  # one 100 kB line
    # a text file: raw terminal escapes and an SVG that must never be rendered
    return (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
            b"<script>alert(2)</script></svg>\n\x1b[31mRED\x1b[0m\x1b[2J\r"
            + "\u202edesrever\n".encode())  # fmt: skip


@lru_cache(maxsize=16)
def png(size: int = 64, variant: int = 0) -> bytes:
    """A valid ``size``×``size`` RGB PNG: a gradient, tinted by ``variant``."""
    tint = ((variant * 97) % 256, (variant * 53 + 80) % 256, (variant * 29 + 160) % 256)
    rows = bytearray()
    for y in range(size):
        rows.append(0)  # filter: none
        for x in range(size):
            r = (x * 255 // max(1, size - 1) + tint[0]) % 256
            g = (y * 255 // max(1, size - 1) + tint[1]) % 256
            b = int(127 + 127 * math.sin((x + y) / 6)) ^ tint[2]
            rows += bytes((r, g, b))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))  # fmt: skip

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b""))  # fmt: skip


def store_result(store: IpfsStore, gateway: Gateway | None, sample: SampleResult) -> Cid:
    """Put ``sample`` in ``store`` (a missing one only gets its CID) and mark a slow one slow on
    ``gateway``; the CID."""
    if sample.missing:
        return add_file(sample.data, cid_version=sample.cid_version)[0]
    cid = store.add(sample.data, sample.cid_version)
    if sample.slow and gateway is not None:
        gateway.slow.add(cid)
    return cid
