"""Process exit without losing events, and without changing how the host exits.

One set of hooks serves every client and file sink in the process, held weakly (a sink the bot
dropped and that has nothing pending does not keep anything alive):

- ``atexit`` (the main module returned, ``sys.exit()``, an uncaught exception, Ctrl-C's
  KeyboardInterrupt): a delivery flush bounded by each sink's ``exit_flush_timeout_ms``, then what
  is left goes to the spool (or the file, or stderr).
- SIGTERM, whose default would end the process without running ``atexit``: the same bounded
  flush, then, when the host had no handler of its own, the signal is raised again with the
  default action, so the process ends exactly as it would have without the SDK (killed by
  SIGTERM). A host handler installed before the first sink is called afterwards and decides; one
  installed later replaces ours (its ``sys.exit()`` still runs ``atexit``). A second SIGTERM
  during the flush persists at once. Handlers can be set only from the main thread: a sink made
  elsewhere relies on ``atexit``.

``os._exit()``, SIGKILL, an OOM kill or a power loss run none of this: what ``wal`` durability
is for (docs/client.md).
"""
from __future__ import annotations

import atexit
import os
import signal
import threading
import time
import weakref
from typing import Any, Callable, Protocol

#: How long an exit hook or close() waits for a sink's thread to finish what it is doing (s).
LOCK_WAIT_S = 10.0


class ExitParticipant(Protocol):
    """What a sink offers to take part."""

    exit_flush_timeout_ms: int

    def _flush_until(self, deadline: float) -> None:
        """Delivers what it can until ``deadline`` (time.monotonic()); never raises."""

    def _persist(self) -> None:
        """Writes what is still in memory to the spool, the file or stderr, now; never raises."""


_participants: "weakref.WeakSet[Any]" = weakref.WeakSet()
_lock = threading.Lock()
_installed = False
_signal_tried = False
_previous: Any = None
_signalled = False


def under_lock(lock: threading.Lock, work: Callable[[], Any]) -> None:
    """Runs ``work`` holding ``lock`` (waiting at most LOCK_WAIT_S for it); never raises, because an exit
    hook that raises would change how the process ends."""
    try:
        if lock.acquire(timeout=LOCK_WAIT_S):
            try:
                work()
            finally:
                lock.release()
    except Exception:
        pass


def _flush_all() -> None:
    participants = list(_participants)
    if not participants:
        return
    start = time.monotonic()
    # The sinks deliver in their own threads at once: one shared wait, not one after another.
    for participant in sorted(participants, key=lambda p: p.exit_flush_timeout_ms):
        participant._flush_until(start + participant.exit_flush_timeout_ms / 1000)


def _persist_all() -> None:
    for participant in list(_participants):
        participant._persist()


def _at_exit() -> None:
    _flush_all()
    _persist_all()


def _on_sigterm(signum: int, frame: Any) -> None:
    global _signalled
    if not _signalled:
        _signalled = True
        _flush_all()
    # A second SIGTERM while the first flushes lands here at once: keep what we have and go.
    _persist_all()
    previous = _previous
    if callable(previous):
        previous(signum, frame)
        return
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def _install() -> None:
    global _installed, _signal_tried, _previous
    if not _installed:
        _installed = True
        atexit.register(_at_exit)
    # Only the main thread may set a handler: a sink made elsewhere leaves it to the next one made there.
    if _signal_tried or threading.current_thread() is not threading.main_thread():
        return
    _signal_tried = True
    try:
        previous = signal.getsignal(signal.SIGTERM)
        # Ignored on purpose, or set outside Python: the host's choice stands.
        if previous is signal.SIG_IGN or previous is None:
            return
        _previous = previous if callable(previous) else None
        signal.signal(signal.SIGTERM, _on_sigterm)
    except (ValueError, OSError):
        pass


def watch(participant: Any) -> None:
    """Starts watching process exit for ``participant``."""
    with _lock:
        _install()
        _participants.add(participant)


def unwatch(participant: Any) -> None:
    """Stops watching for ``participant`` (after its close())."""
    with _lock:
        _participants.discard(participant)
