"""FileSink: whole lines in three formats that `tradetrail import` reads back, rotation that never splits a
line, write failures that lose nothing (stderr) and recover, and a process exit that writes what is queued."""
import contextlib
import glob
import io
import json
import os
import shutil
import sys
import unittest

import support
from tradetrail import FileSink


def import_file(test: unittest.TestCase, path: str) -> list:
    """The events `tradetrail import` makes of ``path`` (project Imported), as exported."""
    data_dir = os.path.join(support.temp_dir(test, "tt-import"), "data")
    support.run([support.NODE, support.CLI, "--data-dir", data_dir, "import", path, "--project", "Imported", "--strict"])
    exported = support.run([support.NODE, support.CLI, "--data-dir", data_dir, "export"]).stdout
    return [json.loads(line) for line in exported.splitlines()]


class FileSinkTest(unittest.TestCase):
    def setUp(self) -> None:
        self.dir = support.temp_dir(self, "tt-file-sink")
        self.errors: list = []

    def sink(self, **options) -> FileSink:
        sink = FileSink("RiskEngine", on_error=self.errors.append, **options)
        self.addCleanup(sink.close)
        return sink

    def test_each_format_is_read_back_by_tradetrail_import(self) -> None:
        for file_format in ("jsonl", "text", "seed003"):
            with self.subTest(file_format):
                path = os.path.join(self.dir, f"audit.{file_format}")
                sink = self.sink(path=path, format=file_format)
                sink.send("risk_limit_breach", "Position limit exceeded", symbol="EURUSD", severity="critical")
                sink.send("auto_repair", "Auto-repair: Restarted Grafana container")
                sink.close()
                self.assertEqual(sink.stats().sent, 2)
                events = import_file(self, path)
                self.assertEqual([e["message"] for e in events], ["Position limit exceeded", "Auto-repair: Restarted Grafana container"])
                if file_format != "text":  # seed 000's lines hold a time and a message only
                    self.assertEqual([e["type"] for e in events], ["risk_limit_breach", "auto_repair"])
                    self.assertEqual(events[0]["severity"], "critical")
                    self.assertEqual(events[0]["data"]["symbol"], "EURUSD")
        with open(os.path.join(self.dir, "audit.jsonl")) as file:
            ids = [json.loads(line)["id"] for line in file]
        self.assertEqual([e["id"] for e in import_file(self, os.path.join(self.dir, "audit.jsonl"))], ids, "JSONL keeps the ids")

    def test_rotation_never_splits_a_line_nor_overwrites_a_file(self) -> None:
        path = os.path.join(self.dir, "audit.jsonl")
        sink = self.sink(path=path, max_file_bytes=600)
        for i in range(40):
            sink.send("test", f"event {i}", i=i)
            if i % 10 == 9:
                sink.flush()
        sink.close()
        files = sorted(glob.glob(os.path.join(self.dir, "audit-*.jsonl"))) + [path]
        self.assertGreater(len(files), 3, f"rotated: {files}")
        lines = []
        for name in files:
            self.assertLessEqual(os.path.getsize(name), 600)
            with open(name) as file:
                lines += [json.loads(line) for line in file]  # every line whole JSON
        self.assertEqual([e["data"]["i"] for e in lines], list(range(40)), "each event once, in order, across the files")

    def test_a_failing_write_goes_to_stderr_and_the_file_is_tried_again(self) -> None:
        path = os.path.join(self.dir, "audit.jsonl")
        os.makedirs(path)  # the path is a directory: writes fail
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):
            sink = self.sink(path=path)
            sink.send("test", "while broken")
            sink.flush()
        self.assertIn('"message":"while broken"', stderr.getvalue(), "the event on stderr as AUDIT_EMERGENCY")
        self.assertEqual([e.code for e in self.errors], ["TT_ERR_SINK_WRITE"])
        self.assertIn("it is a directory", self.errors[0].message)
        shutil.rmtree(path)
        sink.send("test", "after the fix")
        sink.flush()
        with open(path) as file:
            self.assertEqual([json.loads(line)["message"] for line in file], ["after the fix"])
        self.assertEqual((sink.stats().sent, sink.stats().dropped), (1, 1))

    def test_bad_options_send_every_event_to_stderr_never_raise(self) -> None:
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):
            sink = FileSink("bad project!", path="", format="xml", max_file_bytes=-1, fsync="yes", on_error=self.errors.append)  # type: ignore[arg-type]
            sink.send("test", "kept on stderr")
            sink.close()
        self.assertIn('"message":"kept on stderr"', stderr.getvalue())
        reasons = " ".join(e.message for e in self.errors)
        for option in ("format", "project", "path", "max_file_bytes", "fsync"):
            self.assertIn(f"option {option} ", reasons)
        self.errors.clear()
        with contextlib.redirect_stderr(io.StringIO()):
            sink = FileSink("P", path=os.fsencode(os.path.join(self.dir, "bytes.jsonl")), on_error=self.errors.append)  # type: ignore[arg-type]
            sink.close()
        self.assertEqual([e.code for e in self.errors], ["TT_ERR_CLIENT_OPTIONS"], "a bytes path is refused, not half-used")

    def test_process_exit_writes_what_is_still_queued(self) -> None:
        path = os.path.join(self.dir, "exit.jsonl")
        script = ("from tradetrail import FileSink\n"
                  f"sink = FileSink('ExitBot', path={path!r})\n"
                  "for i in range(5000): sink.send('test', f'event {i}', i=i)\n")
        support.run([sys.executable, "-c", script], env=support.clean_env())
        with open(path) as file:
            self.assertEqual([json.loads(line)["data"]["i"] for line in file], list(range(5000)))


if __name__ == "__main__":
    unittest.main()
