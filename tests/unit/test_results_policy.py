"""The fetch policy without a network: which addresses, hosts, schemes and URLs the kernel may
contact, the gateway's precedence, kind detection, and the typed errors of bad arguments."""

from __future__ import annotations

import ipaddress

import pytest

import ogpu_widgets as ow
from ogpu_widgets.chain.network import Network
from ogpu_widgets.errors import (
    InvalidArgumentError,
    NetworkConfigError,
    ResultNotFetchedError,
    ResultTimeoutError,
)
from ogpu_widgets.results import classify, resolve_gateway
from ogpu_widgets.results.policy import Limits, UrlPolicy, address_reason, host_reason

GW = "http://127.0.0.1:5999"

FORBIDDEN = {
    "127.0.0.1": "loopback",
    "127.255.0.9": "loopback",
    "10.1.2.3": "private",
    "172.16.0.1": "private",
    "192.168.1.1": "private",
    "169.254.169.254": "link-local",
    "0.0.0.0": "unspecified",
    "224.0.0.251": "multicast",
    "239.1.2.3": "multicast",
    "100.64.0.1": "address",  # shared (CGNAT) space: not global
    "198.18.0.1": "address",
    "255.255.255.255": "address",
    "::1": "loopback",
    "::": "unspecified",
    "fe80::1": "link-local",
    "fc00::1": "private",
    "fd12:3456::1": "private",
    "ff02::1": "multicast",
    "::ffff:127.0.0.1": "loopback",
    "::ffff:169.254.169.254": "link-local",
    "::ffff:10.0.0.1": "private",
    "2002:7f00:1::": "loopback",  # 6to4 of 127.0.0.1
    "64:ff9b::a9fe:a9fe": "link-local",  # NAT64 of 169.254.169.254
}


@pytest.mark.parametrize("address,label", sorted(FORBIDDEN.items()))
def test_non_public_addresses_are_refused(address, label):
    reason = address_reason(ipaddress.ip_address(address))
    assert reason and label in reason


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_pass(address):
    assert address_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "host",
    ["localhost", "LOCALHOST.", "foo.localhost", "a.b.localhost", "2130706433", "0x7f.1",
     "0x7f000001", "0177.0.0.1", "127.1", "017700000001", "[::1]", "::ffff:7f00:1",
     "0251.0376.0251.0376", "0xa9fea9fe", "2852039166", "10.1"],
)  # fmt: skip
def test_numeric_and_local_host_forms_are_refused_without_dns(host, monkeypatch):
    def no_dns(*a, **k):
        raise AssertionError("looked up in DNS")

    monkeypatch.setattr("socket.getaddrinfo", no_dns)
    assert host_reason(host, 80)


def test_names_are_resolved_and_every_address_checked(monkeypatch):
    answers = {
        "evil.example": ["93.184.216.34", "127.0.0.1"],
        "fine.example": ["93.184.216.34", "2606:2800:220:1::1"],
        "meta.example": ["::ffff:169.254.169.254"],
    }

    def fake(host, port, *a, **k):
        return [(0, 0, 0, "", (ip, port)) for ip in answers[host]]

    monkeypatch.setattr("socket.getaddrinfo", fake)
    assert "loopback" in host_reason("evil.example", 80)
    assert host_reason("fine.example", 443) is None
    assert "link-local" in host_reason("meta.example", 80)


REFUSED_URLS = [
    "file:///etc/passwd",
    "ftp://example.com/x",
    "gopher://example.com/",
    "data:text/plain,hello",
    "javascript:alert(1)",
    "ipns://k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8",
    "http://example.com\\@127.0.0.1/",
    "http://exa mple.com/",
    "http://example.com/\x00",
    "//example.com/x",
    "example.com/x",
]


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_other_schemes_and_odd_urls_are_never_fetched(url):
    for policy in (UrlPolicy(GW), UrlPolicy(GW, allow_urls=True, allow_private=True)):
        with pytest.raises(ResultNotFetchedError, match="^not fetched: "):
            policy.check(url)


def test_plain_urls_need_allow_urls_and_private_ones_allow_private():
    with pytest.raises(ResultNotFetchedError, match="names no IPFS CID.*allow_urls=True"):
        UrlPolicy(GW).check("https://8.8.8.8/result.json")
    UrlPolicy(GW, allow_urls=True).check("https://8.8.8.8/result.json")
    for url in ("http://127.0.0.1:8080/x", "http://[::1]/x", "http://169.254.169.254/latest",
                "http://2130706433/", "http://0x7f.1/", "http://localhost/"):  # fmt: skip
        with pytest.raises(ResultNotFetchedError, match="allow_private=True"):
            UrlPolicy(GW, allow_urls=True).check(url)
        UrlPolicy(GW, allow_urls=True, allow_private=True).check(url)


def test_the_gateway_is_always_allowed_and_redirects_are_checked_again():
    policy = UrlPolicy(GW)
    policy.check(GW + "/ipfs/QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o")
    assert not policy.is_gateway("http://127.0.0.1:6000/ipfs/x")
    with pytest.raises(ResultNotFetchedError, match="redirect to.*link-local"):
        policy.check("http://169.254.169.254/latest/meta-data", redirect=True)
    with pytest.raises(ResultNotFetchedError, match="redirect to.*loopback"):
        policy.check("http://127.0.0.1:6000/x", redirect=True)
    with pytest.raises(ResultNotFetchedError):
        policy.check("file:///etc/passwd", redirect=True)
    policy.check("https://8.8.8.8/x", redirect=True)  # a public host the gateway chose
    sub = UrlPolicy("http://localhost:8080")
    sub.check(
        "http://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi.ipfs.localhost:8080/"
    )


def test_gateway_precedence_argument_env_network(monkeypatch):
    monkeypatch.delenv("OGPU_IPFS_GATEWAY", raising=False)
    assert ow.MAINNET.ipfs_gateway == ow.TESTNET.ipfs_gateway == "https://cipfs.ogpuscan.io"
    assert resolve_gateway(None, ow.MAINNET) == "https://cipfs.ogpuscan.io"
    monkeypatch.setenv("OGPU_IPFS_GATEWAY", "http://env.example:8080/ipfs/")
    assert resolve_gateway(None, ow.MAINNET) == "http://env.example:8080"
    assert resolve_gateway("https://arg.example/", ow.MAINNET) == "https://arg.example"
    with pytest.raises(NetworkConfigError, match="not an http"):
        resolve_gateway("ftp://x", ow.MAINNET)


def test_network_field_and_devnet_state_key():
    net = ow.MAINNET.with_settings(ipfs_gateway="http://127.0.0.1:8080/")
    assert net.ipfs_gateway == "http://127.0.0.1:8080"
    state = {
        "rpc_url": "http://127.0.0.1:8545",
        "chain_id": 31337,
        "contracts": {
            "nexus": "0x" + "1" * 40,
            "controller": "0x" + "2" * 40,
            "vault": "0x" + "3" * 40,
        },  # fmt: skip
        "ipfs_gateway": "http://127.0.0.1:5001",
    }
    assert Network.from_devnet(state).ipfs_gateway == "http://127.0.0.1:5001"
    assert Network.from_devnet({**state, "ipfs_gateway": None}).ipfs_gateway == ""
    with pytest.raises(NetworkConfigError, match="ipfs_gateway"):
        Network.from_devnet({**state, "ipfs_gateway": "file:///x"})
    with pytest.raises(NetworkConfigError):
        ow.MAINNET.with_settings(ipfs_gateway=42)


def test_limits_time_out():
    limits = Limits(timeout=0.01, max_bytes=1)
    assert limits.remaining() > 0
    import time

    time.sleep(0.02)
    with pytest.raises(ResultTimeoutError, match="after 0.01 s"):
        limits.remaining()
    budget = Limits(timeout=10, max_bytes=1, budget_end=time.monotonic() - 1)
    with pytest.raises(ResultTimeoutError, match="budget"):
        budget.remaining()


PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")


@pytest.mark.parametrize(
    "content,kind",
    [
        (b'{"result": "positive", "confidence": 0.97}', "json"),
        (b"\xef\xbb\xbf[1, 2]", "json"),
        (b"42", "json"),
        (b'{"result": "positive",', "text"),
        (b"hello world\n", "text"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "text"),
        (PNG, "image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image"),
        (b"GIF89a\x01\x00", "image"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image"),
        (b"\x00\xff\xfe\x80binary", "binary"),
        (b"[" * 100_000 + b"]" * 100_000, "text"),
        (b"1" * 10_000, "text"),
    ],
)
def test_kind_detection(content, kind):
    got, value = classify(content)
    assert got == kind
    if kind in ("image", "binary"):
        assert value == content
    elif kind == "text":
        assert value == content.decode()


def test_deep_json_is_text_even_with_a_raised_recursion_limit():
    """web3's py_ecc raises the recursion limit to 100,000: json.loads of 100,000 "[" would
    then overflow the C stack and kill the kernel. Such a payload is shown as text."""
    import sys

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 100_000))
    try:
        for payload in (b"[" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000):
            assert classify(payload)[0] == "text"
        assert classify(b"[" + b'"[[[[\\\\", ' * 1000 + b"1]")[0] == "json"  # in strings
    finally:
        sys.setrecursionlimit(old)


@pytest.mark.parametrize("bad", [None, 123, 1.5, {"a": 1}, object()])
def test_wrong_inputs_are_typed_errors(bad):
    with pytest.raises(InvalidArgumentError, match="responses"):
        ow.fetch_results(bad)


def test_mixed_inputs_and_bad_options_are_typed_errors():
    r = ow.TaskResponse("0x" + "1" * 40, "0x" + "2" * 40, "0x" + "3" * 40, "x", 0, "submitted",
                        False, 0)  # fmt: skip
    with pytest.raises(InvalidArgumentError, match="mixes"):
        ow.fetch_results([r, "0x" + "1" * 40])
    for kw in ({"timeout": 0}, {"timeout": "1"}, {"max_bytes": 0}, {"budget": -1},
               {"workers": 0}, {"cache": 3}):  # fmt: skip
        with pytest.raises(InvalidArgumentError):
            ow.fetch_results([r], progress=False, **kw)
    with pytest.raises(TypeError, match="did you mean 'timeout'"):
        r.fetch_data(timeot=1)
    assert ow.fetch_results([]).empty
