"""The per-event work every sink shares.

:func:`record` runs on the caller's thread and is kept cheap: stamp the time and take a copy of
``data`` and ``metadata`` as they are at the call (a shallow copy when every value is a plain
scalar, else their JSON text), so later changes to the caller's objects do not change what was
recorded. :class:`Encoder` runs later, on the sink's own thread: it checks what the collector
would refuse a whole batch for, and writes one line of wire-format v1 JSON.
"""
from __future__ import annotations

import datetime
import decimal
import enum
import json
import math
import os
import re
import time
import uuid
from typing import Any, Deque, Dict, List, Mapping, Optional, Tuple, Union

from . import errors
from .errors import TradetrailError

EVENT_TYPES = (
    "boot", "shutdown", "error", "trade_opened", "trade_closed", "order_submitted", "order_filled",
    "order_cancelled", "order_rejected", "risk_limit_breach", "kill_switch", "auto_repair", "self_heal",
    "config_change", "test", "unclassified_event",
)
DEFAULT_EVENT_TYPE = "unclassified_event"
SEVERITIES = ("debug", "info", "notice", "warning", "error", "critical")
PRIVILEGES = ("execute_trade", "post_mortem_analysis", "live_monitoring", "utilities")

MESSAGE_BYTES = 8 * 1024
DATA_BYTES = 64 * 1024
METADATA_BYTES = 16 * 1024
LABEL_CHARS = 128

PROJECT_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}\Z")
TYPE_RE = re.compile(r"^[a-z][a-z0-9_.:-]{0,63}\Z")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\Z")
_RFC3339_UTC = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[Zz]|[+-]00:00)\Z")
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_SEVERITY_SET = frozenset(SEVERITIES)

#: Reported once per sink when send() gets more than three positional arguments.
EXTRA_ARGS = errors.event_bad_value(
    "send()", "takes (event_type, message, data) positionally; the other positional arguments were recorded in data.args")

#: Value types a shallow copy can keep: nothing in them can change after the call.
_SCALARS = frozenset((str, int, float, bool, type(None)))

#: ``data`` or ``metadata`` as recorded: a dict of scalars, its JSON text, or why it cannot be sent.
Snapshot = Union[Dict[str, Any], str, TradetrailError, None]

#: An event as queued by ``send()``: (seq, micros, type, message, data, options); nothing checked yet.
Record = Tuple[int, int, Any, Any, Snapshot, Optional[Tuple[Any, Any, Any, Snapshot, Any, Any]]]


def is_timestamp(value: str) -> bool:
    """Whether ``value`` is an RFC 3339 UTC timestamp the collector takes (a real date, no offset, no leap second)."""
    m = _RFC3339_UTC.match(value)
    if m is None:
        return False
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if month < 1 or month > 12 or day < 1 or day > _DAYS_IN_MONTH[month - 1]:
        return False
    if month == 2 and day == 29 and not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
        return False
    return int(m.group(4)) <= 23 and int(m.group(5)) <= 59 and int(m.group(6)) <= 59


def _json_default(value: Any) -> Any:
    """What JSON cannot hold natively, in the form a reader expects; ``str()`` as the last resort."""
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, enum.Enum):
        return value.value if isinstance(value.value, (str, int, float, bool)) else value.name
    if isinstance(value, (set, frozenset)):
        return list(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return dict(value)
    return str(value)


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinities as null, as JavaScript's JSON.stringify writes them."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


# Made once: json.dumps with any option builds a new encoder per call, which costs more than the encoding.
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_json_default)
_SPACED = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "), allow_nan=False, default=_json_default)
#: A str as a JSON string, non-ASCII kept (the C function json itself uses).
quote = json.encoder.encode_basestring


def to_json(value: Any, compact: bool = True) -> str:
    """JSON with non-ASCII kept, non-finite numbers as null, other types by :func:`_json_default`;
    ``compact=False`` spaces it as Python's ``json.dumps`` does by default (seed 003's records)."""
    encoder = _COMPACT if compact else _SPACED
    try:
        return encoder.encode(value)
    except ValueError as error:
        if "Out of range float" not in str(error):
            raise
        return encoder.encode(_finite(value))


def snapshot(value: Any, field: str = "data", fresh: bool = False) -> Snapshot:
    """``value`` (``data`` or ``metadata``) as it is now; on the caller's path, so cheap when it can be.

    ``fresh``: the dict was made for this call (keyword arguments), so it needs no copy of its own.
    """
    if value is None:
        return None
    if type(value) is dict:
        for item in value.values():
            if type(item) not in _SCALARS:
                break
        else:
            return value if fresh else dict(value)
    elif not isinstance(value, Mapping):
        return errors.event_wrong_type(field, "a JSON object")
    try:
        text = to_json(dict(value))
    except (TypeError, ValueError, RecursionError) as error:
        return errors.event_wrong_type(field, f"a JSON object ({error})")
    return text


def record(seq: int, event_type: Any, message: Any, data: Any, extra: Tuple[Any, ...], fields: Dict[str, Any],
           severity: Any, source: Any, actor: Any, metadata: Any, event_id: Any, ts: Any) -> Record:
    """A ``send()`` call as queued: the time now, ``data`` with the keyword fields (and any extra positional
    arguments, as ``data.args``) copied now, the options as given. Raises only on hostile arguments."""
    micros = time.time_ns() // 1000
    fresh = False
    if fields:
        if data is None:
            data, fresh = fields, True
        elif isinstance(data, Mapping):
            data, fresh = {**data, **fields}, True
    if extra:
        data = dict(data) if isinstance(data, Mapping) else ({} if data is None else {"data": data})
        data["args"], fresh = list(extra), True
    options = None
    if severity is not None or source is not None or actor is not None or metadata is not None or event_id is not None or ts is not None:
        options = (severity, source, actor, None if metadata is None else snapshot(metadata, "metadata"), event_id, ts)
    return (seq, micros, event_type, message, None if data is None else snapshot(data, "data", fresh), options)


def take_all(items: "Deque[Any]") -> List[Any]:
    """Empties a deque other threads append to, oldest first."""
    taken: List[Any] = []
    while True:
        try:
            taken.append(items.popleft())
        except IndexError:
            return taken


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    try:
        return value if isinstance(value, str) else str(value)
    except Exception:
        return "[unprintable]"


def _plain(value: Any) -> Any:
    """An Enum member as its value, a ``str`` subclass as a plain ``str``; anything else as it is."""
    if isinstance(value, enum.Enum):
        value = value.value
    # str.__str__ of a subclass instance is a plain copy: its own __str__ (an Enum's "E.X") is not used.
    return str.__str__(value) if isinstance(value, str) else value


class _Uuid7:
    """UUIDv7 (RFC 9562): 48 bits of ms, a 12-bit counter that keeps ids of one ms in order, 62 random bits."""

    def __init__(self) -> None:
        self._last_ms = -1
        self._counter = 0
        self._pool = b""
        self._offset = 0

    def __call__(self, ms: int) -> str:
        if ms > self._last_ms:
            self._last_ms = ms
            self._counter = 0
        else:
            self._counter += 1
            if self._counter > 0xFFF:
                # More than 4096 ids in one millisecond: borrow the next one to stay in order.
                self._last_ms += 1
                self._counter = 0
        if self._offset + 8 > len(self._pool):
            self._pool = os.urandom(4096)
            self._offset = 0
        rand = int.from_bytes(self._pool[self._offset:self._offset + 8], "big") & 0x3FFFFFFFFFFFFFFF
        self._offset += 8
        h = "%032x" % ((self._last_ms << 80) | (0x7 << 76) | (self._counter << 64) | (0x2 << 62) | rand)
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def format_micros(micros: int) -> str:
    """RFC 3339 UTC with microseconds."""
    second, fraction = divmod(micros, 1_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)) + ".%06dZ" % fraction


class Encoder:
    """Turns records into wire-format v1 lines for one project; one per sink, used by one thread."""

    def __init__(self, project: str, source: Optional[str] = None, actor: Optional[str] = None,
                 metadata: Optional[Dict[str, Any]] = None) -> None:
        self.project = project
        self._project_json = json.dumps(project)
        self._source = source
        self._actor = actor
        self._metadata = metadata
        self._uuid = _Uuid7()
        self._second = -1
        self._prefix = ""
        self._known_types: set = set()

    def new_id(self, micros: int) -> str:
        """A fresh UUIDv7 for an event of time ``micros``."""
        return self._uuid(micros // 1000)

    def _ts(self, micros: int) -> str:
        second, fraction = divmod(micros, 1_000_000)
        if second != self._second:
            self._second = second
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return "%s.%06dZ" % (self._prefix, fraction)

    def encode(self, record: Record) -> Union[bytes, TradetrailError]:
        """One line of UTF-8 JSON, or the error that makes the event unsendable; never raises."""
        try:
            return self._encode(record)
        except Exception as error:  # only hostile arguments (a __str__ that raises, …) get here
            return errors.event_bad_value("event", f"could not be read ({error})")

    def _encode(self, record: Record) -> Union[bytes, TradetrailError]:
        _, micros, event_type, message, data, options = record
        severity = source = actor = metadata = event_id = ts = None
        if options is not None:
            severity, source, actor, metadata, event_id, ts = options
        if event_type is None:
            event_type = DEFAULT_EVENT_TYPE
        elif type(event_type) is not str:
            event_type = _plain(event_type)
        if not isinstance(event_type, str):
            return errors.event_wrong_type("type", "a string")
        if event_type not in self._known_types:
            if TYPE_RE.match(event_type) is None:
                return errors.event_bad_value("type", 'must match ^[a-z][a-z0-9_.:-]{0,63}$ (lower case, e.g. "trade_opened")')
            if len(self._known_types) < 1024:
                self._known_types.add(event_type)
        if severity is None:
            severity = "info"
        elif type(severity) is not str:
            severity = _plain(severity)
        if not isinstance(severity, str) or severity not in _SEVERITY_SET:
            return errors.event_bad_value("severity", f"must be one of {', '.join(SEVERITIES)}")
        text = _as_text(message)
        if len(text) * 4 > MESSAGE_BYTES and len(text.encode("utf-8", "surrogatepass")) > MESSAGE_BYTES:
            return errors.event_too_large("message", MESSAGE_BYTES, len(text.encode("utf-8", "surrogatepass")))
        source = self._label("source", source, self._source)
        if isinstance(source, TradetrailError):
            return source
        actor = self._label("actor", actor, self._actor)
        if isinstance(actor, TradetrailError):
            return actor
        if isinstance(data, TradetrailError):
            return data
        data_json = to_json(data) if isinstance(data, dict) else data
        if data_json is not None and len(data_json) * 4 > DATA_BYTES and len(data_json.encode("utf-8", "surrogatepass")) > DATA_BYTES:
            return errors.event_too_large("data", DATA_BYTES, len(data_json.encode("utf-8", "surrogatepass")))
        if isinstance(metadata, TradetrailError):
            return metadata
        metadata_json = self._metadata_json(metadata)
        if metadata_json is not None and len(metadata_json) * 4 > METADATA_BYTES and \
                len(metadata_json.encode("utf-8", "surrogatepass")) > METADATA_BYTES:
            return errors.event_too_large("metadata", METADATA_BYTES, len(metadata_json.encode("utf-8", "surrogatepass")))
        if event_id is not None and (not isinstance(event_id, str) or UUID_RE.match(event_id) is None):
            return errors.event_bad_value("id", "must be a lower-case UUID (version 7 preferred)")
        if ts is not None and (not isinstance(ts, str) or not is_timestamp(ts)):
            return errors.event_bad_timestamp("ts", _as_text(ts))
        if event_id is None:
            event_id = self._uuid(micros // 1000)
        if ts is None:
            ts = self._ts(micros)
        line = (
            f'{{"id":"{event_id}","ts":"{ts}","project":{self._project_json},"type":"{event_type}"'
            f',"severity":"{severity}","message":{quote(text)}'
        )
        if source is not None:
            line += f',"source":{quote(source)}'
        if actor is not None:
            line += f',"actor":{quote(actor)}'
        if data_json is not None:
            line += f',"data":{data_json}'
        if metadata_json is not None:
            line += f',"metadata":{metadata_json}'
        try:
            return (line + "}").encode("utf-8")
        except UnicodeEncodeError:
            return errors.event_bad_string("message, source, actor, data or metadata")

    @staticmethod
    def _label(name: str, value: Any, fallback: Optional[str]) -> Union[str, TradetrailError, None]:
        if value is None:
            return fallback
        if not isinstance(value, str):
            return errors.event_wrong_type(name, "a string")
        if len(value) > LABEL_CHARS:
            return errors.event_bad_value(name, f"is longer than {LABEL_CHARS} characters")
        return value

    def _metadata_json(self, own: Snapshot) -> Optional[str]:
        if self._metadata is None:
            return to_json(own) if isinstance(own, dict) else own  # type: ignore[return-value]
        if own is None:
            return to_json(self._metadata)
        merged = dict(self._metadata)
        merged.update(own if isinstance(own, dict) else json.loads(own))  # type: ignore[arg-type]
        return to_json(merged)


def unsendable(record: Record, project: str, error: TradetrailError) -> str:
    """What can be said of an event that could not be encoded, as one line of JSON (its AUDIT_EMERGENCY text)."""
    _, micros, event_type, message, data, _ = record
    if isinstance(data, dict):
        try:
            data = to_json(data)
        except Exception:
            data = _as_text(data)  # keys JSON cannot hold: its repr still shows a person what it was
    return json.dumps({
        "project": project, "type": _as_text(event_type), "message": _as_text(message), "ts_us": micros,
        "data": data if isinstance(data, str) else None, "error": error.to_dict(),
    }, ensure_ascii=True, default=str)
