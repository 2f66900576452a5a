"""Every refusal of the fetch policy, against local HTTP servers that count their hits and get
none: loopback URLs, private and link-local addresses, the decimal/hex/octal IPv4 forms, IPv6
loopback, other schemes, public-looking URLs without ``allow_urls``, and a gateway that
redirects to a private address. Every outgoing connection of the process is recorded too, so a
refused URL is proved never to have been contacted."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import ogpu_widgets as ow
from ogpu_widgets.results import ResultVerificationWarning
from ogpu_widgets.results.unixfs import add_file

CID = str(add_file(b'{"ok": true}')[0])


class Counter(ThreadingHTTPServer):
    """Answers every GET with 200 "secret" (or a redirect to ``self.location``); counts."""

    daemon_threads = True

    def __init__(self, host: str = "127.0.0.1", family: int = socket.AF_INET) -> None:
        self.address_family = family
        self.hits: list[str] = []
        self.location: str | None = None
        super().__init__((host, 0), _Handler)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, args=(0.02,), daemon=True).start()

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        self.server.hits.append(self.path)
        if self.server.location:
            self.send_response(302)
            self.send_header("Location", self.server.location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "6")
        self.end_headers()
        self.wfile.write(b"secret")


@pytest.fixture
def target():
    server = Counter()
    yield server
    server.close()


@pytest.fixture
def gateway():
    """A "gateway" that counts too (it is allowed; what matters is who else is contacted)."""
    server = Counter()
    yield server
    server.close()


@pytest.fixture
def connections(monkeypatch):
    """Every (host, port) this process connects a socket to while the test runs."""
    seen: list[tuple] = []
    real = socket.socket.connect

    def connect(self, address):
        seen.append(address)
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return seen


def one(data: str, **options) -> ow.TaskResponse:
    return ow.TaskResponse("0x" + "a" * 40, "0x" + "b" * 40, "0x" + "c" * 40, data, 0,
                           "submitted", False, 0)  # fmt: skip


def fetch(datas: list[str], gw: str, **options):
    responses = [
        ow.TaskResponse(
            f"0x{i:040x}", "0x" + "b" * 40, "0x" + "c" * 40, d, 0, "submitted", False, 0
        )  # fmt: skip
        for i, d in enumerate(datas)
    ]
    return ow.fetch_results(responses, gateway=gw, cache=False, progress=False, **options)


def assert_refused(df, *, contains: str = ""):
    assert (df["result_kind"] == "error").all(), df
    for error in df["result_error"]:
        assert error.startswith("not fetched: "), error
        assert contains in error, error
    assert df["result"].isna().all()
    assert df["result_verified"].isna().all()


def test_loopback_and_local_names_are_not_fetched(target, gateway, connections):
    p = target.port
    datas = [
        f"http://127.0.0.1:{p}/secret",
        f"http://localhost:{p}/secret",
        f"http://foo.localhost:{p}/secret",
        f"https://127.0.0.1:{p}/secret",
    ]
    gw = f"http://127.0.0.1:{gateway.port}"
    assert_refused(fetch(datas, gw), contains="allow_urls=True")
    assert_refused(fetch(datas, gw, allow_urls=True), contains="allow_private=True")
    assert target.hits == [] and gateway.hits == [] and connections == []


def test_numeric_ipv4_forms_and_ipv6_loopback_are_not_fetched(target, gateway, connections):
    p = target.port
    datas = [
        f"http://2130706433:{p}/",
        f"http://0x7f.1:{p}/",
        f"http://0x7f000001:{p}/",
        f"http://0177.0.0.1:{p}/",
        f"http://127.1:{p}/",
        f"http://[::1]:{p}/",
        f"http://[::ffff:127.0.0.1]:{p}/",
        f"http://[::ffff:7f00:1]:{p}/",
        f"http://[0:0:0:0:0:0:0:1]:{p}/",
    ]
    df = fetch(datas, f"http://127.0.0.1:{gateway.port}", allow_urls=True)
    assert_refused(df, contains="loopback")
    assert target.hits == [] and gateway.hits == [] and connections == []


def test_ipv6_loopback_server_gets_no_hit(gateway, connections):
    try:
        server6 = Counter("::1", socket.AF_INET6)
    except OSError:
        pytest.skip("no IPv6 loopback here")
    try:
        df = fetch([f"http://[::1]:{server6.port}/x"], f"http://127.0.0.1:{gateway.port}",
                   allow_urls=True)  # fmt: skip
        assert_refused(df, contains="loopback address ::1")
        assert server6.hits == [] and connections == []
    finally:
        server6.close()


def test_private_link_local_and_metadata_addresses_are_not_fetched(gateway, connections):
    datas = [
        "http://10.0.0.1/x",
        "http://172.16.5.4:8080/x",
        "http://192.168.1.1/admin",
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://[fe80::1]/x",
        "http://[fd00::1]/x",
        "http://0.0.0.0:80/",
        "http://[::ffff:169.254.169.254]/latest/meta-data/",
        "http://2852039166/latest/meta-data/",  # 169.254.169.254 in decimal
        "http://0xa9.0xfe.0xa9.0xfe/",
        "http://224.0.0.1/",
    ]
    gw = f"http://127.0.0.1:{gateway.port}"
    df = fetch(datas, gw, allow_urls=True)
    assert_refused(df, contains="address")
    assert "link-local address 169.254.169.254" in df["result_error"].iloc[3]
    assert_refused(fetch(datas, gw))
    assert gateway.hits == [] and connections == []


def test_other_schemes_are_never_fetched(target, gateway, connections):
    p = target.port
    datas = [
        "file:///etc/passwd",
        f"ftp://127.0.0.1:{p}/x",
        f"gopher://127.0.0.1:{p}/_GET%20/secret",
        'data:application/json,{"a":1}',
        f"ws://127.0.0.1:{p}/",
        "javascript:alert(1)",
    ]
    for options in ({}, {"allow_urls": True, "allow_private": True}):
        assert_refused(fetch(datas, f"http://127.0.0.1:{gateway.port}", **options))
    assert target.hits == [] and gateway.hits == [] and connections == []


def test_a_public_looking_url_is_not_fetched_without_allow_urls(gateway, connections):
    datas = ["https://example.com/result.json", "http://93.184.216.34/result.json",
             "https://cipfs.ogpuscan.io/ipns/example.com"]  # fmt: skip
    df = fetch(datas, f"http://127.0.0.1:{gateway.port}")
    assert_refused(df, contains="names no IPFS CID")
    assert gateway.hits == [] and connections == []


def test_an_ipfs_url_naming_another_host_goes_to_the_gateway_only(target, gateway, connections):
    gateway.location = None
    datas = [f"http://127.0.0.1:{target.port}/ipfs/{CID}", f"http://169.254.169.254/ipfs/{CID}"]
    with pytest.warns(ResultVerificationWarning):  # its "secret" is not the CID's content
        df = fetch(datas, f"http://127.0.0.1:{gateway.port}")
    assert target.hits == []
    assert gateway.hits and all(h.startswith(f"/ipfs/{CID}") for h in gateway.hits)
    assert {a[1] for a in connections if len(a) >= 2} == {gateway.port}
    assert (df["result_cid"] == CID).all()
    assert df["result_verified"].tolist() == [False, False]


@pytest.mark.parametrize(
    "where",
    ["http://127.0.0.1:{p}/secret", "http://169.254.169.254/latest/meta-data/",
     "http://2130706433:{p}/secret", "http://[::1]:{p}/secret", "file:///etc/passwd",
     "gopher://127.0.0.1:{p}/"],
)  # fmt: skip
def test_a_gateway_redirect_to_a_private_address_is_refused(where, target, gateway, connections):
    gateway.location = where.format(p=target.port)
    df = fetch([f"ipfs://{CID}"], f"http://127.0.0.1:{gateway.port}")
    assert df["result_kind"].iloc[0] == "error"
    assert df["result_error"].iloc[0].startswith("not fetched: redirect to"), df["result_error"]
    assert df["result_cid"].iloc[0] == CID
    assert target.hits == [] and gateway.hits
    assert {a[1] for a in connections if len(a) >= 2} == {gateway.port}


def test_redirects_are_limited(gateway):
    gateway.location = f"http://127.0.0.1:{gateway.port}/again"
    df = fetch([f"ipfs://{CID}"], f"http://127.0.0.1:{gateway.port}")
    assert df["result_error"].iloc[0] == "more than 3 redirects"
    assert len(gateway.hits) == 4


def test_allowed_explicitly_a_plain_url_is_fetched_unverified(target, gateway):
    url = f"http://127.0.0.1:{target.port}/secret"
    df = fetch([url], f"http://127.0.0.1:{gateway.port}", allow_urls=True, allow_private=True)
    assert df["result"].iloc[0] == "secret" and df["result_kind"].iloc[0] == "text"
    assert df["result_verified"].isna().all() and df["result_cid"].isna().all()
    assert target.hits == ["/secret"] and gateway.hits == []
    with pytest.raises(ow.ResultNotFetchedError, match="allow_urls") as info:
        one(url).fetch_data(gateway=f"http://127.0.0.1:{gateway.port}")
    assert info.value.response == "0x" + "a" * 40 and info.value.url == url
