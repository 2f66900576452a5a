"""fetch_results through a plain gateway (one that ignores the trustless request and sends the
file): the content is imported again with the CID's profile and the CIDs compared. Matching
content is verified (and cached); other content is False, warned about and dropped; only a
file below a directory path stays unverified, saying why, and an HTML page is never shown as
a result."""

from __future__ import annotations

import json
import threading
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from support import stub_responses

import ogpu_widgets as ow
from ogpu_widgets.results import ResultVerificationWarning
from ogpu_widgets.results.api import flatten
from ogpu_widgets.results.unixfs import add_file


@pytest.fixture
def gw(devnet):
    devnet.gateway.reset()
    devnet.gateway.trustless = False
    yield devnet.gateway
    devnet.gateway.reset()


responses = stub_responses


def fetch(gateway, datas, **options):
    options.setdefault("progress", False)
    return ow.fetch_results(responses(datas), gateway=gateway, **options)


def big_json(n_bytes: int) -> bytes:
    return json.dumps([{"i": i, "label": "positive"} for i in range(n_bytes // 25)]).encode()


def store_unixfs_leaves_v1(devnet, data: bytes):
    """``ipfs add --cid-version=1 --raw-leaves=false``: CIDv1 with UnixFS leaves."""
    root, blocks = add_file(data, cid_version=1, raw_leaves=False)
    for cid, block in blocks.items():
        devnet.ipfs.put_block(cid, block)
    return root


def test_a_plain_gateway_verifies_every_profile_ipfs_add_makes(devnet, gw, cache_dir):
    small = b'{"result": "neutral", "confidence": 0.5}'
    multi = big_json(700_000)  # 3 chunks of 256 KiB
    cids = [
        devnet.ipfs.add(small, 0),  # Qm…, one UnixFS leaf
        devnet.ipfs.add(multi, 0),  # Qm…, balanced, dag-pb leaves
        devnet.ipfs.add(multi, 1),  # bafy…, raw leaves
        devnet.ipfs.add(b"a raw leaf", 1),  # bafkrei…: the content is the block
        store_unixfs_leaves_v1(devnet, multi),  # bafy…, UnixFS leaves
        store_unixfs_leaves_v1(devnet, small),  # bafy…, one UnixFS leaf
        devnet.ipfs.add(multi, 0).to_v1(),  # a Qm… root written as CIDv1
    ]
    want = [json.loads(small), json.loads(multi), json.loads(multi), "a raw leaf",
            json.loads(multi), json.loads(small), json.loads(multi)]  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = fetch(gw.url, [f"ipfs://{c}" for c in cids])
    assert df["result_verified"].tolist() == [True] * len(cids), df["result_error"].tolist()
    assert df["result"].tolist() == want
    assert (df["result_error"] == "").all()
    # verified, so cached: the next call does not ask the gateway
    hits = gw.hits
    again = fetch(gw.url, [f"ipfs://{c}" for c in cids])
    assert again["result_verified"].tolist() == [True] * len(cids) and gw.hits == hits


def test_other_content_is_false_warned_about_and_dropped(devnet, gw, cache_dir):
    cids = [devnet.ipfs.add(b'{"result": "positive"}', 0), devnet.ipfs.add(big_json(600_000), 1),
            devnet.ipfs.add(big_json(300_000), 0), devnet.ipfs.add(b"raw", 1)]  # fmt: skip
    gw.tamper = True
    with pytest.warns(ResultVerificationWarning, match="did not match their CID"):
        df = fetch(gw.url, [f"ipfs://{c}" for c in cids])
    assert df["result_verified"].tolist() == [False] * 4
    assert (df["result_kind"] == "error").all() and df["result"].isna().all()
    assert all(e.startswith("verification failed: ") for e in df["result_error"])
    assert not cache_dir.exists() or not list(cache_dir.glob("*.car"))
    with pytest.warns(ResultVerificationWarning), pytest.raises(ow.ResultVerificationError):
        responses([f"ipfs://{cids[0]}"])[0].fetch_data(gateway=gw.url, cache=False)
    # and load_responses(results=True) flattens nothing of it
    assert flatten(df).empty


class HtmlEverywhere(ThreadingHTTPServer):
    """A gateway answering ``200 text/html`` to every request, trustless or not."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _HtmlHandler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, args=(0.02,), daemon=True).start()

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class _HtmlHandler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        body = b"<html><body><h1>Welcome</h1><script>alert(1)</script></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def html_gateway():
    server = HtmlEverywhere()
    yield server
    server.close()


def test_an_html_page_for_every_request_is_never_a_result(devnet, html_gateway, cache_dir):
    cids = [add_file(b'{"a": 1}')[0], add_file(big_json(400_000), cid_version=1)[0],
            add_file(b"raw", cid_version=1)[0]]  # fmt: skip
    with pytest.warns(ResultVerificationWarning):
        df = fetch(html_gateway.url, [f"ipfs://{c}" for c in cids])
    assert df["result_verified"].tolist() == [False] * 3
    assert (df["result_kind"] == "error").all() and df["result"].isna().all()
    folder = add_file(b"x")[0]  # a path below it cannot be re-imported: still never shown
    df = fetch(html_gateway.url, [f"ipfs://{folder}/index.json"])
    assert df["result_kind"].iloc[0] == "error" and df["result"].isna().iloc[0]
    assert df["result_error"].iloc[0].startswith("not shown: the gateway sent an HTML page")
    assert df["result_verified"].isna().iloc[0]


def test_a_file_below_a_directory_path_stays_unverified_saying_why(devnet, gw, cache_dir):
    cid = devnet.ipfs.add_json({"in": "folder"})
    folder = devnet.ipfs.add_directory({"result.json": cid})
    df = fetch(gw.url, [f"ipfs://{folder}/result.json"])
    assert df["result"].iloc[0] == {"in": "folder"} and df["result_kind"].iloc[0] == "json"
    assert df["result_verified"].isna().iloc[0]
    assert df["result_error"].iloc[0].startswith("not verified: ")
    assert "directory" in df["result_error"].iloc[0]
    value = responses([f"ipfs://{folder}/result.json"])[0].fetch_data(gateway=gw.url)
    assert value == {"in": "folder"}
    gw.trustless = True  # a trustless gateway verifies it
    df = fetch(gw.url, [f"ipfs://{folder}/result.json"], cache=False)
    assert df["result_verified"].iloc[0] == True  # noqa: E712
