"""One spool format for both SDKs: the TypeScript client (a node child process) replays a spool the Python
client wrote, and the Python client replays one the TypeScript client wrote, each event once, in order."""
import json
import os
import re
import unittest

import support
from tradetrail import AuditClient
from test_spool_replay import NOWHERE, spooled_events

TS_CLIENT = os.path.join(support.FIXTURES, "ts_client.ts")


def done_stats(process: support.Process) -> dict:
    found = re.search(r"^done (\{.*\})$", process.stdout(), re.M)
    if found is None:
        raise AssertionError(f"the TypeScript client printed no result: {process.stdout()[-1500:]} {process.stderr()[-1500:]}")
    return json.loads(found.group(1))


class CrossClientSpoolTest(unittest.TestCase):
    def test_the_typescript_client_replays_a_python_spool(self) -> None:
        spool = os.path.join(support.temp_dir(self, "tt-py-spool"), "spool")
        writer = AuditClient("CrossBot", url=NOWHERE, token="tt_000000000000_x", spool_dir=spool, durability="wal", boot=False,
                             handle_exit=False, batch_max_events=64, on_error=lambda error: None)
        for i in range(300):
            writer.send("order_submitted", f"order {i}", i=i, symbol="EURUSD", note="ünïcödé ✓")
        writer.close(300)
        self.assertEqual(spooled_events(spool), 300, "the Python client spooled every event")

        collector = support.start_collector(self)
        replay = support.Process(self, support.tsx(TS_CLIENT), support.clean_env(
            TS_MODE="replay", TS_URL=collector.url, TS_TOKEN=collector.token("CrossBot"), TS_PROJECT="CrossBot", TS_SPOOL=spool),
            cwd=support.ROOT)
        self.assertEqual(replay.wait(120), 0, replay.stderr()[-1500:])
        stats = done_stats(replay)
        self.assertEqual((stats["sent"], stats["spooled"], stats["dropped"]), (300, 0, 0), f"{stats}")
        self.assertNotIn("TT_ERR_CLIENT_SPOOL ", replay.stdout(), "no damage reported: the frames are the TypeScript SDK's")
        events = collector.events("CrossBot")
        support.assert_once_in_order(self, events, 300)
        self.assertEqual(events[0]["data"], {"i": 0, "symbol": "EURUSD", "note": "ünïcödé ✓"})

    def test_the_python_client_replays_a_typescript_spool(self) -> None:
        spool = os.path.join(support.temp_dir(self, "tt-ts-spool"), "spool")
        writer = support.Process(self, support.tsx(TS_CLIENT), support.clean_env(
            TS_MODE="write", TS_COUNT="300", TS_PROJECT="CrossBot", TS_SPOOL=spool), cwd=support.ROOT)
        self.assertEqual(writer.wait(120), 0, writer.stderr()[-1500:])
        self.assertEqual(done_stats(writer)["spooled"], 300, "the TypeScript client spooled every event")

        collector = support.start_collector(self)
        errors: list = []
        client = AuditClient("CrossBot", url=collector.url, token=collector.token("CrossBot"), spool_dir=spool, boot=False,
                             handle_exit=False, on_error=errors.append)
        self.addCleanup(client.close, 1000)
        support.wait_for(client.stats, lambda s: s.spooled == 0 and s.sent == 300, "the TypeScript spool replayed")
        self.assertEqual([e.code for e in errors if e.code == "TT_ERR_CLIENT_SPOOL"], [], "no damage reported")
        support.assert_once_in_order(self, collector.events("CrossBot"), 300)


if __name__ == "__main__":
    unittest.main()
