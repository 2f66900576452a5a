"""fetch_results on the devnet and its IPFS gateway: both CID versions, single- and multi-block
files, the data forms, a tampering gateway, raw blocks without CAR (a gateway without trustless
support: test_results_plain.py), cache hits with the gateway stopped, the time budget and the
size cap, kinds and hostile payloads, the inputs, ``TaskResponse.fetch_data`` and ``load_responses(results=True)``."""

from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from support import stub_responses

import ogpu_widgets as ow
from ogpu_widgets.devnet.ipfs import png
from ogpu_widgets.results import ResultVerificationWarning
from ogpu_widgets.results.cache import forget_memory
from ogpu_widgets.results.unixfs import add_file


@pytest.fixture
def gw(devnet):
    """The session devnet's gateway, honest and fast again after the test."""
    devnet.gateway.reset()
    yield devnet.gateway
    devnet.gateway.reset()


responses = stub_responses


def fetch(devnet, datas, **options):
    options.setdefault("progress", False)
    return ow.fetch_results(responses(datas), network=devnet, **options)


def big_json(n_bytes: int) -> bytes:
    items, out = [], b""
    i = 0
    while len(out) < n_bytes:
        items.append({"i": i, "label": ["positive", "negative"][i % 2], "v": i * 0.5})
        i += 1
        if i % 1000 == 0:
            out = json.dumps(items).encode()
    return json.dumps(items).encode()


# ---- verification ------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [0, 1])
def test_both_cid_versions_single_and_multi_block_are_verified(devnet, gw, cache_dir, version):
    small = b'{"result": "positive", "confidence": 0.97}'
    multi = big_json(700_000)  # 3 chunks of 256 KiB
    text = b"hello world\n"
    cids = [devnet.ipfs.add(x, cid_version=version) for x in (small, multi, text)]
    if version == 0:
        assert str(cids[2]) == "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"
    assert [c.version for c in cids] == [version] * 3
    df = fetch(devnet, [gw.url_of(c) for c in cids])
    assert list(df["result"]) == [json.loads(small), json.loads(multi), "hello world\n"]
    assert list(df["result_kind"]) == ["json", "json", "text"]
    assert df["result_verified"].tolist() == [True, True, True]
    assert list(df["result_cid"]) == [str(c) for c in cids]
    assert list(df["result_size"]) == [len(small), len(multi), len(text)]
    assert (df["result_error"] == "").all()
    # one trustless CAR request per result
    assert gw.hits == 3 and all("format=car" in path for _, path in gw.log)


def test_every_form_of_data_goes_to_the_configured_gateway(devnet, gw, cache_dir):
    cid = devnet.ipfs.add_json({"form": "test"})
    v1 = devnet.ipfs.add_json({"form": "test"}, cid_version=1)
    folder = devnet.ipfs.add_directory({"result.json": cid, "other name.txt": cid})
    datas = [
        f"ipfs://{cid}",
        f"https://cipfs.ogpuscan.io/ipfs/{cid}",
        str(cid),
        f"/ipfs/{cid}",
        f"https://{v1}.ipfs.dweb.link/",
        f"ipfs://{folder}/result.json",
        f"http://127.0.0.1:9/ipfs/{folder}/other%20name.txt",
    ]
    df = fetch(devnet, datas, cache=False)
    assert all_true(df["result_verified"]), df["result_error"].tolist()
    assert all(r == {"form": "test"} for r in df["result"])
    assert df["result_cid"].tolist()[:4] == [str(cid)] * 4


def test_a_tampering_gateway_gives_false_a_warning_and_no_content(devnet, gw, cache_dir, caplog):
    good = [b'{"result": "positive", "confidence": 0.97}', big_json(600_000)]
    cids = [devnet.ipfs.add(good[0], 0), devnet.ipfs.add(good[1], 1)]
    gw.tamper = True
    with pytest.warns(ResultVerificationWarning, match="did not match their CID"):
        df = fetch(devnet, [gw.url_of(c) for c in cids])
    assert df["result_verified"].tolist() == [False, False]
    assert (df["result_kind"] == "error").all() and df["result"].isna().all()
    assert all(e.startswith("verification failed: ") for e in df["result_error"])
    assert df["result_size"].isna().all()
    assert "did not match their CID" in caplog.text
    assert not cache_dir.exists() or not list(cache_dir.iterdir())  # never cached
    with pytest.warns(ResultVerificationWarning), pytest.raises(ow.ResultVerificationError) as e:
        responses([gw.url_of(cids[0])])[0].fetch_data(network=devnet)
    assert e.value.cid == str(cids[0]) and e.value.response == f"0x{1:040x}"
    gw.tamper = False
    df = fetch(devnet, [gw.url_of(c) for c in cids])
    assert df["result_verified"].tolist() == [True, True]


def all_true(series) -> bool:
    """Every value True (``Series.all()`` skips <NA>)."""
    return series.tolist() == [True] * len(series)


def pd_na():
    import pandas as pd

    return pd.NA


class NoCar(ThreadingHTTPServer):
    """A gateway in front of the devnet's that answers 406 to CAR requests (raw blocks only)."""

    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.paths: list[str] = []
        super().__init__(("127.0.0.1", 0), _NoCarHandler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, args=(0.02,), daemon=True).start()


class _NoCarHandler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        self.server.paths.append(self.path)
        if "format=car" in self.path or "vnd.ipld.car" in self.headers.get("Accept", ""):
            self.send_response(406)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        up = requests.get(self.server.upstream + self.path,
                          headers={"Accept": self.headers.get("Accept", "*/*")}, timeout=10)  # fmt: skip
        self.send_response(up.status_code)
        self.send_header("Content-Type", up.headers.get("Content-Type", ""))
        self.send_header("Content-Length", str(len(up.content)))
        self.end_headers()
        self.wfile.write(up.content)


def test_without_car_raw_blocks_are_walked_and_checked(devnet, gw, cache_dir):
    multi = big_json(700_000)
    cid = devnet.ipfs.add(multi, 0)
    proxy = NoCar(gw.url)
    try:
        df = fetch(devnet, [f"ipfs://{cid}"], gateway=proxy.url)
        assert df["result"].iloc[0] == json.loads(multi) and df["result_verified"].iloc[0]
        raw = [p for p in proxy.paths if "format=raw" in p]
        assert len(raw) == 4  # the root and its three leaves, one request each
        gw.tamper = True
        with pytest.warns(ResultVerificationWarning):
            df = fetch(devnet, [f"ipfs://{cid}"], gateway=proxy.url, cache=False)
        assert df["result_verified"].iloc[0] == False  # noqa: E712
    finally:
        proxy.shutdown()
        proxy.server_close()


# ---- the cache ---------------------------------------------------------------------------------


def test_cache_hits_work_with_the_gateway_stopped(fresh_devnet, tmp_path):
    dev = fresh_devnet
    blobs = [b'{"result": "positive"}', big_json(500_000), png(64, 3), b"plain text\n"]
    urls = [dev.gateway.url_of(dev.ipfs.add(b, i % 2)) for i, b in enumerate(blobs)]
    gateway = dev.gateway_url
    first = ow.fetch_results(responses(urls), gateway=gateway, cache=tmp_path, progress=False)
    assert all_true(first["result_verified"])
    hits = dev.gateway.hits
    dev.gateway.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(urls[0], timeout=2)
    forget_memory()  # from the CAR files on disk, as a new kernel would
    t = time.perf_counter()
    second = ow.fetch_results(responses(urls), gateway=gateway, cache=tmp_path, progress=False)
    assert time.perf_counter() - t < 1.0
    assert all_true(second["result_verified"]) and dev.gateway.hits == hits
    assert second["result"].tolist()[:2] == first["result"].tolist()[:2]
    assert list(second["result_kind"]) == ["json", "json", "image", "text"]
    # cache=False bypasses it: now the gateway is gone
    third = ow.fetch_results(responses(urls), gateway=gateway, cache=False, progress=False)
    assert (third["result_kind"] == "error").all()
    assert all(e.startswith("cannot reach the server") for e in third["result_error"])
    assert third["result_verified"].isna().all()


# ---- limits ------------------------------------------------------------------------------------


def test_the_time_budget_ends_the_call(devnet, gw, cache_dir):
    fast = devnet.ipfs.add_json({"fast": 1})
    slow = devnet.ipfs.add_json({"slow": 1})
    gw.slow.add(slow)
    gw.slow_delay = 20
    t = time.perf_counter()
    df = fetch(devnet, [gw.url_of(fast), gw.url_of(slow)], budget=1.0)
    took = time.perf_counter() - t
    assert took < 2.5, took
    assert df["result"].iloc[0] == {"fast": 1}
    assert df["result_kind"].iloc[1] == "error"
    assert df["result_error"].iloc[1] == "timed out: the time budget ran out"
    # the per-result time-out, without a budget
    t = time.perf_counter()
    df = fetch(devnet, [gw.url_of(slow)], timeout=0.5)
    assert time.perf_counter() - t < 2.5
    assert df["result_error"].iloc[0].startswith("timed out")
    with pytest.raises(ow.ResultTimeoutError):
        responses([gw.url_of(slow)])[0].fetch_data(network=devnet, timeout=0.5)


def test_the_size_cap(devnet, gw, cache_dir):
    large = big_json(1_500_000)
    cids = [devnet.ipfs.add(large, 0), devnet.ipfs.add(large, 1)]
    df = fetch(devnet, [gw.url_of(c) for c in cids], max_bytes=1_000_000)
    assert (df["result_kind"] == "error").all()
    assert all(e.startswith("too large") for e in df["result_error"]), df["result_error"]
    gw.trustless = False
    df = fetch(devnet, [gw.url_of(cids[0])], max_bytes=1_000_000)
    assert df["result_error"].iloc[0].startswith("too large")
    with pytest.raises(ow.ResultTooLargeError) as e:
        responses([gw.url_of(cids[0])])[0].fetch_data(network=devnet, max_bytes=1000)
    assert e.value.response == f"0x{1:040x}"
    gw.trustless = True
    df = fetch(devnet, [gw.url_of(cids[0])], max_bytes=2_000_000)
    assert df["result_verified"].iloc[0] and df["result_size"].iloc[0] == len(large)


def test_a_missing_cid_is_a_404_error(devnet, gw, cache_dir):
    cid = add_file(b"never stored anywhere")[0]
    df = fetch(devnet, [gw.url_of(cid)])
    assert df["result_error"].iloc[0] == "not found on the gateway (HTTP 404)"
    assert df["result_verified"].isna().iloc[0] and df["result_cid"].iloc[0] == str(cid)


# ---- kinds and hostile payloads ---------------------------------------------------------------

HOSTILE = {
    "result": "<script>alert(document.cookie)</script><img src=x onerror=alert(1)>",
    "svg": '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    "ansi": "\x1b[31mred\x1b[0m\x1b]0;title\x07",
    "rtl": "\u202eevil\u202c",
    "template": "{{7*7}} ${jndi:ldap://127.0.0.1/x} %s%n",
    "sql": "'; DROP TABLE responses; --",
    "long": "A" * 100_000,
    "__proto__": {"polluted": True},
}


def test_kinds_and_hostile_payloads_come_back_as_inert_data(devnet, gw, cache_dir):
    image = png(64, 1)
    blobs = {
        "malformed": b'{"result": "positive", "confidence": ',
        "image": image,
        "text": "plain text with ünïcode\n".encode(),
        "binary": bytes(range(256)) * 4,
        "svg": HOSTILE["svg"].encode(),
        "hostile": json.dumps(HOSTILE).encode(),
        "html": b"<html><script>alert(1)</script></html>",
    }
    cids = {k: devnet.ipfs.add(v, 1) for k, v in blobs.items()}
    df = fetch(devnet, [gw.url_of(c) for c in cids.values()])
    kinds = dict(zip(blobs, df["result_kind"], strict=True))
    assert kinds == {"malformed": "text", "image": "image", "text": "text", "binary": "binary",
                     "svg": "text", "hostile": "json", "html": "text"}  # fmt: skip
    values = dict(zip(blobs, df["result"], strict=True))
    assert values["image"] == image and isinstance(values["image"], bytes)
    assert values["malformed"] == blobs["malformed"].decode()
    assert values["hostile"] == HOSTILE
    assert values["svg"] == HOSTILE["svg"]
    assert all_true(df["result_verified"]) and (df["result_error"] == "").all()


# ---- inputs ------------------------------------------------------------------------------------


def test_inputs_frame_addresses_records_and_one(devnet, gw, cache_dir):
    source = devnet.publish_source("manual")
    task = devnet.publish_task(source)
    addresses = [devnet.respond(task, k) for k in range(3)]
    df = ow.load_responses(tasks=[task], network=devnet, progress=False)
    from_frame = ow.fetch_results(df, network=devnet, progress=False, budget=15)
    assert list(from_frame.index) == list(df.index) and from_frame.index.name == "address"
    from_addresses = ow.fetch_results(addresses[::-1], network=devnet, progress=False, budget=15)
    assert list(from_addresses.index) == addresses[::-1]
    records = ow.get_task_responses(task, network=devnet)
    from_records = ow.fetch_results(records, network=devnet, progress=False, budget=15)
    assert list(from_records.index) == [r.address for r in records]
    alone = ow.fetch_results(addresses[0], network=devnet, progress=False, budget=15)
    assert list(alone.index) == [addresses[0]]
    assert from_frame.loc[addresses[0], "result_cid"] == alone.loc[addresses[0], "result_cid"]
    with pytest.raises(ow.InvalidAddressError):
        ow.fetch_results(["not an address"], network=devnet)


def test_fetch_data_returns_the_parsed_result(devnet, gw, cache_dir):
    obj = {"result": "positive", "confidence": 0.97}
    cid = devnet.ipfs.add_json(obj)
    (r,) = responses([gw.url_of(cid)])
    assert r.fetch_data(network=devnet) == obj
    assert r.fetch_data(gateway=gw.url, cache=False) == obj
    with pytest.raises(ow.ResultNotFetchedError, match="names no IPFS CID"):
        responses(["https://example.com/x.json"])[0].fetch_data(network=devnet)


def test_load_responses_with_results_flattens_json(devnet, gw, cache_dir, caplog):
    caplog.set_level(logging.WARNING)
    source = devnet.publish_source("manual")
    tasks = [devnet.publish_task(source) for _ in range(3)]
    for t in tasks:
        for k in range(3):
            devnet.respond(
                t, k, gw.url_of(devnet.ipfs.add_json(
                    {"result": ["positive", "negative"][k % 2], "confidence": 0.5 + k / 10,
                     "meta": {"model": f"m{k}"}}, cid_version=k % 2))
            )  # fmt: skip
        devnet.respond(t, 3, "https://example.com/not-ipfs")
    df = ow.load_responses(tasks=tasks, network=devnet, progress=False, results=True)
    assert len(df) == 12
    for col in ("result", "result_kind", "result_cid", "result_verified", "result_error",
                "result_size", "result.result", "result.confidence", "result.meta.model"):  # fmt: skip
        assert col in df.columns, col
    mean = df.groupby("provider")["result.confidence"].mean()
    for k in range(3):
        assert mean[devnet.providers[k].address] == pytest.approx(0.5 + k / 10)
    assert pd_na() is not None and mean.isna()[devnet.providers[3].address]
    ok = df[df["result_kind"] == "json"]
    assert all_true(ok["result_verified"]) and len(ok) == 9
    bad = df[df["result_kind"] == "error"]
    assert len(bad) == 3 and all(e.startswith("not fetched") for e in bad["result_error"])
    assert bad["result.confidence"].isna().all()
    opts = ow.load_responses(tasks=tasks[:1], network=devnet, progress=False,
                             results={"cache": False, "timeout": 5})  # fmt: skip
    assert opts["result_verified"].sum() == 3
    with pytest.raises(TypeError, match="did you mean 'timeout'"):
        ow.load_responses(tasks=tasks[:1], network=devnet, results={"timout": 1})


# ---- one hostile result among good ones ---------------------------------------------------------


class Hostile(ThreadingHTTPServer):
    """A gateway in front of the devnet's that answers the CAR request of each CID in
    ``cars`` with the bytes given there (a hostile CAR), and forwards everything else."""

    daemon_threads = True

    def __init__(self, upstream: str, cars: dict[str, bytes]) -> None:
        self.upstream, self.cars = upstream, cars
        super().__init__(("127.0.0.1", 0), _HostileHandler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, args=(0.02,), daemon=True).start()

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class _HostileHandler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        cid = self.path.split("/ipfs/", 1)[-1].split("?", 1)[0].split("/", 1)[0]
        if cid in self.server.cars and "format=car" in self.path:
            body, ctype, status = self.server.cars[cid], "application/vnd.ipld.car", 200
        else:
            up = requests.get(self.server.upstream + self.path,
                              headers={"Accept": self.headers.get("Accept", "*/*")}, timeout=10)  # fmt: skip
            body, ctype, status = up.content, up.headers.get("Content-Type", ""), up.status_code
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _deep_car(depth: int = 20_000) -> bytes:
    from ogpu_widgets.results.cid import put_uvarint

    header = b"\x81" * depth + b"\x01"
    return put_uvarint(len(header)) + header


_CHILD_FETCH = """
import json, sys
import web3  # raises the recursion limit to 100,000, as in a notebook using the SDK
import ogpu_widgets as ow
datas, gateway, cache = json.loads(sys.argv[1])
rows = [ow.TaskResponse(f"0x{i + 1:040x}", "0x" + "7" * 40, "0x" + "8" * 40, d, 0, "submitted",
                        False, 0) for i, d in enumerate(datas)]
df = ow.fetch_results(rows, gateway=gateway, cache=cache, progress=False)
print(json.dumps([df["result"].tolist(), df["result_kind"].astype(str).tolist(),
                  df["result_verified"].astype(object).where(df["result_verified"].notna(),
                                                             None).tolist(),
                  df["result_error"].tolist()]))
"""


def test_one_hostile_result_keeps_the_three_good_ones(devnet, gw, cache_dir):
    import subprocess
    import sys

    goods = [{"good": i} for i in range(3)]
    cids = [devnet.ipfs.add_json(g) for g in goods]
    deep = devnet.ipfs.add_json({"served": "as a CAR whose header is 20,000 deep"})
    proxy = Hostile(gw.url, {str(deep): _deep_car()})
    datas = [f"ipfs://{c}" for c in (cids[0], deep, cids[1], cids[2])]
    try:  # in a child with web3 imported: a crash of the decoder fails this test, not pytest
        for cache in (str(cache_dir), str(cache_dir)):  # the second time, good rows cached
            done = subprocess.run(
                [sys.executable, "-c", _CHILD_FETCH, json.dumps([datas, proxy.url, cache])],
                capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            assert done.returncode == 0, (done.returncode, done.stderr[-3000:])
            results, kinds, verified, errors = json.loads(done.stdout.strip().splitlines()[-1])
            assert [results[i] for i in (0, 2, 3)] == goods
            assert [verified[i] for i in (0, 2, 3)] == [True] * 3 and verified[1] is False
            assert kinds[1] == "error"
            assert errors[1].startswith("verification failed: the gateway's CAR does not")
            assert "header" in errors[1]
    finally:
        proxy.close()


def test_anything_a_decoder_raises_is_that_rows_error(devnet, gw, cache_dir, monkeypatch):
    goods = [{"good": i} for i in range(3)]
    cids = [devnet.ipfs.add_json(g) for g in goods]
    # anything a decoder raises (here RecursionError) is that row's typed error, not the call's
    from ogpu_widgets.results import outcome

    real = outcome.classify
    bomb = devnet.ipfs.add(b'"bomb"', 1)

    def classify(content):
        if content == b'"bomb"':
            raise RecursionError("maximum recursion depth exceeded")
        return real(content)

    monkeypatch.setattr(outcome, "classify", classify)
    datas = [f"ipfs://{c}" for c in (cids[0], bomb, cids[1], cids[2])]
    for cache in (False, True):
        df = fetch(devnet, datas, cache=cache)
        assert df["result"].iloc[[0, 2, 3]].tolist() == goods
        assert df["result_kind"].iloc[1] == "error" and df["result_cid"].iloc[1] == str(bomb)
        assert "RecursionError" in df["result_error"].iloc[1]
    with pytest.raises(ow.ResultError, match="RecursionError"):
        responses([datas[1]])[0].fetch_data(network=devnet)


def test_a_smaller_max_bytes_keeps_the_cached_entry(devnet, gw, cache_dir):
    large = big_json(300_000)
    cid = devnet.ipfs.add(large, 0)
    url = gw.url_of(cid)
    assert fetch(devnet, [url])["result_verified"].iloc[0]
    files = list(cache_dir.iterdir())
    assert len(files) == 1
    forget_memory()
    df = fetch(devnet, [url], max_bytes=1000)
    assert df["result_error"].iloc[0].startswith("too large")
    assert list(cache_dir.iterdir()) == files  # kept for the calls that allow it
    hits = gw.hits
    forget_memory()
    df = fetch(devnet, [url])
    assert df["result_verified"].iloc[0] and gw.hits == hits  # from the cache, not the gateway


def test_the_cars_roots_are_ignored(devnet, gw, cache_dir):
    from ogpu_widgets.results.car import write_car

    content = big_json(400_000)
    cid, blocks = add_file(content, cid_version=1)
    assert devnet.ipfs.add(content, 1) == cid
    other, _ = add_file(b"another root")
    proxy = Hostile(gw.url, {str(cid): write_car([other], blocks.items())})
    try:
        df = fetch(devnet, [f"ipfs://{cid}"], gateway=proxy.url, cache=False)
    finally:
        proxy.close()
    assert df["result_verified"].iloc[0] == True, df["result_error"].iloc[0]  # noqa: E712
    assert df["result"].iloc[0] == json.loads(content)
