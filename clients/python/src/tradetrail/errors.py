"""The errors the client reports, with the collector's stable codes (docs/api.md, "Error codes").

Nothing here is ever raised at a caller: every problem reaches the ``on_error`` hook (or stderr)
as a :class:`TradetrailError`. Each function below writes one message template, as
``packages/core/src/errors.ts`` does for the TypeScript SDK, so a message is worded once.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

__all__ = ["TradetrailError"]


class TradetrailError(Exception):
    """A problem with a stable ``code`` (``TT_ERR_<AREA>_<WHAT>``), an HTTP-like ``status`` and a message that says what to fix."""

    def __init__(self, code: str, status: int, message: str, problems: Optional[List[Dict[str, Any]]] = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message
        #: The collector's per-event problems (``index``, ``path``, ``code``, ``message``), when it named any.
        self.problems = problems

    def __repr__(self) -> str:
        return f"TradetrailError({self.code!r}, {self.message!r})"

    def to_dict(self) -> Dict[str, Any]:
        """``{"code", "message"}`` as the collector writes errors."""
        return {"code": self.code, "message": self.message}


def _shown(value: Any) -> str:
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


# Event checks: the collector's own codes, so a problem reads the same whichever side found it.
def event_wrong_type(field: str, expected: str) -> TradetrailError:
    return TradetrailError("TT_ERR_EVENT_WRONG_TYPE", 400, f'"{field}" must be {expected}')


def event_bad_value(field: str, rule: str) -> TradetrailError:
    return TradetrailError("TT_ERR_EVENT_BAD_VALUE", 400, f'"{field}" {rule}')


def event_too_large(field: str, limit: int, size: int) -> TradetrailError:
    return TradetrailError("TT_ERR_EVENT_TOO_LARGE", 400, f'"{field}" is {size} bytes as UTF-8 JSON; the limit is {limit} bytes')


def event_bad_timestamp(field: str, value: str) -> TradetrailError:
    return TradetrailError(
        "TT_ERR_EVENT_BAD_TIMESTAMP", 400,
        f'"{field}" must be an RFC 3339 UTC timestamp like 2025-12-17T21:00:03.123456Z, got {_shown(value[:64])}')


def event_bad_string(field: str) -> TradetrailError:
    return TradetrailError(
        "TT_ERR_EVENT_BAD_STRING", 400,
        f'"{field}" contains a lone UTF-16 surrogate, which JSON cannot carry portably; send well-formed Unicode')


# A collector called over HTTP.
def collector_unreachable(url: str, cause: str) -> TradetrailError:
    return TradetrailError(
        "TT_ERR_COLLECTOR_UNREACHABLE", 502,
        f"the collector at {url} cannot be reached ({cause}); check the URL and its DNS name, that the collector runs "
        "and listens there, and the network in between")


def collector_refused(url: str, status: int, code: str, message: str) -> TradetrailError:
    return TradetrailError(
        "TT_ERR_COLLECTOR_REFUSED", 502,
        f"the collector at {url} refused the request with {status} {code[:64]}: {_shown(message[:300])}; "
        f"look up {code[:64]} in docs/api.md")


def collector_not_tradetrail(url: str, status: int) -> TradetrailError:
    return TradetrailError(
        "TT_ERR_COLLECTOR_NOT_TRADETRAIL", 502,
        f"{url} answered {status} with something that is not a Tradetrail answer (a proxy's page, another service, "
        "or over 1 MiB); check that the URL points at a Tradetrail collector and that any proxy in front of it passes "
        "requests through")


# The client and the file sink.
def client_options(option: str, reason: str) -> TradetrailError:
    return TradetrailError("TT_ERR_CLIENT_OPTIONS", 400, f"option {option} {reason}")


def client_spool(directory: str, reason: str) -> TradetrailError:
    return TradetrailError(
        "TT_ERR_CLIENT_SPOOL", 500,
        f"spool {directory}: {reason}; events stay in memory (bounded by max_queued_events) until it works again")


def client_spool_unsafe(directory: str, reason: str) -> TradetrailError:
    return TradetrailError(
        "TT_ERR_CLIENT_SPOOL_UNSAFE", 500,
        f"spool {directory} {reason}; events waiting there may be lost on restart. Put spool_dir "
        "(TRADETRAIL_SPOOL_DIR) on a persistent volume")


def client_spool_full(directory: str, limit: int) -> TradetrailError:
    return TradetrailError(
        "TT_ERR_CLIENT_SPOOL_FULL", 507,
        f"spool {directory} is full ({limit} bytes); the collector has not taken events for a while. Raise "
        "max_spool_bytes or bring the collector back")


def client_queue_full(limit: int) -> TradetrailError:
    return TradetrailError(
        "TT_ERR_CLIENT_QUEUE_FULL", 503,
        f"{limit} events are waiting in memory and there is nowhere durable to put more; the newest are dropped "
        "(AUDIT_EMERGENCY lines on stderr)")


def client_closed() -> TradetrailError:
    return TradetrailError("TT_ERR_CLIENT_CLOSED", 409, "send() after close(): the event was not recorded")


def client_clock_skew(offset_ms: float, limit_ms: int) -> TradetrailError:
    side = "behind" if offset_ms > 0 else "ahead of"
    return TradetrailError(
        "TT_ERR_CLIENT_CLOCK_SKEW", 400,
        f"this machine's clock is {abs(offset_ms):.1f} ms {side} the collector's (limit {limit_ms} ms); check NTP/chrony")


def sink_unsafe_dir(directory: str, reason: str) -> TradetrailError:
    return TradetrailError(
        "TT_ERR_SINK_UNSAFE_DIR", 500,
        f"audit file directory {directory} {reason}; the audit file there may be lost on restart. Mount a persistent "
        "volume there, or set TRADETRAIL_LOG_PATH to a path on one")


def sink_write(path: str, reason: str) -> TradetrailError:
    return TradetrailError(
        "TT_ERR_SINK_WRITE", 500,
        f"audit file {path}: {reason}; events go to stderr as AUDIT_EMERGENCY lines until writes work again")


def io_reason(error: BaseException) -> str:
    """What an OS error means for a file or directory the SDK writes, said so that a person can fix it."""
    import errno as errno_names

    number = getattr(error, "errno", None)
    if number == errno_names.ENOSPC:
        return "the disk is full"
    if number == errno_names.EDQUOT:
        return "the disk quota is used up"
    if number in (errno_names.EACCES, errno_names.EPERM):
        return f"it is not writable by this user ({errno_names.errorcode[number]})"
    if number == errno_names.EROFS:
        return "the file system is read-only"
    if number == errno_names.EISDIR:
        return "it is a directory; give the path of a file"
    if number in (errno_names.ENOTDIR, errno_names.EEXIST):
        return "a path component is not a directory"
    return str(error)
