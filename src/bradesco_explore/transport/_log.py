"""The redacted record of every HTTP exchange a session made."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .._html import esc
from .._secret import SECRET_FIELDS, redact

if TYPE_CHECKING:
    import pandas as pd

# the one list of secret names, shared with every log line's redaction
_SECRET_PARAMS = frozenset(SECRET_FIELDS)
# personal data: a Pix listing filtered by `cpf=`/`cnpj=` must not show the document
_PERSONAL_PARAM = re.compile(r"(?i)cpf|cnpj|^documento?$")


def _hidden(name: str) -> bool:
    return name.lower() in _SECRET_PARAMS or bool(_PERSONAL_PARAM.search(name))


def safe_url(url: str) -> str:
    """The URL with secret-bearing (code, state, tokens, ...) and personal (CPF/CNPJ) query
    values masked."""
    try:
        parts = urlsplit(url)
    except ValueError:  # not a URL urllib can read: show it without query and fragment
        return redact(url.split("?", 1)[0].split("#", 1)[0])
    # each part is redacted on its own, so the *** of a hidden value stays as it is
    query = [
        (k, "***" if _hidden(k) else redact(v))
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    fragment = "***" if parts.fragment else ""
    host = redact(parts.netloc.rpartition("@")[2])
    path = redact(parts.path)
    return urlunsplit((parts.scheme, host, path, urlencode(query, safe="*/:[]"), fragment))


@dataclass(frozen=True)
class Exchange:
    """One request/response (or failure): what a learner needs to see, nothing secret."""

    time: dt.datetime
    method: str
    url: str
    status: int | None
    latency_ms: float
    interaction_id: str
    attempt: int = 1
    outcome: str = "ok"

    def as_row(self) -> dict[str, Any]:
        """The exchange as a plain dict (one table row)."""
        return asdict(self)


class ExchangeLog:
    """A bounded, thread-safe list of `Exchange` records, newest last.

    Iterate it, index it, or call `to_frame()` for a pandas DataFrame.
    """

    def __init__(self, maxlen: int = 2000) -> None:
        self._items: deque[Exchange] = deque(maxlen=maxlen)
        self._lock = threading.Lock()

    def add(self, exchange: Exchange) -> None:
        """Append one exchange (the oldest drops off past `maxlen`)."""
        with self._lock:
            self._items.append(exchange)

    def clear(self) -> None:
        """Forget every exchange."""
        with self._lock:
            self._items.clear()

    def __iter__(self) -> Iterator[Exchange]:
        with self._lock:
            return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: int) -> Exchange:
        with self._lock:
            return list(self._items)[index]

    def to_list(self) -> list[Exchange]:
        """A snapshot list."""
        return list(self)

    def to_frame(self) -> pd.DataFrame:
        """The log as a DataFrame with one row per attempt."""
        import pandas as pd

        columns = [
            "time",
            "method",
            "url",
            "status",
            "latency_ms",
            "interaction_id",
            "attempt",
            "outcome",
        ]
        frame = pd.DataFrame([e.as_row() for e in self], columns=columns)
        frame["status"] = frame["status"].astype("Int64")
        return frame

    def __repr__(self) -> str:
        return f"ExchangeLog({len(self)} exchanges)"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{e.time:%H:%M:%S}</td><td>{esc(e.method)}</td><td>{esc(e.url)}</td>"
            f"<td>{esc(e.status if e.status is not None else '-')}</td><td>{e.latency_ms:.0f} ms</td>"
            f"<td>{esc(e.outcome)}</td></tr>"
            for e in list(self)[-50:]
        )
        head = "<tr><th>time</th><th>method</th><th>url</th><th>status</th><th>latency</th><th>outcome</th></tr>"
        return f"<b>{len(self)} exchanges</b> (last 50)<table>{head}{rows}</table>"
