"""Which tasks a live table's scope takes in: fixed tasks, a source's tasks (learnt as they
are published) and a client's (learnt from its rows)."""

from __future__ import annotations

import pandas as pd

import ogpu_widgets as ow
from ogpu_widgets.table import live as table_live


def test_scope_rules():
    a, b, c = ("0x" + f"{i:040x}" for i in (1, 2, 3))
    a, b, c = (ow.chain.codec.to_address(x) for x in (a, b, c))
    fixed = table_live.Scope(tasks=[a])
    assert fixed.contains(a) is True and fixed.contains(b) is False
    fixed.published(b, a)
    assert fixed.contains(b) is False
    by_source = table_live.Scope(source=c)
    assert by_source.contains(a) is None  # unknown: its rows are read to tell
    by_source.published(a, c)
    by_source.published(b, a)
    assert by_source.contains(a) is True and by_source.contains(b) is False
    by_client = table_live.Scope(client=c)
    rows = pd.DataFrame(
        {"task": [a, b], "source": [a, b], "client": [c, a]}, index=pd.Index(["x", "y"])
    )
    assert by_client.learn(rows) == ["x"]
    assert by_client.sources == {a} and by_client.foreign == {b}
    by_client.published(c, a)
    assert by_client.contains(c) is True
