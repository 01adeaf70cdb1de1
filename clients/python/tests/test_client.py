"""AuditClient against a real collector: sending, batching, the collector's refusals, the clock headers,
and arguments that must never raise."""
import contextlib
import io
import json
import math
import os
import time
import unittest

import support
from tradetrail import AuditClient, TradetrailError


class SendTest(unittest.TestCase):
    def setUp(self) -> None:
        self.collector = support.start_collector(self)
        self.dir = support.temp_dir(self)
        self.errors: list = []

    def client(self, project: str, token: str, **options) -> AuditClient:
        options.setdefault("spool_dir", os.path.join(self.dir, f"spool-{project}"))
        client = AuditClient(project, url=self.collector.url, token=token, handle_exit=False, on_error=self.errors.append, **options)
        self.addCleanup(client.close, 1000)
        return client

    def codes(self) -> list:
        return [e.code for e in self.errors if e.code != "TT_ERR_CLIENT_SPOOL_UNSAFE"]

    def test_send_records_the_event_with_its_data_options_and_boot_event(self) -> None:
        token = self.collector.token("MyTradingBot", ["execute_trade"])
        client = self.client({"name": "MyTradingBot", "market": "FOREX", "description": "EURUSD bot", "privileges": ["execute_trade"]},
                             token, source="Strategy", metadata={"version": "1.2"})
        client.send("trade_opened", "Opened long EURUSD", symbol="EURUSD", price=1.085, quantity=10000)
        client.send("error", "Connection timeout to broker", {"error_code": "CONN_TIMEOUT"}, severity="error", source="BrokerLink",
                    metadata={"latency_us": 15.2})
        client.flush(30_000)
        stats = client.stats()
        self.assertEqual((stats.sent, stats.queued, stats.spooled, stats.dropped), (3, 0, 0, 0), f"all acknowledged: {stats}")
        events = self.collector.events("MyTradingBot")
        self.assertEqual([e["type"] for e in events], ["boot", "trade_opened", "error"])
        boot, trade, error = events
        self.assertEqual(boot["message"], "Project was booted.")
        self.assertEqual(boot["data"], {"market": "FOREX", "description": "EURUSD bot", "privileges": ["execute_trade"]})
        self.assertEqual(boot["metadata"]["pid"], os.getpid())
        self.assertTrue(boot["metadata"]["sdk"].startswith("tradetrail-python/"))
        self.assertEqual(trade["data"], {"symbol": "EURUSD", "price": 1.085, "quantity": 10000})
        self.assertEqual((trade["severity"], trade["source"], trade["metadata"]), ("info", "Strategy", {"version": "1.2"}))
        self.assertNotIn("flags", trade, "the token grants execute_trade: no privilege_violation")
        self.assertEqual((error["severity"], error["source"], error["data"]), ("error", "BrokerLink", {"error_code": "CONN_TIMEOUT"}))
        self.assertEqual(error["metadata"], {"version": "1.2", "latency_us": 15.2}, "event metadata merged over the client's")
        self.assertRegex(trade["id"], r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", "a UUIDv7")
        self.assertRegex(trade["ts"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", "µs timestamps")
        self.assertEqual(self.codes(), [])

    def test_data_is_taken_as_it_was_at_the_call(self) -> None:
        token = self.collector.token("Snap")
        client = self.client("Snap", token, boot=False)
        data = {"symbol": "EURUSD", "legs": [1, 2]}
        client.send("order_submitted", "order", data)
        data["symbol"] = "CHANGED"
        data["legs"].append(3)
        client.flush(30_000)
        self.assertEqual(self.collector.events("Snap")[0]["data"], {"symbol": "EURUSD", "legs": [1, 2]})

    def test_events_leave_in_batches_in_send_order(self) -> None:
        token = self.collector.token("Batcher")
        client = self.client("Batcher", token, boot=False, batch_max_events=500)
        for i in range(3000):
            client.send("order_submitted", f"order {i}", i=i)
        client.flush(60_000)
        self.assertEqual(client.stats().sent, 3000)
        requests = self.collector.metric("tradetrail_http_requests_total", 'route="/v1/events",method="POST",status="200"')
        self.assertIsNotNone(requests)
        # 3,000 events at most 500 a batch: at least 6 requests, and far fewer than one per event.
        self.assertGreaterEqual(requests, 6)
        self.assertLessEqual(requests, 60, f"batched, not one request per event: {requests} requests")
        support.assert_once_in_order(self, self.collector.events("Batcher"), 3000)

    def test_the_clock_headers_reach_the_collector(self) -> None:
        token = self.collector.token("Clocked")
        client = self.client("Clocked", token, boot=False)
        for i in range(3):
            client.send("test", f"tick {i}")
            client.flush(30_000)
        stats = client.stats()
        self.assertIsNotNone(stats.clock_offset_ms, "an estimate after the first acknowledgement")
        self.assertLess(abs(stats.clock_offset_ms), 1000, "same machine: the offset is small")
        # The estimate rides on the batches after the first: the collector shows it per project.
        reported = self.collector.metric("tradetrail_client_clock_offset_seconds", 'project="Clocked"')
        self.assertIsNotNone(reported, "tradetrail_client_clock_offset_seconds{project=\"Clocked\"} is exposed")

    def test_an_event_the_collector_refuses_is_dropped_alone_and_the_rest_arrive(self) -> None:
        token = self.collector.token("Refused")
        client = self.client("Refused", token, boot=False)
        deep: dict = {}
        inner = deep
        for _ in range(70):  # deeper than canonical JSON takes; only the collector checks that
            inner["x"] = {}
            inner = inner["x"]
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):
            client.send("test", "before", i=0)
            client.send("test", "too deep", deep)
            client.send("test", "after", i=1)
            client.flush(30_000)
        stats = client.stats()
        self.assertEqual((stats.sent, stats.dropped), (2, 1), f"{stats}")
        self.assertEqual([e["message"] for e in self.collector.events("Refused")], ["before", "after"])
        self.assertIn("TT_ERR_EVENT_BAD_VALUE", self.codes())
        emergency = [line for line in stderr.getvalue().splitlines() if line.startswith("AUDIT_EMERGENCY ")]
        self.assertEqual(len(emergency), 1, f"the dropped event on stderr: {stderr.getvalue()[:500]}")
        self.assertEqual(json.loads(emergency[0][len("AUDIT_EMERGENCY "):])["message"], "too deep")

    def test_a_batch_over_the_collectors_limit_is_split_until_it_fits(self) -> None:
        collector = support.start_collector(self, env={"TRADETRAIL_MAX_BATCH_EVENTS": "7"})
        token = collector.token("Splitter")
        client = AuditClient("Splitter", url=collector.url, token=token, spool_dir=os.path.join(self.dir, "split"), boot=False,
                             handle_exit=False, on_error=self.errors.append)
        self.addCleanup(client.close, 1000)
        for i in range(100):
            client.send("test", f"event {i}", i=i)
        client.flush(60_000)
        self.assertEqual((client.stats().sent, client.stats().dropped), (100, 0))
        support.assert_once_in_order(self, collector.events("Splitter"), 100)
        refused = collector.metric("tradetrail_http_requests_total", 'route="/v1/events",method="POST",status="413"')
        self.assertGreater(refused or 0, 0, "the collector answered 413 and the client split the batch")

    def test_a_refused_token_keeps_the_events_in_the_spool_for_a_client_with_a_good_one(self) -> None:
        spool = os.path.join(self.dir, "kept")
        bad = AuditClient("Kept", url=self.collector.url, token="tt_000000000000_wrong", spool_dir=spool, boot=False,
                          handle_exit=False, retry_initial_ms=20, retry_max_ms=100, on_error=self.errors.append)
        for i in range(50):
            bad.send("test", f"event {i}", i=i)
        bad.close(500)
        self.assertEqual((bad.stats().sent, bad.stats().spooled, bad.stats().dropped), (0, 50, 0), f"{bad.stats()}")
        self.assertIn("TT_ERR_AUTH_INVALID", self.codes())
        good = self.client("Kept", self.collector.token("Kept"), boot=False, spool_dir=spool)
        support.wait_for(good.stats, lambda s: s.sent == 50 and s.spooled == 0, "the good client to replay the 50 events")
        support.assert_once_in_order(self, self.collector.events("Kept"), 50)


class BadArgumentsTest(unittest.TestCase):
    """Nothing a bot passes makes the SDK raise; what cannot be recorded is reported, counted and on stderr."""

    def test_bad_send_arguments_never_raise_and_good_events_still_arrive(self) -> None:
        collector = support.start_collector(self)
        token = collector.token("Careless")
        errors: list = []
        client = AuditClient("Careless", url=collector.url, token=token, spool_dir=os.path.join(support.temp_dir(self), "spool"),
                             boot=False, handle_exit=False, on_error=errors.append)
        self.addCleanup(client.close, 1000)

        class Hostile:
            def __str__(self) -> str:
                raise RuntimeError("no text")

        circular: dict = {}
        circular["self"] = circular
        bad_calls = [
            lambda: client.send("Not A Type", "x"),
            lambda: client.send(42, "x"),  # type: ignore[arg-type]
            lambda: client.send(["list"], "x"),  # type: ignore[arg-type]
            lambda: client.send("test", "x", severity="loud"),
            lambda: client.send("test", "x", severity=["info"]),  # type: ignore[arg-type]
            lambda: client.send("test", "x", data=[1, 2]),  # type: ignore[arg-type]
            lambda: client.send("test", "x", data="text"),  # type: ignore[arg-type]
            lambda: client.send("test", "x", circular),
            lambda: client.send("test", "x", {(1, 2): "tuple key"}),
            lambda: client.send("test", "m" * 9000),
            lambda: client.send("test", "x", blob="b" * 70_000),
            lambda: client.send("test", "x", id="not-a-uuid"),
            lambda: client.send("test", "x", ts="yesterday"),
            lambda: client.send("test", "x", ts="2025-02-30T00:00:00Z"),
            lambda: client.send("test", "x", source="s" * 200),
            lambda: client.send("test", "x", actor=7),  # type: ignore[arg-type]
            lambda: client.send("test", "x", metadata="not an object"),  # type: ignore[arg-type]
            lambda: client.send("test", "\ud800 lone surrogate"),
        ]
        good_calls = [
            lambda: client.send(),  # an unclassified_event with an empty message
            lambda: client.send("test", "no data"),
            lambda: client.send("test", None),  # type: ignore[arg-type]
            lambda: client.send("test", Hostile()),
            lambda: client.send("test", "nan becomes null", price=math.nan, inf=math.inf),
            lambda: client.send("test", "odd types", when=time.gmtime(0), amount=__import__("decimal").Decimal("1.5"), tags={"a"}),
            lambda: client.send("test", "extra positional", {"a": 1}, "extra"),  # type: ignore[misc]
            lambda: client.send("test", "own id and time", id="01890a5d-ac96-774b-bcce-b302099a8057", ts="2025-12-17T21:00:03Z"),
        ]
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):
            for call in bad_calls + good_calls:
                call()  # must not raise
            client.flush(30_000)
        stats = client.stats()
        self.assertEqual(stats.sent, len(good_calls), f"every good event delivered: {stats}")
        self.assertEqual(stats.dropped, len(bad_calls), f"every bad one dropped, none lost silently: {stats}")
        emergency = [line for line in stderr.getvalue().splitlines() if line.startswith("AUDIT_EMERGENCY ")]
        self.assertEqual(len(emergency), len(bad_calls), f"each bad one on stderr: {emergency}")
        self.assertTrue(all(isinstance(e, TradetrailError) and e.code.startswith("TT_ERR_") for e in errors))
        events = collector.events("Careless")
        stored = {e["message"]: e for e in events}
        self.assertEqual(stored["nan becomes null"]["data"], {"price": None, "inf": None})
        self.assertEqual(stored["odd types"]["data"]["amount"], 1.5)
        self.assertEqual(stored["extra positional"]["data"], {"a": 1, "args": ["extra"]})
        self.assertEqual(stored["own id and time"]["id"], "01890a5d-ac96-774b-bcce-b302099a8057")
        self.assertEqual(stored["[unprintable]"]["type"], "test", "a message whose str() raises")
        self.assertEqual(sorted(e["type"] for e in events if e["message"] == ""), ["test", "unclassified_event"],
                         "send() alone and a None message: empty messages")

    def test_bad_options_are_reported_and_replaced_never_raised(self) -> None:
        errors: list = []
        client = AuditClient(None, url="ftp://nowhere", token=None, durability="fast", spool_dir=False, batch_max_events=0,
                             flush_interval_ms="soon", metadata=[1], source=3, handle_exit="yes", on_error=errors.append,
                             env={}, colour="blue")  # type: ignore[arg-type]
        client.send("test", "kept in memory")
        support.wait_for(lambda: {e.code for e in errors}, lambda codes: "TT_ERR_CLIENT_OPTIONS" in codes, "the options reported")
        reasons = " ".join(e.message for e in errors if e.code == "TT_ERR_CLIENT_OPTIONS")
        for option in ("project.name", "url", "token", "durability", "batch_max_events", "flush_interval_ms", "metadata", "source",
                       "handle_exit", "colour"):
            self.assertIn(f"option {option} ", reasons)
        self.assertEqual(client.settings.batch_max_events, 1000, "the default replaces the bad value")
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):
            client.close(100)
            self.assertIn('"message":"kept in memory"', stderr.getvalue(), "no collector, no spool: close() leaves it on stderr")
            client.send("test", "after close")
        self.assertIn('"message":"after close"', stderr.getvalue(), "send() after close: on stderr, not raised")
        self.assertIn("TT_ERR_CLIENT_CLOSED", [e.code for e in errors])


if __name__ == "__main__":
    unittest.main()
