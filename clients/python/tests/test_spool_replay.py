"""Nothing lost, nothing doubled: a collector outage, a SIGKILLed bot in wal mode, and the ends of a
process (normal exit, SIGTERM with and without the host's own handler), each against real processes."""
import glob
import os
import re
import signal
import threading
import unittest

import support
from tradetrail import AuditClient
from tradetrail._spool import _scan_segment, _segment_version

BOT = os.path.join(support.FIXTURES, "bot.py")
#: A port where nothing listens (discard): every request is refused at once.
NOWHERE = "http://127.0.0.1:9"


def spooled_events(spool: str) -> int:
    """Events held by the spool's segments as the disk has them (read without taking the spool's lock)."""
    total = 0
    for path in glob.glob(os.path.join(spool, "*.seg")):
        with open(path, "rb") as file:
            data = file.read()
        total += _scan_segment(data, 0, _segment_version(data)).events
    return total


def last_sent(bot: support.Process) -> int:
    found = re.findall(r"^sent (\d+)$", bot.stdout(), re.M)
    return int(found[-1]) if found else -1


class SpoolReplayTest(unittest.TestCase):
    def setUp(self) -> None:
        self.errors: list = []
    def replay(self, spool: str, project: str, collector: support.Collector) -> AuditClient:
        """A client on ``spool``, as the next run of the bot would be, waited on until the spool is empty."""
        client = AuditClient(project, url=collector.url, token=collector.token(project), spool_dir=spool, boot=False,
                             handle_exit=False, retry_initial_ms=20, retry_max_ms=200, on_error=self.errors.append)
        self.addCleanup(client.close, 1000)
        support.wait_for(client.stats, lambda s: s.spooled == 0 and s.sent > 0, "the spool to be replayed", timeout=90)
        return client

    def test_a_collector_killed_mid_stream_loses_nothing_and_the_spool_is_replayed_once_in_order(self) -> None:
        data_dir = os.path.join(support.temp_dir(self, "tt-outage"), "data")
        collector = support.Collector(self, data_dir)
        token = collector.token("OutageBot")
        client = AuditClient("OutageBot", url=collector.url, token=token, spool_dir=os.path.join(support.temp_dir(self), "spool"),
                             boot=False, handle_exit=False, retry_initial_ms=20, retry_max_ms=200, on_error=self.errors.append)
        self.addCleanup(client.close, 1000)
        total = 20_000
        sent = [0]
        stop_sending = threading.Event()

        def bot() -> None:
            for i in range(total):
                client.send("order_submitted", f"order {i}", i=i)
                sent[0] = i + 1
                if i % 20 == 19:
                    stop_sending.wait(0.002)  # ~20k events/s at most: the outage comes mid-stream

        sender = threading.Thread(target=bot, daemon=True)
        sender.start()
        self.addCleanup(stop_sending.set)
        support.wait_for(lambda: sent[0], lambda n: n >= 4000, "the bot to send 4,000 events")
        collector.kill()  # at once, mid-request: an answer lost after its commit costs a resend, never a duplicate
        spooled = support.wait_for(client.stats, lambda s: s.failed > 0 and s.spooled > 0,
                                   "the client to see the outage and spool").spooled
        support.wait_for(lambda: sent[0], lambda n: n >= 12_000, "the bot to send on through the outage", timeout=90)
        collector = support.Collector(self, data_dir, port=collector.port, admin_token=collector.admin_token)
        sender.join(120)
        client.flush(120_000)
        stats = client.stats()
        self.assertEqual((stats.sent, stats.spooled, stats.queued, stats.dropped), (total, 0, 0, 0), f"{stats}")
        self.assertGreater(spooled, 0)
        support.assert_once_in_order(self, collector.events("OutageBot"), total)

    def test_a_bot_sigkilled_in_wal_mode_is_replayed_by_the_next_one(self) -> None:
        spool = os.path.join(support.temp_dir(self, "tt-wal"), "spool")
        # No collector yet: everything the bot records can only be in its spool.
        bot = support.Process(self, support.python(BOT), support.clean_env(
            BOT_URL=NOWHERE, BOT_TOKEN="tt_000000000000_x", BOT_SPOOL=spool, BOT_DURABILITY="wal", BOT_PER_TICK="20", BOT_FLUSH_MS="20"))
        reported = support.wait_for(lambda: last_sent(bot), lambda i: i >= 10_000, "the bot to send 10,000 events", timeout=90)
        # wal: once a batching interval has passed, what was sent before it is on disk.
        support.wait_for(lambda: spooled_events(spool), lambda n: n >= reported + 2, f"the spool to hold boot + events 0…{reported}")
        bot.child.kill()
        self.assertEqual(bot.wait(), -signal.SIGKILL)

        collector = support.start_collector(self)
        self.replay(spool, "TestBot", collector)
        events = collector.events("TestBot")
        self.assertEqual(events[0]["type"], "boot", "the dead bot's boot event comes first")
        replayed = len(events) - 1
        self.assertGreater(replayed, reported, f"every event up to the last reported one ({reported}) is there")
        support.assert_once_in_order(self, events, replayed)

    def bot_until_end(self, spool: str, **env: str) -> support.Process:
        return support.Process(self, support.python(BOT), support.clean_env(
            BOT_URL=NOWHERE, BOT_TOKEN="tt_000000000000_x", BOT_SPOOL=spool, BOT_COUNT="500", BOT_PER_TICK="100",
            BOT_EXIT_FLUSH_MS="300", **env))

    def test_a_normal_exit_spools_what_the_collector_did_not_take(self) -> None:
        spool = os.path.join(support.temp_dir(self, "tt-exit"), "spool")
        bot = self.bot_until_end(spool, BOT_END="return")
        self.assertEqual(bot.wait(), 0, f"the bot ends as it would without the SDK: {bot.stderr()[-500:]}")
        self.assertEqual(spooled_events(spool), 501, "boot and 500 events in the spool, written by the atexit hook")
        collector = support.start_collector(self)
        self.replay(spool, "TestBot", collector)
        support.assert_once_in_order(self, collector.events("TestBot"), 500)

    def test_sigterm_spools_everything_then_ends_the_process_by_sigterm(self) -> None:
        spool = os.path.join(support.temp_dir(self, "tt-sigterm"), "spool")
        bot = self.bot_until_end(spool, BOT_END="hang")
        support.wait_for(lambda: last_sent(bot), lambda i: i == 499, "the bot to send its 500 events")
        bot.signal(signal.SIGTERM)
        self.assertEqual(bot.wait(), -signal.SIGTERM, "killed by SIGTERM, as without the SDK")
        self.assertEqual(spooled_events(spool), 501)

    def test_sigterm_with_the_hosts_own_handler_spools_then_lets_it_decide(self) -> None:
        spool = os.path.join(support.temp_dir(self, "tt-host-sigterm"), "spool")
        bot = self.bot_until_end(spool, BOT_END="hang", BOT_OWN_SIGTERM="1")
        support.wait_for(lambda: last_sent(bot), lambda i: i == 499, "the bot to send its 500 events")
        bot.signal(signal.SIGTERM)
        self.assertEqual(bot.wait(), 3, "the host's handler exits 3")
        self.assertIn("host sigterm", bot.stdout())
        self.assertEqual(spooled_events(spool), 501)

    def test_a_normal_exit_delivers_to_a_live_collector_before_the_process_ends(self) -> None:
        collector = support.start_collector(self)
        spool = os.path.join(support.temp_dir(self, "tt-exit-live"), "spool")
        bot = support.Process(self, support.python(BOT), support.clean_env(
            BOT_URL=collector.url, BOT_TOKEN=collector.token("TestBot"), BOT_SPOOL=spool, BOT_COUNT="500", BOT_PER_TICK="100",
            BOT_END="return"))
        self.assertEqual(bot.wait(), 0)
        self.assertEqual(spooled_events(spool), 0, "all delivered by the atexit flush, nothing left to spool")
        events = collector.events("TestBot")
        self.assertEqual(events[0]["type"], "boot")
        support.assert_once_in_order(self, events, 500)


if __name__ == "__main__":
    unittest.main()
