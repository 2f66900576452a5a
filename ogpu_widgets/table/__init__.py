"""The table room: ``ResponseTable`` (``widget``), its rows as the front-end receives them
(``serialize``), which rows can be confirmed (``eligibility``, on the confirm room's rules),
the checks of what the front-end sends (``protocol``), and the results behind the rows, fetched
on demand after the first paint (``results``) and shown as previews and capped answers
(``preview``)."""

from ..errors import ResponseTableError
from .serialize import COLUMNS, CONTROL_COLUMNS, DEFAULT_COLUMNS
from .widget import ResponseTable

__all__ = ["COLUMNS", "CONTROL_COLUMNS", "DEFAULT_COLUMNS", "ResponseTable", "ResponseTableError"]
