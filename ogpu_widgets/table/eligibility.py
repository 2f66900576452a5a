"""Which rows of a ``ResponseTable`` can be confirmed now, and why not: the confirm room's one
set of refusal rules (:mod:`ogpu_widgets.confirm.rules`), applied to a whole DataFrame at once."""

from __future__ import annotations

import time
from collections.abc import Collection

import numpy as np
import pandas as pd

from ..confirm import rules
from ..errors import ConfirmationError

__all__ = ["refusal", "verdicts"]


def verdicts(
    df: pd.DataFrame,
    signer: str | None,
    pending_tasks: Collection[str],
    now: float | None = None,
    agent_of: Collection[str] = (),
) -> tuple[np.ndarray, np.ndarray]:
    """(can confirm, reason) per row of ``df``: the reason is "" where the row can be
    confirmed, else the label of the first rule that refuses it. ``agent_of`` holds the
    clients that authorized ``signer`` as their agent (their rows are the signer's to confirm).
    """
    n = len(df)
    expiry = pd.to_datetime(df["task_expiry"], utc=True)
    seconds = np.where(expiry.isna(), 0.0, expiry.astype("int64") / 1e9)
    facts = rules.Facts(
        confirmed=df["confirmed"].to_numpy(dtype=bool),
        task_status=_labels(df["task_status"]),
        delivery=_labels(df["delivery_method"]),
        expiry=np.asarray(seconds, dtype=float),
        client=df["client"].to_numpy(dtype=object),
        pending=(
            df["task"].isin(list(pending_tasks)).to_numpy(dtype=bool)
            if pending_tasks
            else np.zeros(n, dtype=bool)
        ),
        agent=(
            df["client"].isin(list(agent_of)).to_numpy(dtype=bool)
            if agent_of
            else np.zeros(n, dtype=bool)
        ),
    )
    reasons = rules.verdicts(facts, signer=signer, now=time.time() if now is None else now)
    return reasons == "", reasons


def _labels(series: pd.Series) -> np.ndarray:
    """A categorical (or text) column as a numpy array of str, without a loop per row."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = np.asarray(series.cat.categories.astype(str), dtype=object)
        codes = series.cat.codes.to_numpy()
        return np.where(codes >= 0, cats[np.maximum(codes, 0)] if len(cats) else "", "")
    return series.astype(str).to_numpy(dtype=object)


def refusal(reason: str, address: str, **data) -> ConfirmationError:
    """The typed error of a row's refusal ``reason``."""
    cls = rules.LABELS.get(reason, ConfirmationError)
    return cls(f"response {address} cannot be confirmed: {reason}", response=address, **data)
