"""What a sink does with trouble, without ever raising into the bot.

Every problem goes to the ``on_error`` hook (its own exceptions are swallowed), or, without one,
to stderr at most once per error code per minute so that a dead collector does not flood the
bot's log. An event given up is counted and written to stderr as one ``AUDIT_EMERGENCY {json}``
line (seed 003's last resort), so that a person can still recover it from the bot's log.
"""
from __future__ import annotations

import sys
import threading
import time
from typing import Callable, Dict, Optional, Set

from .errors import TradetrailError

ErrorHandler = Callable[[TradetrailError], None]

_QUIET_S = 60.0


def write_emergency(event_json: str) -> None:
    """Writes one ``AUDIT_EMERGENCY {json}`` line to stderr."""
    _to_stderr(f"AUDIT_EMERGENCY {event_json}\n")


def _to_stderr(text: str) -> None:
    try:
        stream = sys.stderr or sys.__stderr__
        if stream is not None:
            stream.write(text)
            stream.flush()
    except Exception:
        pass  # stderr is gone: there is nowhere left to tell


def error_reporter(name: str, on_error: Optional[ErrorHandler]) -> ErrorHandler:
    """A function that reports an error through ``on_error``, or to stderr when there is none."""
    if on_error is not None:
        def report(error: TradetrailError) -> None:
            try:
                on_error(error)
            except Exception:
                pass  # the hook's own failure must not reach the bot either
        return report

    last_written: Dict[str, float] = {}
    lock = threading.Lock()

    def to_stderr(error: TradetrailError) -> None:
        now = time.monotonic()
        with lock:
            if now - last_written.get(error.code, -_QUIET_S) < _QUIET_S:
                return
            last_written[error.code] = now
        _to_stderr(f"{name}: {error.code}: {error.message}\n")
    return to_stderr


class Problems:
    """A sink's problem reporting and its count of events given up."""

    def __init__(self, report: ErrorHandler) -> None:
        self.report = report
        self.dropped = 0
        self._reported: Set[str] = set()

    def drop(self, error: Optional[TradetrailError], event_json: str) -> None:
        """Gives up one event: counted, reported (when ``error`` is given) and written to stderr."""
        self.dropped += 1
        if error is not None:
            self.report(error)
        write_emergency(event_json)

    def report_once(self, error: TradetrailError) -> None:
        """Reports ``error`` once until its condition clears (:meth:`cleared`)."""
        if error.code in self._reported:
            return
        self._reported.add(error.code)
        self.report(error)

    def cleared(self, code: str) -> None:
        """The condition of ``code`` is over: its next occurrence is reported again."""
        self._reported.discard(code)
