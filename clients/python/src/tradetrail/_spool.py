"""The client's disk queue, byte for byte the TypeScript SDK's (packages/client/src/spool-queue.ts).

Batches the collector has not acknowledged yet, oldest first, in append-only segment files
``<16 digits>.seg`` inside one directory. Each record is framed
``[u32 length][u32 crc32][u32 events]["TTS2"][payload]`` (little-endian; ``length`` counts the
marker and the payload, the CRC covers everything after itself) and fdatasync'd before it
counts as spooled. Segments of the first format (no marker) are still read; new records always
go to a segment of the current one. Either SDK replays the other's spool.

At open only a torn tail (the last record of the newest segment running past the end of the
file: a crash mid-write, never acknowledged) is cut silently. Any other damage is reported: the
segment is copied aside as ``<name>.corrupt-<k>``, reading resynchronises on the next valid
frame (the marker, then the CRC; for first-format segments the CRC at every offset), and the
segment is rewritten with its intact records only.

Delivery progress is a small ``cursor`` file (segment and offset) replaced by rename, not
fsync'd: losing it only means resends, and the collector stores each event id once. One process
owns a spool at a time (``lock`` holds its pid; a dead owner's lock is taken over).

Not thread-safe: the client calls it from one thread at a time (under its lock).
"""
from __future__ import annotations

import errno
import os
import re
import struct
import threading
import zlib
from typing import Callable, Dict, List, Optional, Sequence, Set, Tuple

from . import errors
from .errors import TradetrailError

HEADER = 12
MARKER = b"TTS2"
_MARKER_U32 = struct.unpack("<I", MARKER)[0]
FRAME = HEADER + len(MARKER)
_SEGMENT_RE = re.compile(r"^(\d{16})\.seg$")
_MAX_RECORD = 256 * 1024 * 1024
#: Buffers per writev, well under Linux's IOV_MAX (1024).
_MAX_IOVECS = 512

Batch = Tuple[bytes, int]
"""A batch as spooled: its NDJSON body and its number of events."""

_u32 = struct.Struct("<I")


def segment_name(n: int) -> str:
    return "%016d.seg" % n


def frame_header(body: bytes, events: int) -> bytes:
    """The header and marker of a record; the CRC runs from the event count through the body."""
    tail = _u32.pack(events) + MARKER
    return struct.pack("<II", len(MARKER) + len(body), zlib.crc32(body, zlib.crc32(tail))) + tail


def frame(body: bytes, events: int) -> bytes:
    return frame_header(body, events) + body


def _header_bytes(version: int) -> int:
    return FRAME if version == 2 else HEADER


def _read_u32(data: bytes, offset: int) -> int:
    return _u32.unpack_from(data, offset)[0]


def _record_end(data: bytes, offset: int, version: int) -> int:
    """Offset just past the record at ``offset``, or -1 when there is no whole, intact one."""
    if offset + _header_bytes(version) > len(data):
        return -1
    length = _read_u32(data, offset)
    end = offset + HEADER + length
    if length > _MAX_RECORD or end > len(data) or end < offset + _header_bytes(version):
        return -1
    # The CRC alone would accept a first-format frame in a format-2 segment.
    if version == 2 and _read_u32(data, offset + HEADER) != _MARKER_U32:
        return -1
    return end if zlib.crc32(data[offset + 8:end]) == _read_u32(data, offset + 4) else -1


def _next_record(data: bytes, start: int, version: int) -> int:
    """Start of the first intact record at or after ``start``, or -1 (format 1: a CRC check at every offset)."""
    if version == 2:
        m = data.find(MARKER, start + HEADER)
        while m >= 0:
            if _record_end(data, m - HEADER, 2) >= 0:
                return m - HEADER
            m = data.find(MARKER, m + 1)
        return -1
    for offset in range(start, len(data) - HEADER + 1):
        if _record_end(data, offset, 1) >= 0:
            return offset
    return -1


def _segment_version(data: bytes) -> int:
    """Format 2 when any record has the marker; an empty segment is new."""
    return 2 if len(data) == 0 or _next_record(data, 0, 2) >= 0 else 1


class _Scan:
    __slots__ = ("records", "events", "bytes", "gaps")

    def __init__(self) -> None:
        self.records = 0
        self.events = 0
        self.bytes = 0
        self.gaps: List[Tuple[int, int]] = []


def _scan_segment(data: bytes, start: int, version: int) -> _Scan:
    """The intact records of ``data`` from ``start`` on, and the damaged ranges between them."""
    scan = _Scan()
    offset = start
    while offset < len(data):
        end = _record_end(data, offset, version)
        if end >= 0:
            scan.records += 1
            scan.events += _read_u32(data, offset + 8)
            scan.bytes += end - offset
            offset = end
            continue
        nxt = _next_record(data, offset + 1, version)
        to = len(data) if nxt < 0 else nxt
        scan.gaps.append((offset, to))
        offset = to
    return scan


def _is_torn_tail(data: bytes, start: int, version: int) -> bool:
    """Whether the damage from ``start`` to the end is a prefix of one record, as a crash mid-append leaves it."""
    have = len(data) - start
    if have >= 4:
        length = _read_u32(data, start)
        if length > _MAX_RECORD or length < _header_bytes(version) - HEADER or start + HEADER + length <= len(data):
            return False
    if version == 2 and have > HEADER:
        present = data[start + HEADER:min(len(data), start + FRAME)]
        if present != MARKER[:len(present)]:
            return False
    return not (have >= _header_bytes(version) and zlib.crc32(data[start + 8:]) == _read_u32(data, start + 4))


def _gap_events(data: bytes, gap: Tuple[int, int], version: int) -> Optional[Tuple[int, bool]]:
    """Events a damaged range held by the header at its start, when that header can be believed; (events, at_least)."""
    start, to = gap
    if to - start < _header_bytes(version):
        return None
    length = _read_u32(data, start)
    events = _read_u32(data, start + 8)
    if start + HEADER + length == to or zlib.crc32(data[start + 8:to]) == _read_u32(data, start + 4):
        return events, False
    marked = version == 1 or _read_u32(data, start + HEADER) == _MARKER_U32
    if to == len(data) and length <= _MAX_RECORD and start + HEADER + length > to and marked:
        return events, True
    return None


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _describe_events(held: Optional[Tuple[int, bool]]) -> str:
    if held is None:
        return "an unknown number of events"
    events, at_least = held
    if at_least:
        return f"at least {_count(events, 'event')} (by its header; the segment ends inside that record)"
    return f"{_count(events, 'event')} (by its header)"


def _keep_aside(path: str) -> str:
    """Copies a damaged segment to the first free ``<name>.corrupt-<k>``, durably; returns that name."""
    with open(path, "rb") as source:
        data = source.read()
    k = 1
    while True:
        copy = f"{path}.corrupt-{k}"
        try:
            fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            k += 1
            continue
        try:
            write_all(fd, data)
            os.fdatasync(fd)
        finally:
            os.close(fd)
        return os.path.basename(copy)


def _replace_file(path: str, data: bytes) -> None:
    """Replaces ``path`` by ``data`` atomically (a crash leaves the old or the new file, whole)."""
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        write_all(fd, data)
        os.fdatasync(fd)
    finally:
        os.close(fd)
    os.rename(tmp, path)


def write_all(fd: int, data: bytes) -> None:
    """Writes all of ``data`` to ``fd`` (a write may take only part of it)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError(errno.EIO, "the file system took no bytes")
        view = view[written:]


def _write_whole(fd: int, data: bytes) -> None:
    """Appends all of ``data`` or nothing: a short write (disk full) is cut back off."""
    before = os.fstat(fd).st_size
    try:
        written = os.write(fd, data)
    except OSError:
        os.ftruncate(fd, before)
        raise
    if written != len(data):
        os.ftruncate(fd, before)
        raise OSError(errno.ENOSPC, f"short write ({written} of {len(data)} bytes)")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except PermissionError:
        return True
    except OSError:
        return False


# Spools this process holds, by real path. A lock naming our own pid on any other was left by an
# earlier process that had the same pid: a restarted container's main process is pid 1 again.
_held: Set[str] = set()
_held_lock = threading.Lock()


def _lock_owner(directory: str) -> Optional[int]:
    """The live process named by the spool's lock file, if any."""
    try:
        with open(os.path.join(directory, "lock"), encoding="utf-8") as file:
            owner = int(file.read().strip() or "x")
    except (OSError, ValueError):
        return None
    return owner if owner > 0 and _pid_alive(owner) else None


def _segment_numbers(names: Sequence[str]) -> List[int]:
    return sorted(int(m.group(1)) for m in (_SEGMENT_RE.match(name) for name in names) if m)


def _lock(directory: str) -> str:
    """Takes the spool's lock for this process, or raises naming the process that holds it; returns the key."""
    key = os.path.realpath(directory)
    path = os.path.join(directory, "lock")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        owner = _lock_owner(directory)
        with _held_lock:
            if owner is not None and (owner != os.getpid() or key in _held):
                raise errors.client_spool(directory, f"it is in use by process {owner}; give each client its own spool_dir")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        write_all(fd, str(os.getpid()).encode())
    finally:
        os.close(fd)
    with _held_lock:
        _held.add(key)
    return key


def _unlock(directory: str, key: str) -> None:
    with _held_lock:
        _held.discard(key)
    try:
        os.unlink(os.path.join(directory, "lock"))
    except OSError:
        pass


class _Segment:
    __slots__ = ("n", "version", "size", "records", "events", "skips")

    def __init__(self, n: int, version: int, size: int, records: int, events: int) -> None:
        self.n = n
        self.version = version
        self.size = size
        self.records = records
        self.events = events
        #: Damaged byte ranges (start → end) found by peek after open, jumped over from then on.
        self.skips: Optional[Dict[int, int]] = None


def _skip_damaged(segment: _Segment, offset: int) -> int:
    while segment.skips is not None and offset in segment.skips:
        offset = segment.skips[offset]
    return offset


def _spool_error(directory: str, error: BaseException) -> TradetrailError:
    if isinstance(error, TradetrailError):
        return error
    return errors.client_spool(directory, errors.io_reason(error))


class SpoolQueue:
    """An open spool directory; see the module docstring."""

    def __init__(self, directory: str, max_bytes: int, segment_bytes: int = 4 * 1024 * 1024,
                 on_warning: Optional[Callable[[TradetrailError], None]] = None) -> None:
        """Use :meth:`open`."""
        self.dir = directory
        self.max_bytes = max_bytes
        #: Problems met while opening (damage skipped); the spool works regardless.
        self.warnings: List[TradetrailError] = []
        self._segment_bytes = segment_bytes
        self._on_warning = on_warning
        self._segments: List[_Segment] = []
        self._read_offset = 0
        self._reader: Optional[int] = None
        self._reader_segment = -1
        self._writer: Optional[int] = None
        self._writer_segment = -1
        self._peeked: Optional[Tuple[int, int]] = None
        self.pending_bytes = 0
        self.pending_events = 0
        self.pending_records = 0
        self._closed = False
        self._lock_key = ""

    @classmethod
    def open(cls, directory: str, max_bytes: int, segment_bytes: int = 4 * 1024 * 1024,
             on_warning: Optional[Callable[[TradetrailError], None]] = None) -> "SpoolQueue":
        """Opens (creating if needed) the spool in ``directory``; raises TT_ERR_CLIENT_SPOOL when it cannot be used."""
        spool = cls(directory, max_bytes, segment_bytes, on_warning)
        try:
            os.makedirs(directory, mode=0o700, exist_ok=True)
            spool._lock_key = _lock(directory)
            spool._recover()
        except BaseException as error:
            # Otherwise this process would find its own live pid in the lock at every later open.
            if spool._lock_key:
                _unlock(directory, spool._lock_key)
            raise _spool_error(directory, error) from None
        return spool

    def fits(self, size: int) -> bool:
        """Whether a batch body of ``size`` bytes fits under max_bytes."""
        return self.pending_bytes + FRAME + size <= self.max_bytes

    def _recover(self) -> None:
        numbers = _segment_numbers(os.listdir(self.dir))
        cursor_segment = numbers[0] if numbers else 0
        cursor_offset = 0
        try:
            with open(os.path.join(self.dir, "cursor"), encoding="utf-8") as file:
                s, o = (int(part) for part in file.read().split())
            # A cursor naming no segment on disk cannot be ours: trusting it would delete every older one.
            if o >= 0 and s in numbers:
                cursor_segment, cursor_offset = s, o
        except (OSError, ValueError):
            pass  # no cursor yet, or an unreadable one: start at the oldest segment (resends are harmless)
        for n in numbers:
            path = os.path.join(self.dir, segment_name(n))
            if n < cursor_segment:
                os.unlink(path)  # delivered; its removal was cut short
                continue
            with open(path, "rb") as file:
                data = file.read()
            # Bytes before the cursor were delivered: whatever became of them is no loss.
            start = min(cursor_offset, len(data)) if n == cursor_segment else 0
            if n == cursor_segment:
                self._read_offset = start
            version = _segment_version(data)
            scan = _scan_segment(data, start, version)
            end = len(data)
            last = scan.gaps[-1] if scan.gaps else None
            if n == numbers[-1] and last is not None and last[1] == len(data) and _is_torn_tail(data, last[0], version):
                scan.gaps.pop()  # a torn last write was never acknowledged to anyone
                end = last[0]
            if scan.gaps:
                end = self._repair(path, data, start, end, version, scan.gaps)
            elif end < len(data):
                os.truncate(path, end)
            # A segment left empty takes new records whatever it held before.
            self._segments.append(_Segment(n, 2 if end == 0 else version, end, scan.records, scan.events))
            self.pending_records += scan.records
            self.pending_events += scan.events
            self.pending_bytes += scan.bytes
        if not self._segments or self._segments[0].n != cursor_segment:
            self._read_offset = 0

    def _repair(self, path: str, data: bytes, start: int, end: int, version: int, gaps: List[Tuple[int, int]]) -> int:
        """Reports each damaged range, keeps the segment as found aside, rewrites it with its intact records; the new size."""
        kept = _keep_aside(path)
        name = os.path.basename(path)
        intact = [data[:start]]
        offset = start
        for gap in gaps:
            self.warnings.append(errors.client_spool(
                self.dir, f"segment {name} is damaged at bytes {gap[0]}-{gap[1]}: {gap[1] - gap[0]} bytes holding "
                f"{_describe_events(_gap_events(data, gap, version))} were skipped, the intact records around them kept; "
                f"the segment as found is in {kept}"))
            intact.append(data[offset:gap[0]])
            offset = gap[1]
        intact.append(data[offset:end])
        repaired = b"".join(intact)
        _replace_file(path, repaired)
        return len(repaired)

    def _open_writer(self) -> Tuple[int, _Segment]:
        last = self._segments[-1] if self._segments else None
        if self._writer is not None and last is not None and last.n == self._writer_segment and last.size < self._segment_bytes:
            return self._writer, last
        if self._writer is not None:
            os.close(self._writer)
            self._writer = None
        if last is None or last.size >= self._segment_bytes or last.version != 2:
            last = _Segment(last.n + 1 if last else 0, 2, 0, 0, 0)
            self._segments.append(last)
        self._writer = os.open(os.path.join(self.dir, segment_name(last.n)), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._writer_segment = last.n
        return self._writer, last

    def append_all(self, batches: Sequence[Batch]) -> int:
        """Appends the longest prefix of ``batches`` that fits under max_bytes, as one write and one fdatasync.

        Returns how many were appended; raises TT_ERR_CLIENT_SPOOL, having appended none, when the disk refuses.
        """
        if self._closed:
            raise errors.client_spool(self.dir, "it is closed")
        parts: List[bytes] = []
        size = 0
        events = 0
        for body, count in batches:
            if len(parts) >= _MAX_IOVECS or self.pending_bytes + size + FRAME + len(body) > self.max_bytes:
                break
            parts.append(frame_header(body, count))
            parts.append(body)
            size += FRAME + len(body)
            events += count
        records = len(parts) // 2
        if records == 0:
            return 0
        try:
            fd, segment = self._open_writer()
            try:
                written = os.writev(fd, parts)
            except OSError:
                os.ftruncate(fd, segment.size)
                raise
            if written != size:
                os.ftruncate(fd, segment.size)
                raise OSError(errno.ENOSPC, "short write")
            os.fdatasync(fd)
        except BaseException as error:
            raise _spool_error(self.dir, error) from None
        segment.size += size
        segment.records += records
        segment.events += events
        self.pending_bytes += size
        self.pending_events += events
        self.pending_records += records
        return records

    def peek(self) -> Optional[Batch]:
        """The oldest undelivered batch, or None; call :meth:`ack` once it is delivered."""
        try:
            while True:
                if self.pending_records == 0:
                    return None
                segment = self._segments[0]
                self._read_offset = _skip_damaged(segment, self._read_offset)
                if self._read_offset >= segment.size:
                    if len(self._segments) == 1:
                        return None
                    self._drop_segment()
                    continue
                if self._reader is None or self._reader_segment != segment.n:
                    if self._reader is not None:
                        os.close(self._reader)
                    self._reader = os.open(os.path.join(self.dir, segment_name(segment.n)), os.O_RDONLY)
                    self._reader_segment = segment.n
                reader = self._reader
                head = _header_bytes(segment.version)
                header = os.pread(reader, head, self._read_offset)
                length = _read_u32(header, 0) if len(header) >= 4 else 0
                want = max(0, min(length, _MAX_RECORD) - (head - HEADER))
                body = os.pread(reader, want, self._read_offset + head)
                events = _read_u32(header, 8) if len(header) >= 12 else 0
                end = self._read_offset + HEADER + length
                if (len(header) != head or length > _MAX_RECORD or end > segment.size or len(body) != want
                        or length < head - HEADER
                        or (segment.version == 2 and _read_u32(header, HEADER) != _MARKER_U32)
                        or zlib.crc32(body, zlib.crc32(header[8:])) != _read_u32(header, 4)):
                    # Checked when the spool opened, so the disk changed under us.
                    self._resync(segment, reader)
                    continue
                self._peeked = (end, events)
                return body, events
        except TradetrailError:
            raise
        except BaseException as error:
            raise _spool_error(self.dir, error) from None

    def _resync(self, segment: _Segment, reader: int) -> None:
        """The record at the read offset changed on disk after open: skip the damage, report exactly what it cost."""
        start = self._read_offset
        size, records, events = segment.size, segment.records, segment.events
        rest = os.pread(reader, size - start, start)
        scan = _scan_segment(rest, 0, segment.version)
        gaps = [(start + a, start + b) for a, b in scan.gaps]
        if len(rest) < size - start:
            if gaps and gaps[-1][1] == start + len(rest):
                gaps[-1] = (gaps[-1][0], size)
            else:
                gaps.append((start + len(rest), size))
        known = segment.skips or {}
        skipped_before = sum(b - a for a, b in known.items() if a >= start)
        fresh = [gap for gap in gaps if known.get(gap[0]) != gap[1]]
        lost_records = records - scan.records
        lost_events = events - scan.events
        self.pending_bytes -= size - start - skipped_before - scan.bytes
        self.pending_records -= lost_records
        self.pending_events -= lost_events
        segment.records -= lost_records
        segment.events -= lost_events
        skips = {a: b for a, b in known.items() if a < start}
        skips.update(gaps)
        segment.skips = skips
        if not fresh:
            return
        kept = _keep_aside(os.path.join(self.dir, segment_name(segment.n)))
        ranges = ", ".join(f"{a}-{b}" for a, b in fresh)
        lost = sum(b - a for a, b in fresh)
        warning = errors.client_spool(
            self.dir, f"segment {segment_name(segment.n)} changed on disk after the spool opened: bytes {ranges} "
            f"({lost} bytes holding {_count(lost_records, 'record')} of {_count(lost_events, 'event')}) were skipped, "
            f"the intact records around them kept; the segment as found is in {kept}")
        self.warnings.append(warning)
        if self._on_warning is not None:
            self._on_warning(warning)

    def ack(self) -> None:
        """Marks the batch returned by the last :meth:`peek` as delivered."""
        peeked = self._peeked
        if peeked is None:
            return
        self._peeked = None
        end, events = peeked
        self.pending_bytes -= end - self._read_offset
        self.pending_events -= events
        self.pending_records -= 1
        segment = self._segments[0]
        # A damaged range after it is already off the counters; the cursor goes past it.
        self._read_offset = _skip_damaged(segment, end)
        segment.records -= 1
        segment.events -= events
        try:
            if self._read_offset >= segment.size and len(self._segments) > 1:
                self._drop_segment()
            else:
                self._write_cursor(segment.n, self._read_offset)
        except BaseException as error:
            raise _spool_error(self.dir, error) from None

    def _drop_segment(self) -> None:
        done = self._segments.pop(0)
        if self._reader_segment == done.n and self._reader is not None:
            os.close(self._reader)
            self._reader = None
            self._reader_segment = -1
        self._read_offset = 0
        self._write_cursor(self._segments[0].n, 0)
        os.unlink(os.path.join(self.dir, segment_name(done.n)))

    def _write_cursor(self, segment: int, offset: int) -> None:
        tmp = os.path.join(self.dir, "cursor.tmp")
        with open(tmp, "w", encoding="utf-8") as file:
            file.write(f"{segment} {offset}\n")
        os.rename(tmp, os.path.join(self.dir, "cursor"))

    def close(self) -> None:
        """Closes the files and releases the lock; the records stay for the next owner."""
        if self._closed:
            return
        self._closed = True
        for fd in (self._reader, self._writer):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._reader = self._writer = None
        _unlock(self.dir, self._lock_key)


def append_before_open(directory: str, batches: Sequence[Batch]) -> bool:
    """For a process that exits before its spool has opened: appends ``batches`` to a new segment after the newest.

    The next owner replays it last. Returns False, writing nothing, when another live process owns
    the spool; raises TT_ERR_CLIENT_SPOOL when the disk refuses.
    """
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        owner = _lock_owner(directory)
        if owner is not None and owner != os.getpid():
            return False
        numbers = _segment_numbers(os.listdir(directory))
        path = os.path.join(directory, segment_name(numbers[-1] + 1 if numbers else 0))
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            _write_whole(fd, b"".join(frame(body, events) for body, events in batches))
            os.fdatasync(fd)
        finally:
            os.close(fd)
        return True
    except BaseException as error:
        raise _spool_error(directory, error) from None
