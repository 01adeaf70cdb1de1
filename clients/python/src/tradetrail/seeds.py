"""The names the seeds' users already call, so that moving over is one changed import.

- seed 002 (``from ic_audit import …``): :class:`AuditNotifier`, :class:`ProjectEvents`,
  :class:`ProjectPrivileges`, :func:`fast_audit`, :func:`trigger_audit_dumping`;
- seed 000 (``from audit_logger import log_action``): :func:`log_action`;
- seed 003 (``EnhancedJsonAuditSink`` / ``JsonAuditSink``): :class:`EnhancedJsonAuditSink`.

The one-line helpers keep one sink per project for the process: an :class:`AuditClient` when
``TRADETRAIL_TOKEN`` or ``TRADETRAIL_URL`` is set, otherwise a :class:`FileSink` (seed 000's text
lines for ``log_action``, wire-format JSONL for ``fast_audit``).
"""
from __future__ import annotations

import enum
import json
import logging
import os
import re
import sys
import threading
import time
import urllib.error
import urllib.request
from typing import Any, Dict, Mapping, Optional, Tuple, Union
from urllib.parse import urlsplit

from . import errors
from ._event import DEFAULT_EVENT_TYPE, EVENT_TYPES, PRIVILEGES, snapshot
from ._options import DEFAULT_URL
from ._report import ErrorHandler, error_reporter
from .client import AuditClient
from .errors import TradetrailError
from .file_sink import FileSink, Seed003Record

__all__ = [
    "AuditNotifier", "ProjectEvents", "ProjectPrivileges", "fast_audit", "trigger_audit_dumping", "log_action",
    "EnhancedJsonAuditSink", "JsonAuditSink",
]


class ProjectEvents:
    """Seed 002's event names: ``ProjectEvents.TRADE_OPENED`` is ``"trade_opened"``.

    Every predefined type is here; any other lower-case name works too, and, as in seed 002,
    a project may add its own (``ProjectEvents.MODEL_RETRAINED = "model_retrained"``).
    """

    BOOT = "boot"
    SHUTDOWN = "shutdown"
    ERROR = "error"
    TRADE_OPENED = "trade_opened"
    TRADE_CLOSED = "trade_closed"
    ORDER_SUBMITTED = "order_submitted"
    ORDER_FILLED = "order_filled"
    ORDER_CANCELLED = "order_cancelled"
    ORDER_REJECTED = "order_rejected"
    RISK_LIMIT_BREACH = "risk_limit_breach"
    KILL_SWITCH = "kill_switch"
    AUTO_REPAIR = "auto_repair"
    SELF_HEAL = "self_heal"
    CONFIG_CHANGE = "config_change"
    TEST = "test"
    UNCLASSIFIED_EVENT = "unclassified_event"


class ProjectPrivileges:
    """Seed 002's privileges: ``ProjectPrivileges.EXECUTE_TRADE`` is ``"execute_trade"``; custom ones work too.

    Those a client declares go into its boot event; those granted on its token decide
    ``privilege_violation``.
    """

    EXECUTE_TRADE = "execute_trade"
    POST_MORTEM_ANALYSIS = "post_mortem_analysis"
    LIVE_MONITORING = "live_monitoring"
    UTILITIES = "utilities"


assert {v for k, v in vars(ProjectEvents).items() if k.isupper()} == set(EVENT_TYPES)
assert {v for k, v in vars(ProjectPrivileges).items() if k.isupper()} == set(PRIVILEGES)


class AuditNotifier(AuditClient):
    """Seed 002's ``AuditNotifier``: an :class:`AuditClient` that takes its constructor's argument names.

    ``AuditNotifier(project_name="MyTradingBot", project_market="FOREX", project_description="…",
    project_privileges=ProjectPrivileges.EXECUTE_TRADE)``; every :class:`AuditClient` option works
    too (``url``, ``token``, ``spool_dir``, …), from the environment by default.
    """

    def __init__(self, project_name: Optional[str] = None, project_market: Optional[str] = None,
                 project_description: Optional[str] = None, project_privileges: Union[str, Any, None] = None,
                 **options: Any) -> None:
        if "project" in options:
            super().__init__(**options)
            return
        super().__init__({"name": project_name, "market": project_market, "description": project_description,
                          "privileges": project_privileges}, **options)


_sinks: Dict[Tuple[str, str], Union[AuditClient, FileSink]] = {}
_sinks_lock = threading.Lock()


def _env_sink(project: str, market: Optional[str], file_format: str) -> Union[AuditClient, FileSink]:
    """The process's sink for ``project``: a client when the environment names a collector, else a file."""
    env = os.environ
    to_collector = "TRADETRAIL_TOKEN" in env or "TRADETRAIL_URL" in env
    # One client per project (two would contend for one spool); a file sink per project and format.
    key = (project, "" if to_collector else file_format)
    with _sinks_lock:
        sink = _sinks.get(key)
        if sink is None:
            sink = AuditClient({"name": project, "market": market}) if to_collector else FileSink(project, format=file_format)
            _sinks[key] = sink
        return sink


def fast_audit(name: str, market: str, message: str, event_type: str = DEFAULT_EVENT_TYPE) -> None:
    """Seed 002's one-liner: records ``message`` for project ``name``; never raises.

    With ``TRADETRAIL_TOKEN`` (or ``TRADETRAIL_URL``) set it goes to the collector, otherwise to the
    JSONL file of ``TRADETRAIL_LOG_PATH`` / ``RISK_AUDIT_LOG_PATH`` (``logs/tradetrail-audit.jsonl``).
    """
    try:
        _env_sink(name, market, "jsonl").send(event_type, message)
    except Exception:
        pass  # never in the caller's way


def script_project() -> str:
    """``TRADETRAIL_PROJECT``, else the running script's name (``auto_repair_system.py`` → ``auto_repair_system``)."""
    named = os.environ.get("TRADETRAIL_PROJECT")
    if named:
        return named
    script = os.path.splitext(os.path.basename(sys.argv[0] if sys.argv and sys.argv[0] else ""))[0]
    return re.sub(r"[^A-Za-z0-9_.-]", "_", script)[:64] or "script"


#: Seed 000's integration points, recognised by the message prefix as ``tradetrail import`` does.
_PREFIXES = (
    (re.compile(r"^auto-repair:", re.I), "auto_repair", "auto_repair_system"),
    (re.compile(r"^weekly self-heal:", re.I), "self_heal", "weekly_self_heal"),
    (re.compile(r"^real-?time monitor:", re.I), "auto_repair", "realtime_monitor"),
)
_FAILED = re.compile(r"\b(FAILED|FAILURE|ERROR|CRITICAL)\b", re.I)
_WARNING = re.compile(r"\bWARN(ING)?\b", re.I)


def log_action(message: str, *, type: Optional[str] = None, severity: Optional[str] = None, source: Optional[str] = None,
               actor: Optional[str] = None, data: Optional[Mapping[str, Any]] = None,
               metadata: Optional[Mapping[str, Any]] = None) -> None:
    """Seed 000's ``log_action("Auto-repair: Created database 'quantum'")``; never raises.

    The project is ``TRADETRAIL_PROJECT``, else the script's name. Type, source and severity
    default to what ``tradetrail import`` makes of the same line in seed 000's log: ``Auto-repair:``
    is ``auto_repair`` from ``auto_repair_system``, ``Weekly self-heal:`` is ``self_heal`` from
    ``weekly_self_heal``; FAILED or ERROR in the text is an ``error``, WARNING a ``warning``. With
    a collector configured it goes there; otherwise to seed 000's text lines in
    ``TRADETRAIL_LOG_PATH``, else seed 000's own ``/mnt/status/AUTO_REPAIR_AUDIT.log``.
    """
    try:
        text = message if isinstance(message, str) else str(message)
        known = next(((t, s) for pattern, t, s in _PREFIXES if pattern.match(text)), None)
        if severity is None:
            severity = "error" if _FAILED.search(text) else "warning" if _WARNING.search(text) else None
        _env_sink(script_project(), None, "text").send(
            type or (known[0] if known else DEFAULT_EVENT_TYPE), text, data, severity=severity,
            source=source or (known[1] if known else None), actor=actor, metadata=metadata)
    except Exception:
        pass  # never in the caller's way


def trigger_audit_dumping(hours: int = 30, *, url: Optional[str] = None, token: Optional[str] = None,
                          path: str = "dumped_audit_trails.json", timeout_ms: int = 30_000,
                          on_error: Optional[ErrorHandler] = None) -> Optional[str]:
    """Seed 002's dump: writes ``dumped_audit_trails.json`` (the last ``hours`` of events, by project, in
    seed 002's field names) into the working directory, from the collector's ``GET /v1/dump?hours=``.

    The collector is ``url``, else ``TRADETRAIL_URL``, else ``http://127.0.0.1:9324``; the token needs
    read access: ``token``, else ``TRADETRAIL_READ_TOKEN``, else ``TRADETRAIL_TOKEN``. The file is
    replaced whole or not at all. Returns its absolute path, or None when it could not be made (the
    reason goes to ``on_error``, else stderr); never raises.
    """
    report = error_reporter("tradetrail", on_error)
    try:
        env = os.environ
        base = url or env.get("TRADETRAIL_URL") or DEFAULT_URL
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            report(errors.client_options("url", f"must be an http:// or https:// URL, got {base!r}; nothing was dumped"))
            return None
        if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= 24 * 366 * 10:
            report(errors.client_options("hours", f"must be an integer from 1 to {24 * 366 * 10}, got {hours!r}; nothing was dumped"))
            return None
        secret = token or env.get("TRADETRAIL_READ_TOKEN") or env.get("TRADETRAIL_TOKEN") or ""
        origin = f"{parts.scheme}://{parts.netloc}"
        request = urllib.request.Request(f"{origin}/v1/dump?hours={hours}", headers={"Authorization": f"Bearer {secret}"})
        try:
            with urllib.request.urlopen(request, timeout=timeout_ms / 1000) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read()
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            report(errors.collector_unreachable(origin, str(reason)))
            return None
        try:
            answer = json.loads(body)
        except ValueError:
            answer = None
        if status != 200 or not isinstance(answer, dict):
            failure = answer.get("error") if isinstance(answer, dict) else None
            if isinstance(failure, dict) and isinstance(failure.get("code"), str) and isinstance(failure.get("message"), str):
                report(errors.collector_refused(origin, status, failure["code"], failure["message"]))
            else:
                report(errors.collector_not_tradetrail(origin, status))
            return None
        target = os.path.abspath(path)
        tmp = f"{target}.tmp-{os.getpid()}"
        with open(tmp, "wb") as file:
            file.write(body)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, target)
        return target
    except Exception as error:
        report(errors.sink_write(os.path.abspath(path) if isinstance(path, str) else repr(path), errors.io_reason(error)))
        return None


def _name_of(value: Any, default: str) -> str:
    """An enum member by its name (seed 003 wrote ``event.event_type.name``), anything else as text."""
    if value is None:
        return default
    if isinstance(value, enum.Enum):
        return value.name
    return value if isinstance(value, str) else str(value)


class EnhancedJsonAuditSink(FileSink):
    """Seed 003's ``EnhancedJsonAuditSink(path=None)``, fixed: its record shape, its path rules, its warnings.

    ``write(event)`` takes seed 003's ``RiskEvent`` (or any object or mapping with ``event_id``,
    ``event_type``, ``priority``, ``source``, ``data``, ``metadata``, ``timestamp_ns``) and appends
    ``{"ts", "event_id", "event_type", "priority", "source", "data", "metadata", "timestamp_ns"}``
    off the caller's thread. The path is ``path``, else ``RISK_AUDIT_LOG_PATH``, else
    ``logs/risk_audit.jsonl``. Opening the file logs "Audit log file initialized: <path>"; a
    directory on tmpfs or under /tmp in a container logs seed 003's "AUDIT LOG RISK" warning; a
    failed write logs "Audit write failed" and puts the record on stderr as ``AUDIT_EMERGENCY {json}``
    (seed 003 printed only its type and id). ``send()`` works as on every sink, and ``tradetrail
    import`` reads the file back.
    """

    def __init__(self, path: Union[str, "os.PathLike[str]", None] = None, *, project: Optional[str] = None,
                 logger: Optional[logging.Logger] = None, on_error: Optional[ErrorHandler] = None, **options: Any) -> None:
        #: Where the seed's messages go (seed 003 logged through ``self.logger``).
        self.logger = logger or logging.getLogger("tradetrail.audit_sink")
        super().__init__(project or script_project(), path=path, format="seed003",
                         on_error=on_error or self._log_problem, **options)

    def _log_problem(self, error: TradetrailError) -> None:
        if error.code == "TT_ERR_SINK_UNSAFE_DIR":
            self.logger.warning("AUDIT LOG RISK: %s", error.message)
        elif error.code == "TT_ERR_SINK_WRITE":
            self.logger.error("Audit write failed: %s", error.message)
        else:
            self.logger.warning("%s: %s", error.code, error.message)

    def write(self, event: Any) -> None:
        """Appends seed 003's record of ``event``; returns at once and never raises."""
        try:
            get = event.get if isinstance(event, Mapping) else lambda name, default=None: getattr(event, name, default)
            timestamp_ns = get("timestamp_ns")
            micros = time.time_ns() // 1000
            event_id = get("event_id")
            self._enqueue(Seed003Record(
                micros=micros,
                event_id=str(event_id) if event_id is not None else "",
                event_type=_name_of(get("event_type"), "UNCLASSIFIED_EVENT"),
                priority=_name_of(get("priority"), "INFO"),
                source=get("source"),
                data=snapshot(get("data"), "data"),
                metadata=snapshot(get("metadata"), "metadata"),
                timestamp_ns=timestamp_ns if isinstance(timestamp_ns, int) and not isinstance(timestamp_ns, bool) else micros * 1000,
            ))
        except Exception as error:  # only a hostile event (attributes that raise) gets here
            self._problems.dropped += 1
            self._report(errors.event_bad_value("event", f"could not be read ({error})"))


#: Seed 003's first sink (a fixed path); the same class, which takes ``path`` and ``RISK_AUDIT_LOG_PATH``.
JsonAuditSink = EnhancedJsonAuditSink
