"""The SDK a Python bot holds: the TypeScript SDK's promises (docs/client.md) with threads.

``send()`` stamps the time, copies ``data``, appends to a queue and returns: no lock, no I/O,
never an exception. Everything else happens on two daemon threads per client:

- the *worker* owns all state: it cuts the queue into NDJSON batches (sealed at
  ``batch_max_events`` / ``batch_max_bytes`` or ``flush_interval_ms`` after the first event),
  spills batches to the spool (always in ``wal`` mode; in ``memory`` mode during an outage,
  behind older spooled batches, when a quarter of ``max_queued_events`` waits, on flush timeout
  and exit), and hands the oldest undelivered batch (the spool's head, else the oldest in
  memory) to the poster, one at a time, then applies the answer: acknowledged, retried with
  backoff, events named invalid dropped, or split in halves;
- the *poster* only carries out the HTTP request (so that batching and spilling go on while a
  request waits for a slow collector).

A batch sent from memory while a spill also writes it to the spool may be acknowledged first;
its spool copy, necessarily the spool's head, is then skipped instead of sent twice (the
TypeScript delivery-ledger.ts, whose states collapse here because a spill never overlaps the
worker's handling of an answer).
"""
from __future__ import annotations

import collections
import itertools
import math
import os
import platform
import queue
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any, Deque, Dict, List, Mapping, Optional, Tuple, Union

from . import _exit, errors
from ._batches import Part, rejected_batch
from ._event import EXTRA_ARGS, Encoder, Record, record, take_all, unsendable
from ._options import ClientSettings, Project, resolve
from ._post import BatchPoster, ClockOffset, Outcome, retry_delay_s
from ._report import ErrorHandler, Problems, error_reporter
from ._spool import SpoolQueue, append_before_open
from ._storage import storage_risks
from .errors import TradetrailError

__all__ = ["AuditClient", "ClientStats"]

SDK = "tradetrail-python/0.1.0"
#: Most bytes of batches spilled to the spool in one write.
_SPILL_BYTES = 8 * 1024 * 1024
#: Most events encoded in one step of the worker, so an answer or a flush is not kept waiting long.
_ENCODE_MAX = 8192
#: The pause every 128 events encoded; time.sleep(0) gives the GIL up too briefly for a waiting thread to take it.
_YIELD_S = 0.0001


@dataclass(frozen=True)
class ClientStats:
    """Counters since the client was made, and the latest clock estimate."""

    #: Events in memory only (queued, or in batches not yet in the spool).
    queued: int
    #: Events in the spool, not yet delivered.
    spooled: int
    #: Events the collector acknowledged.
    sent: int
    #: Requests the collector did not acknowledge (retried).
    failed: int
    #: Events given up: invalid, refused by the collector, or with nowhere left to keep them.
    dropped: int
    #: Collector clock minus this one in ms (positive: this clock is behind), once known.
    clock_offset_ms: Optional[float]
    #: Round trip of that estimate in ms; the offset is good to ± half of it.
    clock_rtt_ms: Optional[float]


class _Batch:
    __slots__ = ("body", "events", "min_seq", "spooled")

    def __init__(self, body: bytes, events: int, min_seq: int) -> None:
        self.body = body
        self.events = events
        #: The smallest sequence number in it (flush() waits on sequence numbers).
        self.min_seq = min_seq
        #: Written to the spool while it was being sent from memory: its spool copy is skipped once acknowledged.
        self.spooled = False


class _Front:
    """The oldest undelivered batch, being worked on; ``parts`` shrink as the collector takes them."""

    __slots__ = ("parts", "batch")

    def __init__(self, parts: List[Part], batch: Optional[_Batch]) -> None:
        self.parts = parts
        #: Set when it came from memory; None when it is the spool's head.
        self.batch = batch


class AuditClient:
    """Sends a bot's audit events to a Tradetrail collector: batched, in order, through a local spool
    when the collector is away, and flushed on process exit. See docs/client.md.

    Every argument but ``project`` is keyword-only and optional; a bad one is reported through
    ``on_error`` (``TT_ERR_CLIENT_OPTIONS``) and replaced by its default, never raised:

    - ``project``: a name, or ``{"name", "market", "description", "privileges"}``.
    - ``url`` (``TRADETRAIL_URL``, else ``http://127.0.0.1:9324``), ``token`` (``TRADETRAIL_TOKEN``).
    - ``source``, ``actor``, ``metadata``: defaults for every event.
    - ``durability``: ``"memory"`` (default; ``TRADETRAIL_DURABILITY``) or ``"wal"``.
    - ``spool_dir``: ``TRADETRAIL_SPOOL_DIR``, else ``.tradetrail-spool/<project>``; False for none.
    - ``max_spool_bytes`` (256 MiB), ``max_queued_events`` (100,000), ``batch_max_events`` (1,000),
      ``batch_max_bytes`` (1 MiB), ``flush_interval_ms`` (25), ``request_timeout_ms`` (10,000),
      ``retry_initial_ms`` (100), ``retry_max_ms`` (30,000), ``exit_flush_timeout_ms`` (2,000),
      ``clock_skew_limit_ms`` (50; 0 turns the report off).
    - ``handle_exit`` (True): flush on exit and SIGTERM; ``boot`` (True): record a ``boot`` event.
    - ``on_error``: called with every :class:`~tradetrail.TradetrailError`, on the client's own
      thread; its exceptions are swallowed. Without it, one stderr line per code per minute.
    - ``env``: where the ``TRADETRAIL_*`` defaults come from (default ``os.environ``).
    """

    def __init__(self, project: Union[str, Mapping[str, Any], Project, None] = None, *,
                 url: Optional[str] = None, token: Optional[str] = None,
                 source: Optional[str] = None, actor: Optional[str] = None, metadata: Optional[Mapping[str, Any]] = None,
                 durability: Optional[str] = None, spool_dir: Union[str, "os.PathLike[str]", bool, None] = None,
                 max_spool_bytes: Optional[int] = None, max_queued_events: Optional[int] = None,
                 batch_max_events: Optional[int] = None, batch_max_bytes: Optional[int] = None,
                 flush_interval_ms: Optional[int] = None, request_timeout_ms: Optional[int] = None,
                 retry_initial_ms: Optional[int] = None, retry_max_ms: Optional[int] = None,
                 exit_flush_timeout_ms: Optional[int] = None, handle_exit: Optional[bool] = None,
                 clock_skew_limit_ms: Optional[int] = None, boot: Optional[bool] = None,
                 on_error: Optional[ErrorHandler] = None, env: Optional[Mapping[str, str]] = None,
                 **unknown: Any) -> None:
        options: Dict[str, Any] = dict(
            url=url, token=token, source=source, actor=actor, metadata=metadata, durability=durability, spool_dir=spool_dir,
            max_spool_bytes=max_spool_bytes, max_queued_events=max_queued_events, batch_max_events=batch_max_events,
            batch_max_bytes=batch_max_bytes, flush_interval_ms=flush_interval_ms, request_timeout_ms=request_timeout_ms,
            retry_initial_ms=retry_initial_ms, retry_max_ms=retry_max_ms, exit_flush_timeout_ms=exit_flush_timeout_ms,
            handle_exit=handle_exit, clock_skew_limit_ms=clock_skew_limit_ms, boot=boot, env=env, **unknown)
        problems: List[TradetrailError] = []
        if on_error is not None and not callable(on_error):
            problems.append(errors.client_options("on_error", "must be a callable; problems go to stderr"))
            on_error = None
        try:
            settings, found, self._env = resolve(project, options)
        except Exception as error:  # only a hostile argument (a Mapping whose methods raise) gets here
            settings, found, self._env = resolve(None, {})
            found.insert(0, errors.client_options("project", f"could not be read ({error})"))
        problems.extend(found)
        #: The options as checked when the client was made.
        self.settings: ClientSettings = settings
        self.exit_flush_timeout_ms = settings.exit_flush_timeout_ms
        self._report = error_reporter("tradetrail", on_error)
        self._problems = Problems(self._report)
        self._encoder = Encoder(settings.project.name, settings.source, settings.actor, settings.metadata)

        # Shared with send() without a lock: appends and len() of a deque are atomic.
        self._queue: Deque[Record] = collections.deque()
        self._overflow: Deque[Record] = collections.deque()
        self._counter = itertools.count(1)
        self._armed = False
        self._closed = False
        self._held = 0
        self._burst = settings.batch_max_events
        self._max_queued = settings.max_queued_events
        self._wake = threading.Event()

        # The worker's state; other threads touch it only under the lock.
        self._lock = threading.Lock()
        self._done = threading.Condition(self._lock)
        self._lines: List[bytes] = []
        self._lines_bytes = 0
        self._lines_min_seq = math.inf
        self._cut_at: Optional[float] = None
        self._cut_requested = False
        self._cut_gen = 0
        self._mem: Deque[_Batch] = collections.deque()
        self._mem_events = 0
        self._spool: Optional[SpoolQueue] = None
        self._spool_opening = settings.spool_dir is not None
        self._reopen_spool = False
        self._spool_min_seqs: Deque[float] = collections.deque()
        self._skip = 0
        self._skip_events = 0
        self._spool_broken_until = 0.0
        self._force_spill = False
        self._front: Optional[_Front] = None
        self._inflight = False
        self._outcome: Optional[Outcome] = None
        self._retry_at: Optional[float] = None
        self._attempt = 0
        self._outage = False
        self._sent = 0
        self._failed = 0
        self._clock = ClockOffset()
        self._next_wait: Optional[float] = 0.0
        self._stopped = False
        self._close_lock = threading.Lock()
        self._closing = False

        self._jobs: "queue.SimpleQueue[Optional[Tuple[bytes, Any]]]" = queue.SimpleQueue()
        self._poster = BatchPoster(settings.url, settings.token, settings.request_timeout_ms) if settings.url else None
        self._initial_problems = problems
        name = settings.project.name
        self._worker = threading.Thread(target=self._run, name=f"tradetrail-{name}", daemon=True)
        self._poster_thread = threading.Thread(target=self._post_loop, name=f"tradetrail-post-{name}", daemon=True)
        if settings.handle_exit:
            _exit.watch(self)
        try:
            self._worker.start()
            self._poster_thread.start()
        except RuntimeError as error:  # no thread to be had: events wait for exit, which spools them
            self._report(errors.client_spool(str(settings.spool_dir), f"no delivery thread ({error}); events are spooled at exit"))
        if settings.boot:
            about: Dict[str, Any] = {"market": settings.project.market, "description": settings.project.description}
            about = {k: v for k, v in about.items() if v is not None}
            about["privileges"] = list(settings.project.privileges)
            self.send("boot", "Project was booted.", about, metadata={
                "host": socket.gethostname(), "pid": os.getpid(), "runtime": f"python {platform.python_version()}", "sdk": SDK})

    # ---------------------------------------------------------------- the caller's side

    def send(self, event_type: Any = None, message: Any = "", data: Optional[Mapping[str, Any]] = None, *args: Any,
             severity: Optional[str] = None, source: Optional[str] = None, actor: Optional[str] = None,
             metadata: Optional[Mapping[str, Any]] = None, id: Optional[str] = None, ts: Optional[str] = None,
             **fields: Any) -> None:
        """Records one event and returns at once; it never raises and does no I/O.

        ``event_type``: a predefined type (``ProjectEvents.TRADE_OPENED`` is ``"trade_opened"``) or any
        ``^[a-z][a-z0-9_.:-]{0,63}$``. ``data`` and keyword arguments other than the options below
        become the event's ``data`` (seed 002's ``send(type, message, symbol="EURUSD")``), copied now.
        Options: ``severity`` (``info`` by default), ``source``, ``actor``, ``metadata`` (merged over the
        client's), ``id`` (your own idempotency key, a lower-case UUID), ``ts`` (RFC 3339 UTC, when it
        happened elsewhere). A data field named like an option goes in ``data=``.
        """
        try:
            event = record(next(self._counter), event_type, message, data, args, fields, severity, source, actor, metadata, id, ts)
            if args:
                self._problems.report_once(EXTRA_ARGS)
            events = self._queue
            if self._closed or len(events) + self._held >= self._max_queued:
                self._refuse(event)
                return
            events.append(event)
            if not self._armed:
                self._armed = True
                self._wake.set()
            elif len(events) >= self._burst:
                self._wake.set()
        except Exception as error:  # only hostile arguments (a __eq__ or Mapping that raises) get here
            self._problems.dropped += 1
            self._report(errors.event_bad_value("options", f"could not be read ({error})"))

    def _refuse(self, event: Record) -> None:
        if not self._stopped:
            self._overflow.append(event)
            self._wake.set()
            return
        # After close() no thread is left to do it: this one writes the stderr line.
        self._problems.report_once(errors.client_closed())
        self._problems.drop(None, self._emergency_text(event))

    def flush(self, timeout_ms: int = 5000) -> None:
        """Returns once every event sent before the call is acknowledged by the collector, or, after
        ``timeout_ms``, once the rest is in the spool (or all that can be done: no spool). Never raises."""
        try:
            self._flush_until(time.monotonic() + max(0, timeout_ms) / 1000)
        except Exception as error:
            self._report(errors.client_spool(str(self.settings.spool_dir), f"flush failed: {error}"))

    def close(self, timeout_ms: int = 5000) -> None:
        """Flushes (see :meth:`flush`), then spools what is left and stops: later ``send()`` calls are
        reported and dropped. Never raises; a second call returns at once."""
        if self._own_thread():
            return  # it would wait for itself; close from the bot's thread
        with self._close_lock:
            if self._closing:
                return
            self._closing = True
        try:
            self.flush(timeout_ms)
            if not self._lock.acquire(timeout=_exit.LOCK_WAIT_S):
                return
            try:
                self._closed = True
                self._keep_rest()
                self._stopped = True
                if self._spool is not None:
                    self._spool.close()  # kept referenced: stats() still counts what waits in it
                self._jobs.put(None)
            finally:
                self._done.notify_all()
                self._lock.release()
            self._wake.set()
            # A send() that read _closed just before it changed: its record is given up here.
            for event in take_all(self._queue) + take_all(self._overflow):
                self._problems.drop(errors.client_closed(), self._emergency_text(event))
        except Exception as error:
            self._report(errors.client_spool(str(self.settings.spool_dir), f"close failed: {error}"))
        finally:
            _exit.unwatch(self)

    def stats(self) -> ClientStats:
        """What the client has done so far (a snapshot taken without stopping its threads)."""
        best = self._clock.best()
        spool = self._spool
        spooled = spool.pending_events - self._skip_events if spool is not None else 0
        return ClientStats(
            queued=len(self._queue) + len(self._lines) + self._mem_events, spooled=max(0, spooled), sent=self._sent,
            failed=self._failed, dropped=self._problems.dropped,
            clock_offset_ms=None if best is None else best.offset_us / 1000,
            clock_rtt_ms=None if best is None else best.rtt_us / 1000)

    def __enter__(self) -> "AuditClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ---------------------------------------------------------------- flush and exit

    def _own_thread(self) -> bool:
        """Whether this is one of the client's threads (an on_error hook calling flush() or close())."""
        return threading.current_thread() in (self._worker, self._poster_thread)

    def _flush_until(self, deadline: float) -> None:
        if self._own_thread():
            return  # it would wait for itself
        target = next(self._counter)
        if not self._lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            return
        try:
            if self._stopped:
                return
            generation = self._cut_gen
            self._cut_requested = True
            self._wake.set()
            while True:
                # A spool still opening may hold an earlier run's events, which count as sent before.
                if self._cut_gen > generation and not self._spool_opening and self._oldest_seq() > target:
                    return
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._done.wait(remaining)
            self._encode(time.monotonic(), cut=True, limit=None)
            self._spill(force=True)
        finally:
            self._lock.release()

    def _persist(self) -> None:
        """Process exit: everything only in memory goes to the spool now (to stderr without one)."""
        _exit.under_lock(self._lock, self._keep_rest)

    def _keep_rest(self) -> None:
        """Everything only in memory goes to the spool now, whatever the mode; what no spool takes goes to stderr.

        Called with the lock held (close, exit). A batch in flight from memory is kept too: if the
        collector acknowledges it as well, the resend later is stored once.
        """
        if self._stopped:
            return
        self._encode(time.monotonic(), cut=True, limit=None)
        self._drain_overflow()
        if self._spool is None and self._spool_opening and self._mem:
            self._append_before_open()
        self._spool_broken_until = 0.0
        self._spill(force=True)
        while self._mem:
            batch = self._forget_oldest()
            for line in batch.body.split(b"\n"):
                if line:
                    self._problems.drop(None, line.decode("utf-8", "replace"))

    def _append_before_open(self) -> None:
        try:
            if append_before_open(str(self.settings.spool_dir), [(b.body, b.events) for b in self._mem]):
                while self._mem:
                    self._forget_oldest()
                self._reopen_spool = True
        except TradetrailError as error:
            self._report(error)

    # ---------------------------------------------------------------- the worker

    def _run(self) -> None:
        for problem in self._initial_problems:
            self._report(problem)
        self._open_spool()
        while True:
            self._wake.wait(self._next_wait)
            self._wake.clear()
            with self._lock:
                if self._stopped:
                    return
                try:
                    self._step()
                except Exception as error:  # a bug of ours must not end delivery
                    self._report(errors.client_spool(str(self.settings.spool_dir), f"internal error: {error!r}"))
                    self._next_wait = 1.0
                self._done.notify_all()

    def _open_spool(self) -> None:
        directory = self.settings.spool_dir
        spool: Optional[SpoolQueue] = None
        while directory is not None:
            try:
                spool = SpoolQueue.open(directory, self.settings.max_spool_bytes, on_warning=self._report)
            except TradetrailError as error:
                self._report(error)
                spool = None
            with self._lock:
                if spool is not None and (self._stopped or self._reopen_spool):
                    spool.close()
                    if not self._stopped:
                        # An exit hook appended a segment while we opened: look again.
                        self._reopen_spool = False
                        continue
                    spool = None
                self._spool_opening = False
                if spool is not None:
                    self._spool = spool
                    self._spool_min_seqs = collections.deque([0] * spool.pending_records)
                    for warning in spool.warnings:
                        self._report(warning)
                    risks = storage_risks(spool.dir, env=self._env)
                    if risks:
                        self._report(errors.client_spool_unsafe(spool.dir, " and ".join(risks)))
                self._done.notify_all()
            break
        self._wake.set()

    def _post_loop(self) -> None:
        poster = self._poster
        while True:
            job = self._jobs.get()
            if job is None or poster is None:
                if poster is not None:
                    poster.close()
                return
            body, clock = job
            self._outcome = poster.post(body, clock)
            self._wake.set()

    def _step(self) -> None:
        now = time.monotonic()
        outcome = self._outcome
        if outcome is not None:
            self._outcome = None
            self._inflight = False
            self._settle(outcome, now)
        self._encode(now, cut=self._cut_requested, limit=_ENCODE_MAX)
        self._drain_overflow()
        self._spill(force=False)
        self._send_next(now)
        self._next_wait = self._wait_after(time.monotonic())

    def _wait_after(self, now: float) -> Optional[float]:
        """How long the worker may sleep: until the batch's time, the next retry, or the spool's next try; None when idle."""
        if len(self._queue) >= self._burst:
            return 0.0
        waits = []
        if self._cut_at is not None:
            waits.append(self._cut_at - now)
        if self._retry_at is not None and not self._inflight:
            waits.append(self._retry_at - now)
        if self._spool_broken_until > now and (self._mem or self._spool_backlog()):
            waits.append(self._spool_broken_until - now)
        if waits:
            return max(0.0, min(waits))
        if not self._lines:
            # Idle: the next send() wakes the worker. The flag is cleared before the queue is looked at
            # again, so a send() in between either is seen here or sets the event.
            self._armed = False
            if not self._queue:
                return None
        return 0.0

    def _encode(self, now: float, cut: bool, limit: Optional[int]) -> None:
        """Encodes queued events into lines, sealing a batch whenever one is full, and the last one at its time or on a cut."""
        events = self._queue
        if (events or self._lines) and self._cut_at is None:
            self._cut_at = now + self.settings.flush_interval_ms / 1000
        encode = self._encoder.encode
        max_events, max_bytes = self.settings.batch_max_events, self.settings.batch_max_bytes
        n = 0
        while events and (limit is None or n < limit):
            record = events.popleft()
            n += 1
            if n & 127 == 0:
                time.sleep(_YIELD_S)  # hands the GIL to the bot's thread now and then (python-sustained bench)
            line = encode(record)
            if isinstance(line, TradetrailError):
                self._problems.drop(line, unsendable(record, self._encoder.project, line))
                continue
            if self._lines and (len(self._lines) >= max_events or self._lines_bytes + len(line) + 1 > max_bytes):
                self._seal()
            self._lines.append(line)
            self._lines_bytes += len(line) + 1
            if record[0] < self._lines_min_seq:
                self._lines_min_seq = record[0]
        drained = not events
        if self._lines and ((cut and drained) or (self._cut_at is not None and now >= self._cut_at)):
            self._seal()
        if not self._lines:
            self._cut_at = None if not events else now + self.settings.flush_interval_ms / 1000
        if cut and drained:
            self._cut_requested = False
            self._cut_gen += 1
        self._held = len(self._lines) + self._mem_events

    def _seal(self) -> None:
        lines = self._lines
        batch = _Batch(b"\n".join(lines) + b"\n", len(lines), int(self._lines_min_seq))
        self._lines = []
        self._lines_bytes = 0
        self._lines_min_seq = math.inf
        self._mem.append(batch)
        self._mem_events += batch.events
        self._held = self._mem_events

    def _drain_overflow(self) -> None:
        if not self._overflow:
            return
        refused = take_all(self._overflow)
        self._problems.report_once(errors.client_closed() if self._closed else errors.client_queue_full(self._max_queued))
        for event in refused:
            self._problems.drop(None, self._emergency_text(event))

    def _emergency_text(self, record: Record) -> str:
        line = self._encoder.encode(record)
        return unsendable(record, self._encoder.project, line) if isinstance(line, TradetrailError) else line.decode("utf-8")

    # ---------------------------------------------------------------- the spool side

    def _should_spill(self, force: bool) -> bool:
        spool = self._spool
        if spool is None or not self._mem or time.monotonic() < self._spool_broken_until:
            return False
        wanted = force or self.settings.durability == "wal" or self._outage or self._spool_backlog() or \
            self._mem_events >= self._max_queued / 4
        if not wanted:
            return False
        if spool.fits(len(self._mem[0].body)):
            return True
        self._problems.report_once(errors.client_spool_full(spool.dir, spool.max_bytes))
        return False

    def _spool_backlog(self) -> bool:
        return self._spool is not None and self._spool.pending_records > self._skip

    def _spill(self, force: bool) -> None:
        """Everything waiting in memory goes to the spool (one write and one fdatasync per 8 MiB), when the rules say so."""
        while self._should_spill(force):
            spool = self._spool
            assert spool is not None
            batches: List[_Batch] = []
            size = 0
            for batch in self._mem:
                if batches and size + len(batch.body) > _SPILL_BYTES:
                    break
                batches.append(batch)
                size += len(batch.body)
            try:
                appended = spool.append_all([(b.body, b.events) for b in batches])
            except TradetrailError as error:
                self._spool_trouble(error)
                return
            for batch in batches[:appended]:
                self._forget_oldest()
                batch.spooled = True
                self._spool_min_seqs.append(batch.min_seq)
            if appended < len(batches):
                self._problems.report_once(errors.client_spool_full(spool.dir, spool.max_bytes))
                return
            self._problems.cleared("TT_ERR_CLIENT_SPOOL_FULL")

    def _forget_oldest(self) -> _Batch:
        batch = self._mem.popleft()
        self._mem_events -= batch.events
        self._held = len(self._lines) + self._mem_events
        return batch

    def _spool_trouble(self, error: TradetrailError) -> None:
        self._spool_broken_until = time.monotonic() + retry_delay_s(3, self.settings.retry_initial_ms, self.settings.retry_max_ms)
        self._report(error)

    def _oldest_seq(self) -> float:
        """Sequence number of the oldest event not yet delivered (infinity when none)."""
        oldest = math.inf
        if self._spool_backlog():
            oldest = self._spool_min_seqs[self._skip]
        for batch in self._mem:
            oldest = min(oldest, batch.min_seq)
        if self._lines:
            oldest = min(oldest, self._lines_min_seq)
        if self._queue:
            oldest = min(oldest, self._queue[0][0])
        return oldest

    # ---------------------------------------------------------------- the collector side

    def _oldest(self, now: float) -> Optional[_Front]:
        """The oldest undelivered batch: the spool's head, else the oldest in memory."""
        if self._front is not None:
            return self._front
        spool = self._spool
        spool_ok = spool is not None and now >= self._spool_broken_until
        if spool_ok:
            assert spool is not None
            try:
                self._drop_skipped(spool)
                if spool.pending_records > 0:
                    record = spool.peek()
                    if record is not None:
                        self._front = _Front([record], None)
                        return self._front
            except TradetrailError as error:
                self._spool_trouble(error)
                spool_ok = False
        if not self._mem:
            return None
        batch = self._mem[0]
        # wal: a batch leaves only once it is in the spool, unless the spool cannot take it.
        if self.settings.durability == "wal" and spool_ok and spool is not None and spool.fits(len(batch.body)):
            return None
        self._front = _Front([(batch.body, batch.events)], batch)
        return self._front

    def _drop_skipped(self, spool: SpoolQueue) -> None:
        """Removes from the spool's head the records already acknowledged from memory."""
        while self._skip > 0 and spool.pending_records > 0:
            record = spool.peek()
            if record is None:
                return
            spool.ack()
            self._spool_min_seqs.popleft()
            self._skip -= 1
            self._skip_events -= record[1]

    def _send_next(self, now: float) -> None:
        if self._inflight or self._spool_opening or self._stopped:
            return
        if self._retry_at is not None:
            if now < self._retry_at:
                return
            self._retry_at = None
        front = self._oldest(now)
        if front is None:
            return
        if self._poster is None:
            url = self.settings.url.geturl() if self.settings.url else "(no usable url)"
            self._settle(Outcome("retry", errors.collector_unreachable(url, "ERR_INVALID_URL")), now)
            return
        self._inflight = True
        self._jobs.put((front.parts[0][0], self._clock.best()))

    def _settle(self, outcome: Outcome, now: float) -> None:
        """Applies the collector's answer to the front batch."""
        front = self._front
        if front is None:
            return
        part = front.parts[0]
        if outcome.kind == "ok":
            self._sent += part[1]
            self._attempt = 0
            self._outage = False
            if outcome.clock is not None:
                self._clock_sample(outcome.clock)
            front.parts.pop(0)
        elif outcome.kind in ("reject", "split"):
            front.parts[0:1] = rejected_batch(part, outcome, self._problems.drop)
        else:
            self._failed += 1
            self._outage = True
            if outcome.error is not None:
                self._report(outcome.error)
            delay = retry_delay_s(self._attempt, self.settings.retry_initial_ms, self.settings.retry_max_ms, outcome.retry_after_ms)
            self._attempt += 1
            self._retry_at = now + delay
            return
        if front.parts and front.parts[0][1] == 0:
            front.parts.pop(0)
        if not front.parts:
            self._front = None
            batch = front.batch
            if batch is None:
                try:
                    assert self._spool is not None
                    self._spool.ack()
                    self._spool_min_seqs.popleft()
                except TradetrailError as error:
                    self._spool_trouble(error)
            elif batch.spooled:
                self._skip += 1
                self._skip_events += batch.events
            elif self._mem and self._mem[0] is batch:
                self._forget_oldest()

    def _clock_sample(self, exchange: Tuple[int, int, int, int]) -> None:
        self._clock.add(*exchange)
        best = self._clock.best()
        if best is None:
            return
        limit_us = self.settings.clock_skew_limit_ms * 1000
        # Only an offset beyond what the round trip could explain is evidence of skew.
        if limit_us > 0 and abs(best.offset_us) - best.rtt_us / 2 > limit_us:
            self._problems.report_once(errors.client_clock_skew(best.offset_us / 1000, self.settings.clock_skew_limit_ms))
        elif abs(best.offset_us) <= limit_us:
            self._problems.cleared("TT_ERR_CLIENT_CLOCK_SKEW")
