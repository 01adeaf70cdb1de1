"""The spool's framing and corruption rules, byte for byte the TypeScript SDK's (spool-queue.ts): what is
cut silently (a torn tail only), what is reported and skipped (any other damage), what is read (format 1)."""
import os
import struct
import unittest
import zlib

import support
from tradetrail import TradetrailError
from tradetrail._spool import MARKER, SpoolQueue, frame, segment_name


def body(i: int) -> bytes:
    return b'{"i":%d}\n' % i


def drain(spool: SpoolQueue) -> list:
    """Every batch left, oldest first, acknowledged as it is read."""
    out = []
    while True:
        record = spool.peek()
        if record is None:
            return out
        out.append(record)
        spool.ack()


class SpoolFormatTest(unittest.TestCase):
    def setUp(self) -> None:
        self.dir = os.path.join(support.temp_dir(self, "tt-spool"), "spool")
        self.warnings: list = []

    def open(self, segment_bytes: int = 4 * 1024 * 1024) -> SpoolQueue:
        spool = SpoolQueue.open(self.dir, 64 * 1024 * 1024, segment_bytes, on_warning=self.warnings.append)
        self.addCleanup(spool.close)
        return spool

    def segment(self, n: int = 0) -> str:
        return os.path.join(self.dir, segment_name(n))

    def test_a_record_is_length_crc_events_marker_payload(self) -> None:
        spool = self.open()
        self.assertEqual(spool.append_all([(body(7), 1)]), 1)
        with open(self.segment(), "rb") as file:
            data = file.read()
        length, crc, events = struct.unpack_from("<III", data)
        self.assertEqual((length, events), (4 + len(body(7)), 1))
        self.assertEqual(data[12:16], b"TTS2")
        self.assertEqual(data[16:], body(7))
        self.assertEqual(crc, zlib.crc32(data[8:]), "the CRC covers the event count, the marker and the payload")

    def test_records_come_back_in_order_and_the_cursor_survives_a_reopen(self) -> None:
        spool = self.open(segment_bytes=100)
        spool.append_all([(body(i), 1) for i in range(10)])
        self.assertEqual(spool.pending_events, 10)
        first = spool.peek()
        spool.ack()
        self.assertEqual(first, (body(0), 1))
        spool.close()
        again = self.open(segment_bytes=100)
        self.assertEqual([b for b, _ in drain(again)], [body(i) for i in range(1, 10)], "resumes after the acknowledged one")
        self.assertEqual(self.warnings + again.warnings, [])

    def test_only_a_torn_tail_is_cut_silently(self) -> None:
        spool = self.open()
        spool.append_all([(body(i), 1) for i in range(3)])
        spool.close()
        with open(self.segment(), "ab") as file:
            file.write(frame(body(3), 1)[:10])  # a crash mid-append
        reopened = self.open()
        self.assertEqual(reopened.warnings, [], "a torn tail was never acknowledged to anyone: no report")
        self.assertEqual([b for b, _ in drain(reopened)], [body(i) for i in range(3)])

    def test_a_flipped_byte_costs_only_its_record_and_is_reported_with_a_copy_of_the_segment(self) -> None:
        spool = self.open()
        spool.append_all([(body(i), 1) for i in range(5)])
        spool.close()
        size = len(frame(body(0), 1))
        with open(self.segment(), "r+b") as file:
            file.seek(2 * size + 18)  # inside the third record's payload
            byte = file.read(1)
            file.seek(2 * size + 18)
            file.write(bytes([byte[0] ^ 0xFF]))
        reopened = self.open()
        self.assertEqual([b for b, _ in drain(reopened)], [body(i) for i in (0, 1, 3, 4)], "every intact record, once, in order")
        self.assertEqual(len(reopened.warnings), 1)
        warning = reopened.warnings[0]
        self.assertIsInstance(warning, TradetrailError)
        self.assertEqual(warning.code, "TT_ERR_CLIENT_SPOOL")
        self.assertIn(f"segment {segment_name(0)} is damaged at bytes {2 * size}-{3 * size}", warning.message)
        self.assertIn("1 event (by its header)", warning.message)
        self.assertIn(f"{segment_name(0)}.corrupt-1", warning.message)
        self.assertTrue(os.path.exists(self.segment() + ".corrupt-1"), "the segment as found is kept aside")
        reopened.close()
        self.assertEqual(self.open().warnings, [], "the segment was rewritten: the damage is reported once")

    def test_a_record_changed_on_disk_after_open_is_skipped_alone_and_reported(self) -> None:
        spool = self.open()
        spool.append_all([(body(i), 1) for i in range(4)])
        size = len(frame(body(0), 1))
        with open(self.segment(), "r+b") as file:
            file.seek(size + 20)
            file.write(b"\x00")
        self.assertEqual([b for b, _ in drain(spool)], [body(i) for i in (0, 2, 3)])
        self.assertEqual(len(self.warnings), 1, "heard through on_warning")
        self.assertIn("changed on disk after the spool opened", self.warnings[0].message)
        self.assertIn("1 record of 1 event", self.warnings[0].message)
        self.assertEqual(spool.pending_events, 0)

    def test_a_segment_of_the_first_format_is_replayed_and_new_records_start_a_new_segment(self) -> None:
        os.makedirs(self.dir)
        with open(self.segment(), "wb") as file:
            for i in range(3):
                payload = struct.pack("<I", 1) + body(i)
                file.write(struct.pack("<II", len(body(i)), zlib.crc32(payload)) + payload)
        spool = self.open()
        self.assertEqual(spool.pending_events, 3)
        spool.append_all([(body(3), 1)])
        self.assertTrue(os.path.exists(self.segment(1)), "format-2 records go to a segment of their own")
        with open(self.segment(1), "rb") as file:
            self.assertEqual(file.read()[12:16], MARKER)
        self.assertEqual([b for b, _ in drain(spool)], [body(i) for i in range(4)])

    def test_one_process_owns_a_spool_and_a_dead_owners_lock_is_taken_over(self) -> None:
        self.open()
        with self.assertRaises(TradetrailError) as refused:
            SpoolQueue.open(self.dir, 1024 * 1024)
        self.assertIn(f"it is in use by process {os.getpid()}", refused.exception.message)
        other = os.path.join(support.temp_dir(self), "spool")
        os.makedirs(other)
        dead = support.run(support.python("-c", "import os; print(os.getpid())")).stdout.strip()
        with open(os.path.join(other, "lock"), "w") as file:
            file.write(dead)
        taken = SpoolQueue.open(other, 1024 * 1024)
        taken.close()

    def test_a_batch_that_does_not_fit_is_not_written(self) -> None:
        spool = SpoolQueue.open(self.dir, 64 * 1024)
        self.addCleanup(spool.close)
        self.assertEqual(spool.append_all([(b"x" * 40_000 + b"\n", 1), (b"y" * 40_000 + b"\n", 1)]), 1, "the prefix that fits")
        self.assertFalse(spool.fits(40_000))


if __name__ == "__main__":
    unittest.main()
