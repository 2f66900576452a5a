"""ResponseTable's result options are checked when the table is made: a gateway that is not an
http(s) URL is a ResponseTableError then, not an error in every row later."""

from __future__ import annotations

import pytest

import ogpu_widgets as ow
from ogpu_widgets.table import ResponseTable


@pytest.fixture
def df(devnet):
    source = devnet.publish_source("manual")
    task = devnet.publish_task(source, payment_ogpu=1)
    devnet.respond(task, 0, data="ipfs://QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o")
    return ow.load_responses(tasks=[task], network=devnet.network, progress=False)


@pytest.mark.parametrize("gateway", ["ftp://gateway.example", "gateway.example", "  ", 42, b"x"])
def test_a_bad_gateway_is_refused_when_the_table_is_made(devnet, df, gateway):
    with pytest.raises(ow.ResponseTableError, match="gateway"):
        ResponseTable(df, network=devnet.network, gateway=gateway, live=False)


@pytest.mark.parametrize("results", [1, "yes", None])
def test_results_is_true_or_false(devnet, df, results):
    with pytest.raises(ow.ResponseTableError, match="results="):
        ResponseTable(df, network=devnet.network, results=results, live=False)


def test_a_good_gateway_is_kept_without_its_trailing_ipfs(devnet, df):
    table = ResponseTable(df, network=devnet.network, gateway="http://127.0.0.1:1/ipfs/",
                          live=False)  # fmt: skip
    assert table._core.results.gateway == "http://127.0.0.1:1"
