"""An audit file, for systems that run no collector: the TypeScript FileSink's promises, in three formats.

- ``jsonl`` (default): one wire-format v1 event per line (ids, µs timestamps), exactly what the
  collector would be sent; path ``TRADETRAIL_LOG_PATH``, else ``RISK_AUDIT_LOG_PATH``, else
  ``logs/tradetrail-audit.jsonl``.
- ``text``: seed 000's ``[2025-12-17T21:00:03Z] message`` lines; path ``TRADETRAIL_LOG_PATH``,
  else seed 000's ``/mnt/status/AUTO_REPAIR_AUDIT.log``.
- ``seed003``: seed 003's records (``ts``, ``event_id``, ``event_type``, ``priority``, ``source``,
  ``data``, ``metadata``, ``timestamp_ns``); path ``RISK_AUDIT_LOG_PATH``, else
  ``TRADETRAIL_LOG_PATH``, else seed 003's ``logs/risk_audit.jsonl``.

``tradetrail import FILE`` reads each back. ``send()`` only stamps and queues; a writer thread
appends whole lines (rotating by size, a line never split, an older file never overwritten).
When writes fail (disk full, read-only, permissions, the path is a directory) every event of the
failed write goes to stderr as an ``AUDIT_EMERGENCY {json}`` line, ``on_error`` hears of it once
per outage, and the next write tries the file again. A directory on tmpfs, or under /tmp inside
a container, is reported at start (seed 003's warning). Exit and SIGTERM write what is queued.
"""
from __future__ import annotations

import collections
import errno
import itertools
import json
import logging
import os
import threading
import time
from typing import Any, Callable, Deque, Dict, List, Mapping, NamedTuple, Optional, Tuple, Union

from . import _exit, errors
from ._event import EXTRA_ARGS, PROJECT_RE, Encoder, Record, Snapshot, record, take_all, to_json, unsendable
from ._options import check_defaults
from ._report import ErrorHandler, Problems, error_reporter, write_emergency
from ._spool import write_all
from ._storage import storage_risks
from .errors import TradetrailError

__all__ = ["FileSink", "SinkStats", "FORMATS"]

FORMATS = ("jsonl", "text", "seed003")
#: Where each format's file goes when neither the option nor the environment names one.
DEFAULT_PATHS = {"jsonl": "logs/tradetrail-audit.jsonl", "text": "/mnt/status/AUTO_REPAIR_AUDIT.log", "seed003": "logs/risk_audit.jsonl"}
_PATH_VARIABLES = {
    "jsonl": ("TRADETRAIL_LOG_PATH", "RISK_AUDIT_LOG_PATH"),
    "text": ("TRADETRAIL_LOG_PATH",),
    "seed003": ("RISK_AUDIT_LOG_PATH", "TRADETRAIL_LOG_PATH"),
}
_MAX_BATCH = 1024

logger = logging.getLogger("tradetrail.file_sink")

class Seed003Record(NamedTuple):
    """Seed 003's ``RiskEvent`` as written by ``EnhancedJsonAuditSink.write()``: taken on the caller's thread."""

    micros: int
    event_id: str
    event_type: str
    priority: str
    source: Any
    data: Snapshot
    metadata: Snapshot
    timestamp_ns: int


#: What the writer turns into a line: a ``send()`` record, or a seed 003 record.
_Item = Union[Record, Seed003Record]


class SinkStats(collections.namedtuple("SinkStats", "queued spooled sent failed dropped")):
    """``queued`` in memory; ``spooled`` always 0; ``sent`` lines written; ``failed`` writes that failed;
    ``dropped`` events that went to stderr instead."""


def rotated_name(path: str, now: float, n: int) -> str:
    """``audit.jsonl`` rotated at ``now`` → ``audit-20251217T210003Z.jsonl``, then ``_001``, ``_002``… (they sort in time order)."""
    stem, ext = os.path.splitext(path)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    return f"{stem}-{stamp}{'_%03d' % n if n > 0 else ''}{ext}"


def _seed_ts(micros: int) -> str:
    """Seed 003's ``ts``: milliseconds, ``Z``."""
    second, fraction = divmod(micros, 1_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)) + ".%03dZ" % (fraction // 1000)


class FileSink:
    """Writes audit events to a local file; same ``send()``, ``flush()``, ``close()``, ``stats()`` as the client.

    Never raises: a bad project or path sends every event to stderr (AUDIT_EMERGENCY lines), a
    bad tuning value is replaced by its default; each is reported through ``on_error``.
    """

    def __init__(self, project: Optional[str] = None, *, path: Union[str, "os.PathLike[str]", None] = None,
                 format: str = "jsonl", source: Optional[str] = None, actor: Optional[str] = None,
                 metadata: Optional[Mapping[str, Any]] = None, max_file_bytes: Optional[int] = None,
                 max_queued_events: Optional[int] = None, fsync: Optional[bool] = None,
                 on_error: Optional[ErrorHandler] = None, env: Optional[Mapping[str, str]] = None,
                 mounts: Optional[str] = None, in_container: Optional[bool] = None) -> None:
        """``mounts`` and ``in_container`` stand in for /proc/mounts and the container check, for tests."""
        problems: List[TradetrailError] = []

        def bad(option: str, reason: str) -> None:
            problems.append(errors.client_options(option, reason))

        to_stderr = "every event goes to stderr as an AUDIT_EMERGENCY line"
        if on_error is not None and not callable(on_error):
            bad("on_error", "must be a callable; problems go to stderr")
            on_error = None
        if env is not None and not isinstance(env, Mapping):
            bad("env", "must be a mapping of environment variables; using os.environ")
            env = None
        self._env: Mapping[str, str] = os.environ if env is None else env
        if format not in FORMATS:
            bad("format", f"must be one of {', '.join(FORMATS)}, got {format!r}; using jsonl")
            format = "jsonl"
        #: ``jsonl``, ``text`` or ``seed003``.
        self.format = format
        project_ok = isinstance(project, str) and PROJECT_RE.match(project) is not None
        if not project_ok:
            bad("project", f"must match ^[A-Za-z0-9_.-]{{1,64}}$, got {project!r}; {to_stderr}")
        raw, path_from = self._choose_path(path)
        text = os.fspath(raw) if isinstance(raw, (str, os.PathLike)) else None
        resolved: Optional[str] = None
        if isinstance(text, str) and text != "" and "\0" not in text:
            resolved = os.path.abspath(text)
        else:
            bad("path" if path_from == "option path" else path_from, f"must be a file path, got {raw!r}; {to_stderr}")
        #: Absolute path of the live file; None when every event goes to stderr (bad project or path).
        self.path: Optional[str] = resolved if project_ok else None
        self._path_from = path_from
        default_source, default_actor, default_metadata = check_defaults(source, actor, metadata, bad)
        self._encoder = Encoder(project if project_ok else "unnamed", default_source, default_actor, default_metadata)  # type: ignore[arg-type]
        self._max_file_bytes = self._integer("max_file_bytes", max_file_bytes, 100 * 1024 * 1024, bad)
        self._max_queued = self._integer("max_queued_events", max_queued_events, 100_000, bad)
        self._fsync = False
        if fsync is not None:
            if isinstance(fsync, bool):
                self._fsync = fsync
            else:
                bad("fsync", f"must be True or False, got {fsync!r}; using False")
        self._mounts = mounts
        self._in_container = in_container
        self.exit_flush_timeout_ms = 2000

        self._report = error_reporter("tradetrail-file-sink", on_error)
        self._problems = Problems(self._report)
        self._queue: Deque[_Item] = collections.deque()
        self._overflow: Deque[_Item] = collections.deque()
        self._counter = itertools.count(1)
        self._closed = False
        self._stopped = False
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._done = threading.Condition(self._lock)
        self._pass = 0
        self._fd: Optional[int] = None
        self._size = 0
        self._failing: Optional[str] = None
        self._sent = 0
        self._failed = 0
        self._close_lock = threading.Lock()
        self._closing = False
        self._initial_problems = problems
        _exit.watch(self)
        self._writer = threading.Thread(target=self._run, name=f"tradetrail-file-{self._encoder.project}", daemon=True)
        try:
            self._writer.start()
        except RuntimeError as error:  # no thread to be had: the exit hook still writes what is queued
            self._report(errors.sink_write(self.path or "stderr", f"no writer thread ({error}); events are written at exit"))

    def _choose_path(self, path: Any) -> Tuple[Any, str]:
        """The file's path and the setting that named it: option, an environment variable, or default."""
        if path is not None:
            return path, "option path"
        for name in _PATH_VARIABLES[self.format]:
            if self._env.get(name):
                return self._env[name], name
        return DEFAULT_PATHS[self.format], "default"

    @staticmethod
    def _integer(name: str, value: Any, default: int, bad: Callable[[str, str], None]) -> int:
        if value is None:
            return default
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            return value
        bad(name, f"must be an integer of at least 1, got {value!r}; using {default}")
        return default

    # ---------------------------------------------------------------- the caller's side

    def send(self, event_type: Any = None, message: Any = "", data: Optional[Mapping[str, Any]] = None, *args: Any,
             severity: Optional[str] = None, source: Optional[str] = None, actor: Optional[str] = None,
             metadata: Optional[Mapping[str, Any]] = None, id: Optional[str] = None, ts: Optional[str] = None,
             **fields: Any) -> None:
        """Records one event and returns at once (see :meth:`AuditClient.send`); never raises, never waits on I/O."""
        try:
            self._enqueue(record(next(self._counter), event_type, message, data, args, fields, severity, source, actor, metadata, id, ts))
            if args:
                self._problems.report_once(EXTRA_ARGS)
        except Exception as error:
            self._problems.dropped += 1
            self._report(errors.event_bad_value("options", f"could not be read ({error})"))

    def _enqueue(self, item: _Item) -> None:
        if self._closed or len(self._queue) >= self._max_queued:
            if self._stopped:
                self._problems.report_once(errors.client_closed())
                self._problems.drop(None, self._emergency_text(item))
                return
            self._overflow.append(item)
        else:
            self._queue.append(item)
        self._wake.set()

    def flush(self, timeout_ms: int = 5000) -> None:
        """Returns once everything sent before the call is written (fdatasync'd with ``fsync=True``), or after
        ``timeout_ms``. Never raises."""
        try:
            self._flush_until(time.monotonic() + max(0, timeout_ms) / 1000)
        except Exception:
            pass

    def close(self) -> None:
        """Flushes, closes the file and stops; later ``send()`` calls are reported and dropped. Never raises."""
        with self._close_lock:
            if self._closing:
                return
            self._closing = True
        try:
            self._closed = True
            self._flush_until(time.monotonic() + 30)
            with self._lock:
                self._write_all()
                self._stopped = True
                self._close_file()
                self._done.notify_all()
            self._wake.set()
            for item in take_all(self._queue) + take_all(self._overflow):
                self._problems.drop(errors.client_closed(), self._emergency_text(item))
        except Exception:
            pass
        finally:
            _exit.unwatch(self)

    def stats(self) -> SinkStats:
        return SinkStats(queued=len(self._queue), spooled=0, sent=self._sent, failed=self._failed, dropped=self._problems.dropped)

    def __enter__(self) -> "FileSink":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ---------------------------------------------------------------- exit

    def _flush_until(self, deadline: float) -> None:
        if not self._lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            return
        try:
            generation = self._pass
            self._wake.set()
            while self._pass <= generation and not self._stopped:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                self._done.wait(remaining)
        finally:
            self._lock.release()

    def _persist(self) -> None:
        """Process exit: what is queued is written now (to stderr when the file cannot take it)."""
        _exit.under_lock(self._lock, self._write_all)

    # ---------------------------------------------------------------- the writer

    def _run(self) -> None:
        for problem in self._initial_problems:
            self._report(problem)
        with self._lock:
            if self.path is not None:
                try:
                    self._open()
                except OSError as error:
                    # Reported now so a misconfiguration shows before the first event.
                    self._write_failed(error, [])
                else:
                    directory = os.path.dirname(self.path)
                    risks = storage_risks(directory, env=self._env, mounts=self._mounts, in_container=self._in_container)
                    if risks:
                        self._report(errors.sink_unsafe_dir(directory, " and ".join(risks)))
        while True:
            self._wake.wait()
            self._wake.clear()
            with self._lock:
                if self._stopped:
                    return
                try:
                    self._write_all()
                except Exception as error:  # a bug of ours must not end the writer
                    self._report(errors.sink_write(self.path or "stderr", f"internal error: {error!r}"))
                    self._pass += 1
                self._done.notify_all()

    def _write_all(self) -> None:
        """Writes everything queued, a batch at a time; one pass (flush() waits for a whole one). Called with the lock held."""
        if self._stopped:
            return
        refused = take_all(self._overflow)
        if refused:
            self._problems.report_once(errors.client_closed() if self._closed else errors.client_queue_full(self._max_queued))
            for item in refused:
                self._problems.drop(None, self._emergency_text(item))
        while self._queue:
            items: List[_Item] = []
            while self._queue and len(items) < _MAX_BATCH:
                items.append(self._queue.popleft())
            lines = [line for line in map(self._line, items) if line is not None]
            if not lines:
                continue
            if self.path is None:
                self._give_up(lines)
            else:
                self._append(lines)
        self._pass += 1

    def _line(self, item: _Item) -> Optional[bytes]:
        """The file's line for ``item`` (without its newline); an invalid event is reported, counted and sent to stderr."""
        if isinstance(item, Seed003Record):
            return to_json(self._risk_payload(item), compact=False).encode("utf-8", "backslashreplace")
        line = self._encoder.encode(item)
        if isinstance(line, TradetrailError):
            self._problems.drop(line, unsendable(item, self._encoder.project, line))
            return None
        if self.format == "jsonl":
            return line
        _, micros, event_type, message, data, options = item
        if self.format == "text":
            text = message if isinstance(message, str) else ("" if message is None else str(message))
            second = micros // 1_000_000
            # A line per event: line breaks inside the message would make lines of their own.
            return (time.strftime("[%Y-%m-%dT%H:%M:%SZ] ", time.gmtime(second)) + " ".join(text.splitlines())).encode("utf-8", "backslashreplace")
        wire = json.loads(line)
        payload = _seed003_payload(wire, micros)
        return to_json(payload, compact=False).encode("utf-8", "backslashreplace")

    def _emergency_text(self, item: _Item) -> str:
        if isinstance(item, Seed003Record):
            return to_json(self._risk_payload(item))
        line = self._encoder.encode(item)
        return unsendable(item, self._encoder.project, line) if isinstance(line, TradetrailError) else line.decode("utf-8")

    def _risk_payload(self, item: Seed003Record) -> Dict[str, Any]:
        """Seed 003's record, its fields in its order; an event without an id gets a UUIDv7."""
        def obj(value: Snapshot) -> Any:
            if isinstance(value, TradetrailError):
                return {"unserialisable": value.message}
            return json.loads(value) if isinstance(value, str) else value
        return {
            "ts": _seed_ts(item.micros), "event_id": item.event_id or self._encoder.new_id(item.micros),
            "event_type": item.event_type, "priority": item.priority, "source": item.source,
            "data": obj(item.data), "metadata": obj(item.metadata), "timestamp_ns": item.timestamp_ns,
        }

    def _open(self) -> int:
        if self._fd is not None:
            return self._fd
        assert self.path is not None
        os.makedirs(os.path.dirname(self.path), mode=0o750, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            size = os.fstat(fd).st_size
            # A line cut short by a crash keeps a line of its own instead of swallowing our first one.
            if size > 0 and os.pread(fd, 1, size - 1) != b"\n":
                size += os.write(fd, b"\n")
        except OSError:
            os.close(fd)
            raise
        self._fd, self._size = fd, size
        logger.info("Audit log file initialized: %s", self.path)
        return fd

    def _close_file(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass

    def _append(self, lines: List[bytes]) -> None:
        """Appends whole lines, rotating before the file would pass max_file_bytes; a failure sends the rest to stderr."""
        start = 0
        try:
            while start < len(lines):
                self._open()
                room = self._max_file_bytes - self._size
                end, size = start, 0
                while end < len(lines) and (size + len(lines[end]) + 1 <= room or (end == start and self._size == 0)):
                    size += len(lines[end]) + 1
                    end += 1
                if end == start:
                    self._rotate()
                    continue
                self._write(b"\n".join(lines[start:end]) + b"\n")
                self._sent += end - start
                start = end
            self._failing = None
        except OSError as error:
            self._close_file()
            self._write_failed(error, lines[start:])

    def _write(self, data: bytes) -> None:
        for attempt in (0, 1):
            fd = self._open()
            write_all(fd, data)
            if self._fsync:
                os.fdatasync(fd)
            status = os.fstat(fd)
            if status.st_nlink > 0:
                self._size = status.st_size
                return
            # Deleted while open (the file or its directory): the lines went down with it; once more, into a new file.
            self._close_file()
        raise OSError(errno.ENOENT, "the file was deleted while it was being written")

    def _rotate(self) -> None:
        assert self.path is not None
        self._close_file()
        now = time.time()
        n = 0
        while True:
            target = rotated_name(self.path, now, n)
            try:
                os.link(self.path, target)  # unlike rename, never replaces an existing file
            except FileExistsError:
                n += 1
                continue
            except OSError:
                if os.path.lexists(target):
                    n += 1
                    continue
                os.rename(self.path, target)  # no hard links on this file system
                break
            os.unlink(self.path)
            break
        self._size = 0

    def _write_failed(self, error: OSError, lines: List[bytes]) -> None:
        reason = errors.io_reason(error)
        # Naming the variable saves a search when the path came from the environment.
        if self._path_from.endswith("_PATH"):
            reason += f" (path set by {self._path_from})"
        problem = errors.sink_write(self.path or "stderr", reason)
        if lines:
            self._failed += 1
        if problem.message != self._failing:
            self._failing = problem.message
            self._report(problem)
        self._give_up(lines)

    def _give_up(self, lines: List[bytes]) -> None:
        for line in lines:
            self._problems.dropped += 1
            write_emergency(line.decode("utf-8", "replace"))


#: A Tradetrail severity as seed 003's priority (``tradetrail import`` maps each back).
_PRIORITIES = {"debug": "DEBUG", "info": "INFO", "notice": "NOTICE", "warning": "WARNING", "error": "ERROR", "critical": "CRITICAL"}


def _seed003_payload(wire: Dict[str, Any], micros: int) -> Dict[str, Any]:
    """A wire-format event as seed 003's record; the message rides in ``data.message``, where import finds it."""
    data = dict(wire.get("data") or {})
    data.setdefault("message", wire["message"])
    return {
        "ts": _seed_ts(micros), "event_id": wire["id"], "event_type": wire["type"].upper(),
        "priority": _PRIORITIES[wire["severity"]], "source": wire.get("source"), "data": data,
        "metadata": wire.get("metadata") or {}, "timestamp_ns": micros * 1000,
    }


