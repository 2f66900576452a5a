"""What a live ``ResponseTable`` keeps beside its rows: the scope (which tasks are the
table's, including tasks published later), and its rows as SDK-shaped records."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from ..chain.codec import checksummed, to_address
from ..records import TaskResponse

__all__ = ["Scope", "task_response"]


def task_response(address: str, row: pd.Series) -> TaskResponse:
    """A row of the table as the SDK-shaped :class:`~ogpu_widgets.records.TaskResponse`."""
    ts = row["timestamp"]
    return TaskResponse(
        address=address,
        task=str(row["task"]),
        provider=str(row["provider"]),
        data=str(row["data"]),
        payment=int(row["payment"]),
        status=str(row["status"]),
        confirmed=bool(row["confirmed"]),
        timestamp=int(ts.timestamp()) if isinstance(ts, pd.Timestamp) else int(ts or 0),
    )


# ---- the scope ----------------------------------------------------------------------------------


class Scope:
    """Which tasks' responses belong in a table: the tasks it was built for (``tasks=``, or
    the tasks of a DataFrame), or every task of a source or of a client's sources, including
    tasks published later (learnt from ``TaskPublished`` events and from the rows read)."""

    def __init__(
        self,
        *,
        tasks: Iterable[str] = (),
        source: str | None = None,
        client: str | None = None,
    ) -> None:
        self.source = to_address(source, "source") if source else None
        self.client = to_address(client, "client") if client else None
        self.fixed = self.source is None and self.client is None
        self.tasks: set[str] = set(checksummed(list(tasks), "task"))  # vectorized
        self.outside: set[str] = set()
        #: for a client scope: its sources, and sources known to be someone else's
        self.sources: set[str] = set()
        self.foreign: set[str] = set()

    @classmethod
    def of(cls, selectors: dict[str, Any], df: pd.DataFrame) -> Scope:
        if "source" in selectors:
            scope = cls(source=selectors["source"])
        elif "client" in selectors:
            scope = cls(client=selectors["client"])
        elif "tasks" in selectors:
            tasks = selectors["tasks"]
            scope = cls(tasks=[tasks] if isinstance(tasks, str) else list(tasks))
        else:
            scope = cls(tasks=df["task"].unique().tolist() if len(df) else [])
        if not scope.fixed:  # a fixed scope learns nothing from rows (and 100k rows cost 0.1 s)
            scope.learn(df)
        return scope

    def contains(self, task: str) -> bool | None:
        """True/False when known; None when the task must be read to tell."""
        if task in self.tasks:
            return True
        if self.fixed or task in self.outside:
            return False
        return None

    def published(self, task: str, source: str) -> None:
        """A ``TaskPublished`` event."""
        if self.fixed or task in self.tasks:
            return
        if self.source is not None:
            (self.tasks if source == self.source else self.outside).add(task)
        elif source in self.sources:
            self.tasks.add(task)
        elif source in self.foreign:
            self.outside.add(task)

    def learn(self, df: pd.DataFrame) -> list[str]:
        """Learn from rows read (their tasks' source and client); the addresses of the rows
        that belong in the table."""
        if not len(df):
            return []
        if self.fixed:  # whole columns at once: no Python loop over Arrow strings
            return df.index[df["task"].isin(list(self.tasks)).to_numpy(dtype=bool)].tolist()
        keep = []
        columns = (df.index, df["task"], df["source"], df["client"])
        for a, task, source, client in zip(
            *(c.to_numpy(dtype=object) for c in columns), strict=True
        ):
            if self.source is not None:
                inside = source == self.source
            else:
                inside = client == self.client
                (self.sources if inside else self.foreign).add(str(source))
            (self.tasks if inside else self.outside).add(str(task))
            if inside:
                keep.append(a)
        return keep

    def refresh_tasks(self) -> list[str]:
        return sorted(self.tasks)
