"""Every bad time-out, budget, size, count or flag given to fetch_results, fetch_data or
load_responses(results={...}) is an InvalidArgumentError naming the argument and its range,
before anything is fetched: never an OverflowError later, never a call that waits for ever."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ogpu_widgets as ow
from ogpu_widgets.results.api import with_results
from ogpu_widgets.results.unixfs import add_file

DATA = f"ipfs://{add_file(b'{}')[0]}"
GATEWAY = "http://127.0.0.1:9"  # nothing listens: the check must come first
HUGE = 10**5000  # past Python's digit limit for str()

BAD = {
    "timeout": [float("inf"), float("-inf"), float("nan"), 0, -1, 1e12, 86_401, 10**400, HUGE,
                True, "3", None, [3]],
    "budget": [float("inf"), float("nan"), 1e12, -1, 0, True, "1", 10**400],
    "max_bytes": [0, -1, 2.5, 10**40, HUGE, True, "1", None, float("inf")],
    "workers": [0, -3, 10**12, True, 1.0, "4", None],
    "progress": ["no", 1, None],
    "allow_urls": ["no", 1, None, "False"],
    "allow_private": ["no", 0, None],
}  # fmt: skip
CASES = [(name, value) for name, values in BAD.items() for value in values]
RANGE = {"timeout": "(0, 86400]", "budget": "(0, 86400] or None", "max_bytes": "[1, 1,073,741,824]",
         "workers": "[1, 256]", "progress": "True or False", "allow_urls": "True or False",
         "allow_private": "True or False"}  # fmt: skip


def response() -> ow.TaskResponse:
    return ow.TaskResponse("0x" + "1" * 40, "0x" + "7" * 40, "0x" + "8" * 40, DATA, 0,
                           "submitted", False, 0)  # fmt: skip


def check(excinfo, name: str) -> None:
    assert excinfo.value.argument == name
    text = str(excinfo.value)
    assert text.startswith(f"{name}=") and RANGE[name] in text, text
    assert len(text) < 200


@pytest.mark.parametrize("name,value", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_fetch_results(name, value):
    with pytest.raises(ow.InvalidArgumentError) as e:
        ow.fetch_results([response()], gateway=GATEWAY, cache=False, **{name: value})
    check(e, name)


@pytest.mark.parametrize(
    "name,value",
    [c for c in CASES if c[0] in ("timeout", "max_bytes", "allow_urls", "allow_private")],
    ids=lambda v: v if isinstance(v, str) else type(v).__name__,
)
def test_fetch_data(name, value):
    with pytest.raises(ow.InvalidArgumentError) as e:
        response().fetch_data(gateway=GATEWAY, cache=False, **{name: value})
    check(e, name)


@pytest.mark.parametrize(
    "name,value", CASES[::3], ids=lambda v: v if isinstance(v, str) else type(v).__name__
)
def test_load_responses_results_options(name, value):
    df = pd.DataFrame({"data": [DATA]}, index=["0x" + "1" * 40])
    with pytest.raises(ow.InvalidArgumentError) as e:
        with_results(df, {name: value, "gateway": GATEWAY, "cache": False}, network=None,
                     progress=False)  # fmt: skip
    check(e, name)


def test_good_edges_and_numpy_numbers_are_accepted():
    df = ow.fetch_results(
        [response()], gateway=GATEWAY, cache=False, progress=False, timeout=np.float64(0.5),
        budget=86_400, max_bytes=np.int64(1 << 30), workers=np.int32(256),
    )  # fmt: skip
    assert df["result_error"].iloc[0].startswith("cannot reach the server")
