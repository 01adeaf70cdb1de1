"""One ``POST /v1/events`` of an NDJSON batch over a keep-alive connection, and what the answer means.

As in packages/client/src/batch-post.ts: only the collector naming an event as invalid drops
anything; every other failure (unreachable, refused token, 5xx, an answer that is not an
acknowledgement) means "try again later", because an audit record is worth more than the disk
it waits on. The clock estimate of clock-offset.ts is here too: each acknowledgement is one
NTP-style exchange.
"""
from __future__ import annotations

import errno
import http.client
import json
import math
import random
import socket
import ssl
import time
from typing import Any, Dict, List, NamedTuple, Optional, Tuple
from urllib.parse import SplitResult

from . import errors
from .errors import TradetrailError

CLOCK_OFFSET_HEADER = "Tradetrail-Clock-Offset-Us"
CLOCK_RTT_HEADER = "Tradetrail-Clock-Rtt-Us"
_MAX_ANSWER = 1024 * 1024
_WINDOW = 8


class ClockSample(NamedTuple):
    """Collector clock minus ours (µs, positive: ours is behind) and the round trip it is good to ±half of."""

    offset_us: int
    rtt_us: int


class ClockOffset:
    """The best of the last 8 exchanges: as NTP's clock filter, the one with the shortest round trip."""

    def __init__(self) -> None:
        self._samples: List[ClockSample] = []

    def add(self, t0: int, t1: int, t2: int, t3: int) -> None:
        """One exchange: t0 sent and t3 answered on our clock, t1 received and t2 answered on the collector's (µs)."""
        rtt = round((t3 - t0) - (t2 - t1))
        # The collector taking longer than the whole round trip is an inconsistent sample.
        if rtt < 0:
            return
        self._samples.append(ClockSample(round(((t1 - t0) + (t2 - t3)) / 2), rtt))
        if len(self._samples) > _WINDOW:
            self._samples.pop(0)

    def best(self) -> Optional[ClockSample]:
        return min(self._samples, key=lambda s: s.rtt_us) if self._samples else None


def retry_delay_s(attempt: int, initial_ms: int, max_ms: int, retry_after_ms: float = 0, rand: float = -1.0) -> float:
    """"Equal jitter" backoff, as retry-delay.ts: the cap doubles per failure up to ``max_ms``, the wait is uniform in its upper half.

    Many bots cut off by one outage then do not come back in lock-step. A collector's
    Retry-After is honoured when it asks for longer (up to four times ``max_ms``).
    """
    cap = min(max_ms, initial_ms * 2 ** min(attempt, 30))
    r = random.random() if rand < 0 else rand
    delay = cap / 2 + r * (cap / 2)
    return round(max(delay, min(retry_after_ms, max_ms * 4))) / 1000


class Outcome:
    """The collector's answer as far as the batch is concerned.

    ``kind``: ``ok`` (acknowledged), ``retry`` (send the same batch later), ``reject`` (the
    collector named invalid events by index: drop them, send the rest) or ``split`` (too large,
    or refused without naming an event: send it in halves).
    """

    __slots__ = ("kind", "error", "problems", "retry_after_ms", "clock")

    def __init__(self, kind: str, error: Optional[TradetrailError] = None, problems: Optional[List[Dict[str, Any]]] = None,
                 retry_after_ms: float = 0, clock: Optional[Tuple[int, int, int, int]] = None) -> None:
        self.kind = kind
        self.error = error
        self.problems = problems
        self.retry_after_ms = retry_after_ms
        self.clock = clock


def _now_us() -> int:
    return time.time_ns() // 1000


_CAUSES = {
    ConnectionRefusedError: "ECONNREFUSED",
    ConnectionResetError: "ECONNRESET",
    ConnectionAbortedError: "ECONNABORTED",
    BrokenPipeError: "EPIPE",
    http.client.RemoteDisconnected: "ECONNRESET",
}


def _cause(error: BaseException) -> str:
    """The system error code Node would name (ECONNREFUSED, ENOTFOUND, ETIMEDOUT, …), as the TypeScript SDK reports it."""
    if isinstance(error, socket.timeout):
        return "ETIMEDOUT"
    if isinstance(error, socket.gaierror):
        return "EAI_AGAIN" if error.errno == socket.EAI_AGAIN else "ENOTFOUND"
    if isinstance(error, ssl.SSLError):
        return f"TLS: {error.reason or error}"
    for kind, name in _CAUSES.items():
        if isinstance(error, kind):
            return name
    number = getattr(error, "errno", None)
    if isinstance(number, int) and number in errno.errorcode:
        return errno.errorcode[number]
    return str(error) or type(error).__name__


class BatchPoster:
    """Posts batches to one collector over one keep-alive connection; used by one thread at a time."""

    def __init__(self, url: SplitResult, token: str, timeout_ms: int) -> None:
        self._url = url
        self._origin = f"{url.scheme}://{url.netloc}"
        self._token = token
        self._timeout = timeout_ms / 1000
        self._connection: Optional[http.client.HTTPConnection] = None

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            host, port = self._url.hostname or "", self._url.port
            if self._url.scheme == "https":
                self._connection = http.client.HTTPSConnection(host, port, timeout=self._timeout, context=ssl.create_default_context())
            else:
                self._connection = http.client.HTTPConnection(host, port, timeout=self._timeout)
        return self._connection

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:
                pass

    def post(self, body: bytes, clock: Optional[ClockSample]) -> Outcome:
        """Sends ``body`` and classifies the answer; never raises."""
        headers = {"Content-Type": "application/x-ndjson", "Authorization": f"Bearer {self._token}"}
        if clock is not None:
            headers[CLOCK_OFFSET_HEADER] = str(clock.offset_us)
            headers[CLOCK_RTT_HEADER] = str(clock.rtt_us)
        for attempt in (0, 1):
            reused = self._connection is not None
            t0 = _now_us()
            try:
                connection = self._connect()
                connection.request("POST", "/v1/events", body=body, headers=headers)
                response = connection.getresponse()
                text = response.read(_MAX_ANSWER + 1)
                t3 = _now_us()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as error:
                self.close()
                # A keep-alive connection the collector closed while idle: one fresh try, same ids.
                if reused and attempt == 0:
                    continue
                return Outcome("retry", errors.collector_unreachable(self._origin, _cause(error)))
            except Exception as error:
                self.close()
                return Outcome("retry", errors.collector_unreachable(self._origin, _cause(error)))
            if len(text) > _MAX_ANSWER:
                self.close()
                return Outcome("retry", errors.collector_not_tradetrail(self._origin, response.status))
            if response.will_close:
                self.close()
            return self._classify(response.status, response.getheader("Retry-After"), text, t0, t3)
        raise AssertionError("unreachable")

    def _classify(self, status: int, retry_after: Optional[str], text: bytes, t0: int, t3: int) -> Outcome:
        answer = _parse(text)
        if 200 <= status < 300:
            accepted = answer.get("accepted") if answer else None
            duplicates = answer.get("duplicates") if answer else None
            if not isinstance(accepted, (int, float)) or not isinstance(duplicates, (int, float)) or isinstance(accepted, bool):
                return Outcome("retry", errors.collector_not_tradetrail(self._origin, status))
            clock = answer.get("clock") if answer else None
            exchange = None
            if isinstance(clock, dict) and isinstance(clock.get("received_us"), (int, float)) and isinstance(clock.get("answered_us"), (int, float)):
                exchange = (t0, int(clock["received_us"]), int(clock["answered_us"]), t3)
            return Outcome("ok", clock=exchange)
        error = answer.get("error") if answer else None
        from_collector = isinstance(error, dict) and isinstance(error.get("code"), str) and error["code"].startswith("TT_ERR_") \
            and isinstance(error.get("message"), str)
        if from_collector:
            problems = error.get("problems") if isinstance(error.get("problems"), list) else None  # type: ignore[union-attr]
            reported = TradetrailError(error["code"], status, f"the collector refused the batch: {error['message']}", problems)  # type: ignore[index]
        else:
            reported = errors.collector_not_tradetrail(self._origin, status)
        if status == 413:
            return Outcome("split", reported)
        # Only a Tradetrail collector's own refusal may cost events; a proxy's 400 is retried.
        if status == 400 and from_collector:
            named = [p for p in (reported.problems or []) if isinstance(p, dict) and isinstance(p.get("index"), int)]
            return Outcome("reject", reported, named) if named else Outcome("split", reported)
        return Outcome("retry", reported, retry_after_ms=_retry_after_ms(retry_after))


def _parse(text: bytes) -> Optional[Dict[str, Any]]:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _retry_after_ms(value: Optional[str]) -> float:
    try:
        seconds = float(value) if value is not None else 0.0
    except ValueError:
        return 0.0
    return seconds * 1000 if math.isfinite(seconds) and seconds > 0 else 0.0
