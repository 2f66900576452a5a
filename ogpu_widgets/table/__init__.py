"""The table room: ``ResponseTable`` (``widget``), an ``AnyWidget`` holding a ``TableCore``
(``core``: the DataFrame, its lock, the row patches, the controls) and the parts the core holds:
the confirmer (``actions``, with the key strategy, or the wallet strategy of ``wallet``), the live
feed (``live``; its status ``livestatus``, its scope ``livescope``), the results loader
(``results``; previews and capped answers in ``preview``), the history scanner (``history``) and
the router of the front-end's messages (``messages``, checked by ``protocol``). The threads they
start belong to the table (``threads``). Also: the rows as the front-end receives them
(``serialize``), which rows can be confirmed (``eligibility``, on the confirm room's rules), the
signer's agent relations (``signer``), the predicted refusals (``refusal``), the column layout
(``layout``) and where the bundle is (``bundle``)."""

from ..errors import ResponseTableError
from .serialize import COLUMNS, CONTROL_COLUMNS, DEFAULT_COLUMNS
from .widget import ResponseTable

__all__ = ["COLUMNS", "CONTROL_COLUMNS", "DEFAULT_COLUMNS", "ResponseTable", "ResponseTableError"]
