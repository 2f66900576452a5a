"""The Result column's previews (bounded, sanitised) and states (from the error's type, never
its words), and the image headers read for its thumbnails."""

from __future__ import annotations

import struct

from support import SVG, png

import ogpu_widgets as ow
from ogpu_widgets.errors import (
    ResultError,
    ResultNotFetchedError,
    ResultTimeoutError,
    ResultVerificationError,
)
from ogpu_widgets.results.outcome import Outcome
from ogpu_widgets.table import preview as tp
from ogpu_widgets.table import results as tr


def test_previews_and_states():
    def r(kind, value=None, error=None, **kw):
        return Outcome(kind=kind, value=value, error=error, **kw)

    assert tp.preview(r("json", {"a": [1, 2], "b": "x" * 500})).endswith("…")
    assert len(tp.preview(r("json", {"b": "x" * 500}))) == tr.MAX_PREVIEW
    assert tp.preview(r("json", [1, None, True])) == "[1,null,true]"
    assert r("json", 1, verified=True).state is ow.ResultState.OK
    assert r("json", 1, verified=None).state is ow.ResultState.UNVERIFIED
    mismatch = ResultVerificationError("verification failed: mismatch")
    assert r("error", error=mismatch, verified=False).state is ow.ResultState.ERROR
    assert r("error", error=ResultTimeoutError("timed out")).state is ow.ResultState.ERROR
    assert r("error", error=ResultNotFetchedError("not fetched: loopback")).state == "none"
    # the state is the error's type, never its words
    assert r("error", error=ResultError("not fetched, says the gateway")).state == "error"
    assert r("error", error=ResultNotFetchedError("results are off")).state == "none"
    assert tp.preview(r("binary", b"\x00" * 2048, size=2048)) == "binary, 2.0 kB"
    hostile = r("text", "\u202e<script>\x1b[2J\x00\x9b")
    assert tp.preview(hostile) == "\ufffd<script>␛[2J␀\ufffd"


def test_image_headers():
    assert tp.image_info(png(64, 64)) == ("image/png", 64, 64)
    gif = b"GIF89a" + struct.pack("<HH", 10, 20) + b"\x00" * 10
    assert tp.image_info(gif) == ("image/gif", 10, 20)
    jpeg = (
        b"\xff\xd8\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00" + b"\x00" * 9
        + b"\xff\xc0" + struct.pack(">HBHH", 17, 8, 30, 40) + b"\x00" * 12
    )  # fmt: skip
    assert tp.image_info(jpeg) == ("image/jpeg", 40, 30)
    webp = (
        b"RIFF"
        + b"\x00" * 4
        + b"WEBPVP8X"
        + b"\x00" * 8
        + (99).to_bytes(3, "little")
        + (49).to_bytes(3, "little")
    )
    assert tp.image_info(webp) == ("image/webp", 100, 50)
    assert tp.image_info(SVG) is None
    assert tp.image_info(b"<html>") is None
