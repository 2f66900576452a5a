"""ResponseTable under bad input: requests from the front-end checked as strictly as Python
calls, strict construction, bad DataFrames, and the key kept out of every traceback."""

from __future__ import annotations

import struct
import traceback

import pandas as pd
import pytest
from support import until
from test_table import attach, custom_from_js, from_js, row, world  # noqa: F401

from ogpu_widgets.errors import OgpuWidgetsError, ResponseTableError
from ogpu_widgets.table import ResponseTable


def table(devnet, world, **kw):  # noqa: F811
    return ResponseTable(world["df"], network=devnet.network, **kw)


# ---- 9. requests from the front-end ------------------------------------------------------------


@pytest.mark.parametrize("rid", [None, "", "   ", 7, 7.0, True, ["x"], {"a": 1}, "x" * 500])
def test_a_request_without_a_usable_id_is_answered_and_cleared(devnet, world, rid):  # noqa: F811
    t = table(devnet, world, account=devnet.client.private_key)
    message = {"response": world["responses"][0]}
    if rid is not None:
        message["id"] = rid
    from_js(t, _confirm_request=message)
    assert t._reply["ok"] is False and "request id" in t._reply["error"]
    assert t._confirm_request == {}
    assert t.confirmations == {}  # nothing was started


def test_ids_are_compared_exactly(devnet, world):  # noqa: F811
    t = table(devnet, world, account=devnet.client.private_key)
    unknown = "0x" + "12" * 20
    from_js(t, _confirm_request={"id": "7", "response": unknown})
    assert t._reply["id"] == "7" and "not a row" in t._reply["error"]
    from_js(t, _confirm_request={"id": 7, "response": unknown})  # 7 is not "7"
    assert "request id" in t._reply["error"]
    from_js(t, _confirm_request={"id": "None", "response": unknown})
    assert t._reply["id"] == "None" and "not a row" in t._reply["error"]
    from_js(t, _confirm_request={"id": None, "response": unknown})  # None is not "None"
    assert "request id" in t._reply["error"]
    from_js(t, _confirm_request={"id": "7", "response": unknown})
    assert "already handled" in t._reply["error"]


def test_a_lowercase_address_marks_its_row(devnet, world):  # noqa: F811
    t = table(devnet, world, account=devnet.client.private_key)
    fresp = world["fresp"]
    from_js(t, _confirm_request={"id": "lc", "response": fresp.lower()})
    assert t._reply["ok"] is False and "confirmed" in t._reply["error"]
    assert row(t, fresp)["action"] == "refused"  # the row, found by its checksummed key


@pytest.mark.parametrize(
    "view",
    [
        {"all": False, "positions": b"\x01\x00"},  # not a multiple of 4 bytes
        {"all": False, "positions": struct.pack("<I", 10**6)},  # past the snapshot
        {"all": "no", "positions": b""},
        {"all": False, "positions": "0,1"},
        {"all": False, "positions": 12},
    ],
)
def test_a_malformed_view_never_breaks_view(devnet, world, view):  # noqa: F811
    t = table(devnet, world)
    keys = list(world["df"].index)
    from_js(t, _view={"all": False, "positions": struct.pack("<2I", 1, 0)})
    assert list(t.view.index) == [keys[1], keys[0]]
    from_js(t, _view=view)  # a buffer for bytes, else the JSON value, as the comm delivers
    assert list(t.view.index) == [keys[1], keys[0]]  # the last good view stays


def test_an_estimate_request_without_an_id(devnet, world):  # noqa: F811
    t = table(devnet, world, account=devnet.client.private_key)
    comm = attach(t)
    custom_from_js(t, {"type": "estimate", "id": 5, "response": world["responses"][0]})
    assert "string id" in until(comm.customs, 10, "the refusal")[0]["error"]


# ---- strict construction and bad frames -------------------------------------------------------


def test_an_unknown_keyword_names_the_closest_valid_one(devnet, world):  # noqa: F811
    key = devnet.client.private_key
    with pytest.raises(TypeError, match="'acount'.*did you mean 'account'") as info:
        table(devnet, world, acount=key)
    assert key[2:].lower() not in str(info.value).lower()
    with pytest.raises(TypeError, match="did you mean 'columns'"):
        table(devnet, world, colums=["address"])


def test_a_wrong_checksum_in_the_index_is_refused(devnet, world):  # noqa: F811
    df = world["df"].copy()
    first = df.index[0]
    digits = first[2:]
    i = next(k for k, c in enumerate(digits) if c.isalpha())
    broken = "0x" + digits[:i] + digits[i].swapcase() + digits[i + 1 :]
    df.index = [broken, *df.index[1:]]
    with pytest.raises(ResponseTableError, match="EIP-55"):
        ResponseTable(df, network=devnet.network)
    df.index = [first.lower(), *world["df"].index[1:]]  # one spelling: normalized
    t = ResponseTable(df, network=devnet.network)
    assert list(t.df.index) == list(world["df"].index)
    df.index = [first.lower(), first, *world["df"].index[2:]]  # two spellings of one row
    with pytest.raises(ResponseTableError, match="twice"):
        ResponseTable(df, network=devnet.network)


def test_two_load_responses_frames_concatenated_make_one_table(devnet, world):  # noqa: F811
    """``pd.concat`` of two ``load_responses`` frames (chunked strings, a duplicate read of the
    same responses) is normalized once: one row per response, shown and confirmable."""
    import ogpu_widgets as ow

    manual = ow.load_responses(tasks=[world["task"]], network=devnet.network, progress=False)
    first = ow.load_responses(tasks=[world["ftask"]], network=devnet.network, progress=False)
    both = pd.concat([manual, first, manual])
    t = ResponseTable(both, network=devnet.network, live=False)
    assert list(t.df.index) == [*manual.index, *first.index]
    assert row(t, world["responses"][0])["task"] == world["task"]
    assert row(t, world["fresp"])["reason"] == "read-only"  # shown with its verdict
    t.close()


def test_a_blank_env_key_makes_a_read_only_table_with_a_note(devnet, world, monkeypatch):  # noqa: F811
    monkeypatch.setenv("CLIENT_PRIVATE_KEY", "   \n")
    t = table(devnet, world)
    assert t.read_only and t.account == ""
    assert "CLIENT_PRIVATE_KEY" in t.banner["message"] and t.banner["level"] == "info"


# ---- 7. the key stays out of tracebacks and reprs ---------------------------------------------


def _library_text(exc: BaseException) -> str:
    """The message, and every local of every library frame, as a verbose traceback shows them."""
    tb = traceback.TracebackException.from_exception(exc, capture_locals=True)
    parts = [str(exc)]
    for frame in tb.stack:
        if "/ogpu_widgets/" in frame.filename:
            parts += [f"{k}={v}" for k, v in (frame.locals or {}).items()]
    return "\n".join(parts).lower()


def test_a_failed_construction_leaks_no_key(devnet, world):  # noqa: F811
    key = devnet.client.private_key
    bad_df = world["df"].drop(columns=["task"])
    for kwargs in (
        {"data": bad_df},
        {"data": world["df"], "columns": ["nope"]},
        {"data": world["df"], "network": 42},
        {"data": world["df"], "acount": key},
        {"data": world["df"], "confirm_timeout": -1},
    ):
        kwargs.setdefault("network", devnet.network)
        account = kwargs.pop("acount", None)
        extra = {"acount": account} if account else {}
        try:
            ResponseTable(account=key, **kwargs, **extra)
        except (OgpuWidgetsError, TypeError) as exc:
            assert key[2:].lower() not in _library_text(exc), kwargs
        else:
            raise AssertionError(f"{kwargs} did not fail")


def test_a_bad_key_leaks_nothing(devnet, world):  # noqa: F811
    almost = "0x" + "f" * 64  # above the curve order: not a key
    with pytest.raises(OgpuWidgetsError) as info:
        table(devnet, world, account=almost)
    assert "f" * 64 not in _library_text(info.value)


def test_a_rejection_at_once_is_the_last_word_on_its_request(devnet, world, monkeypatch):  # noqa: F811
    """The request's "ok" is said before the worker starts: a worker that answers at once (the
    wallet said no) is never overwritten by it."""
    from ogpu_widgets.errors import WalletRejectedError

    t = table(devnet, world, account=devnet.client.private_key)
    strategy = t._core.confirmer.strategy

    def reject(address, on_update):
        raise WalletRejectedError("the user rejected the request in the wallet")

    monkeypatch.setattr(strategy, "confirm", reject)
    address = world["responses"][0]
    from_js(t, _confirm_request={"id": "fast", "response": address})
    assert t._core.confirmer.wait_idle(30)
    assert t._reply["id"] == "fast" and t._reply["ok"] is False, t._reply
    assert row(t, address)["action"] == ""  # idle again: a retry is possible
    t.close()
