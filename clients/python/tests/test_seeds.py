"""A seed's user switches with one import: the seeds' own usage snippets (clients/python/examples/seed*.py,
each the seed's code but for its import line) run against a real collector or write the seed's files,
and the names behave as the seeds' READMEs show them."""
import contextlib
import http.server
import io
import json
import logging
import os
import re
import threading
import unittest

import support
from tradetrail import (
    AuditNotifier, EnhancedJsonAuditSink, JsonAuditSink, ProjectEvents, ProjectPrivileges, trigger_audit_dumping,
)

SEED003_KEYS = ["ts", "event_id", "event_type", "priority", "source", "data", "metadata", "timestamp_ns"]
SEED000_LINE = re.compile(r"^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\] (.*)$")


def example(name: str) -> str:
    return os.path.join(support.EXAMPLES, name)


class SeedExamplesTest(unittest.TestCase):
    def setUp(self) -> None:
        self.dir = support.temp_dir(self, "tt-seed")

    def run_example(self, name: str, cwd: str = None, **env: str) -> support.Process:
        process = support.Process(self, support.python(example(name)), support.clean_env(**env), cwd=cwd or self.dir)
        code = process.wait(120)
        self.assertEqual(code, 0, f"{name} exited {code}: {process.stderr()[-2000:]}")
        return process

    def collector_env(self, collector: support.Collector, token: str) -> dict:
        return {"TRADETRAIL_URL": collector.url, "TRADETRAIL_TOKEN": token, "TRADETRAIL_SPOOL_DIR": os.path.join(self.dir, "spool")}

    def test_seed002_notifier_snippet_records_boot_trades_and_errors(self) -> None:
        collector = support.start_collector(self)
        token = collector.token("MyTradingBot", [ProjectPrivileges.EXECUTE_TRADE])
        self.run_example("seed002_notifier.py", **self.collector_env(collector, token))
        events = collector.events("MyTradingBot")
        self.assertEqual([e["type"] for e in events], ["boot", "trade_opened", "trade_closed", "error"])
        boot, opened, closed, error = events
        self.assertEqual(boot["message"], "Project was booted.")
        self.assertEqual(boot["data"], {"market": "FOREX", "description": "Automated EURUSD trading system", "privileges": ["execute_trade"]})
        self.assertEqual((opened["message"], opened["data"]), ("Opened long EURUSD", {"symbol": "EURUSD", "price": 1.085, "quantity": 10000}))
        self.assertEqual(closed["data"], {"symbol": "EURUSD", "exit_price": 1.0875, "profit": 250})
        self.assertEqual((error["message"], error["data"]), ("Connection timeout to broker", {"error_code": "CONN_TIMEOUT"}))
        self.assertTrue(all("flags" not in e for e in events), "the token grants execute_trade: nothing flagged")

    def test_privileges_granted_on_the_token_not_those_declared_decide_privilege_violation(self) -> None:
        collector = support.start_collector(self)
        token = collector.token("MyTradingBot")  # declares execute_trade in its boot event, is not granted it
        self.run_example("seed002_notifier.py", **self.collector_env(collector, token))
        flagged = {e["type"]: e.get("flags", []) for e in collector.events("MyTradingBot")}
        self.assertEqual(flagged["trade_opened"], ["privilege_violation"])
        self.assertEqual(flagged["trade_closed"], ["privilege_violation"])
        self.assertEqual(flagged["error"], [], "only trading events need the privilege")

    def test_seed002_fast_audit_goes_to_the_collector_or_else_to_a_jsonl_file(self) -> None:
        collector = support.start_collector(self)
        self.run_example("seed002_fast_audit.py", **self.collector_env(collector, collector.token("ScriptName")))
        boot, event = collector.events("ScriptName")
        self.assertEqual((boot["type"], boot["data"]["market"]), ("boot", "Crypto"), "its client's boot event names the market")
        self.assertEqual((event["type"], event["message"]), ("unclassified_event", "Bitcoin price monitor started"))

        path = os.path.join(self.dir, "audit", "fast.jsonl")
        self.run_example("seed002_fast_audit.py", TRADETRAIL_LOG_PATH=path)
        with open(path) as file:
            (line,) = [json.loads(text) for text in file]
        self.assertEqual((line["project"], line["message"]), ("ScriptName", "Bitcoin price monitor started"))

    def test_seed002_dump_snippet_runs_and_reports_what_the_collector_answers(self) -> None:
        collector = support.start_collector(self)
        reader = collector.token("", scope="read")
        process = self.run_example("seed002_dump.py", TRADETRAIL_URL=collector.url, TRADETRAIL_READ_TOKEN=reader)
        dumped = os.path.join(self.dir, "dumped_audit_trails.json")
        # GET /v1/dump is the collector's part (issue 13, item 3): until it answers, the snippet must
        # still run, say why, and leave no file; once it does, the file is its answer.
        try:
            answer = collector.get("/v1/dump?hours=30")
        except AssertionError:
            self.assertFalse(os.path.exists(dumped), "no half-made dump")
            self.assertRegex(process.stderr(), r"TT_ERR_COLLECTOR_REFUSED: .* 404 TT_ERR_ROUTE_NOT_FOUND")
        else:
            with open(dumped) as file:
                self.assertEqual(json.load(file).keys(), json.loads(answer).keys())

    def test_seed003_sink_writes_its_records_where_risk_audit_log_path_says(self) -> None:
        path = os.path.join(self.dir, "var", "risk_audit.jsonl")
        process = self.run_example("seed003_risk_sink.py", RISK_AUDIT_LOG_PATH=path)
        self.assertIn(f"Audit log file initialized: {path}", process.stderr())
        with open(path) as file:
            records = [json.loads(line) for line in file]
        self.assertEqual([list(r) for r in records], [SEED003_KEYS, SEED003_KEYS], "seed 003's fields, in its order")
        kill = records[0]
        self.assertEqual((kill["event_type"], kill["priority"], kill["source"]), ("KILL_SWITCH", "CRITICAL", "FeedStalenessCalculator"))
        self.assertEqual(kill["data"], {"max_staleness_ms": 5000, "threshold": 1000, "action": "KILL_SWITCH"})
        self.assertEqual(kill["metadata"], {"processing_latency_us": 15.2, "rule_triggered": "feed_staleness_limit"})
        self.assertRegex(kill["ts"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertIsInstance(kill["timestamp_ns"], int)

        data_dir = os.path.join(self.dir, "trail")
        imported = support.run([support.NODE, support.CLI, "--data-dir", data_dir, "import", path, "--project", "RiskEngine", "--strict"])
        self.assertIn("imported 2 events", imported.stdout)
        exported = support.run([support.NODE, support.CLI, "--data-dir", data_dir, "export", "--project", "RiskEngine"]).stdout
        stored = [json.loads(line) for line in exported.splitlines()]
        self.assertEqual([(e["type"], e["severity"], e["id"]) for e in stored],
                         [("kill_switch", "critical", kill["event_id"]), ("risk_limit_breach", "error", records[1]["event_id"])])

    def test_seed003_sink_keeps_the_seeds_default_path(self) -> None:
        self.run_example("seed003_risk_sink.py")
        self.assertTrue(os.path.exists(os.path.join(self.dir, "logs", "risk_audit.jsonl")), "logs/risk_audit.jsonl in the working directory")

    def test_seed000_log_action_records_the_seeds_actions_as_import_would_read_its_log(self) -> None:
        collector = support.start_collector(self)
        env = self.collector_env(collector, collector.token("auto_repair_system"))
        self.run_example("seed000_log_action.py", TRADETRAIL_PROJECT="auto_repair_system", **env)
        events = collector.events("auto_repair_system")
        self.assertEqual(events[0]["type"], "boot", "the process's client records its boot first")
        via_client = [(e["type"], e.get("source"), e["severity"], e["message"]) for e in events[1:]]
        self.assertEqual(via_client[0], ("auto_repair", "auto_repair_system", "info", "Auto-repair: Created PostgreSQL database 'quantum'"))
        self.assertEqual(via_client[6], ("self_heal", "weekly_self_heal", "error", "Weekly self-heal: Module integrity check - FAILED"))
        self.assertEqual(len(via_client), 8)

        log = os.path.join(self.dir, "status", "AUTO_REPAIR_AUDIT.log")
        self.run_example("seed000_log_action.py", TRADETRAIL_PROJECT="auto_repair_system", TRADETRAIL_LOG_PATH=log)
        with open(log, encoding="utf-8") as file:
            lines = file.read().splitlines()
        self.assertEqual([SEED000_LINE.match(line).group(1) for line in lines], [e[3] for e in via_client], "seed 000's line format")
        data_dir = os.path.join(self.dir, "trail")
        support.run([support.NODE, support.CLI, "--data-dir", data_dir, "import", log, "--project", "auto_repair_system", "--strict"])
        exported = support.run([support.NODE, support.CLI, "--data-dir", data_dir, "export", "--project", "auto_repair_system"]).stdout
        via_import = [(e["type"], e.get("source"), e["severity"], e["message"]) for e in map(json.loads, exported.splitlines())]
        self.assertEqual(via_import, via_client, "the same events whichever way they came")


class SeedNamesTest(unittest.TestCase):
    def test_the_seed_names_are_the_seeds_constants(self) -> None:
        self.assertEqual((ProjectEvents.BOOT, ProjectEvents.ERROR, ProjectEvents.TRADE_OPENED, ProjectEvents.TRADE_CLOSED,
                          ProjectEvents.UNCLASSIFIED_EVENT), ("boot", "error", "trade_opened", "trade_closed", "unclassified_event"))
        self.assertEqual((ProjectPrivileges.EXECUTE_TRADE, ProjectPrivileges.POST_MORTEM_ANALYSIS, ProjectPrivileges.LIVE_MONITORING,
                          ProjectPrivileges.UTILITIES), ("execute_trade", "post_mortem_analysis", "live_monitoring", "utilities"))
        self.assertIs(JsonAuditSink, EnhancedJsonAuditSink)

    def test_notifier_takes_the_seeds_arguments_and_custom_names(self) -> None:
        notifier = AuditNotifier(project_name="SeedBot", project_market="Crypto", project_privileges=[ProjectPrivileges.UTILITIES, "custom_right"],
                                 url="http://127.0.0.1:9", token="tt_000000000000_x", spool_dir=False, boot=False, handle_exit=False,
                                 on_error=lambda error: None)
        self.addCleanup(notifier.close, 0)
        self.assertEqual(notifier.settings.project.name, "SeedBot")
        self.assertEqual(notifier.settings.project.market, "Crypto")
        self.assertEqual(notifier.settings.project.privileges, ("utilities", "custom_right"))

    def test_seed003_sink_falls_back_to_stderr_and_logs_when_the_file_cannot_be_written(self) -> None:
        directory = support.temp_dir(self)
        logger = logging.getLogger("test.seed003")
        stderr = io.StringIO()
        with self.assertLogs(logger, level="WARNING") as logs, contextlib.redirect_stderr(stderr):
            sink = EnhancedJsonAuditSink(path=directory, logger=logger)  # a directory: every write fails
            sink.write({"event_id": "e-1", "event_type": "KILL_SWITCH", "priority": "CRITICAL", "source": "Feed", "data": {"x": 1}})
            sink.close()
        self.assertRegex(stderr.getvalue(), r'AUDIT_EMERGENCY \{.*"event_id": "e-1"')
        self.assertRegex("\n".join(logs.output), r"Audit write failed: .*it is a directory")
        self.assertEqual(sink.stats().dropped, 1)

    def test_seed003_sink_warns_of_a_directory_lost_on_restart(self) -> None:
        directory = support.temp_dir(self)
        logger = logging.getLogger("test.seed003.risk")
        for options, risk in (({"in_container": True}, "is under /tmp inside a container"),
                              ({"in_container": False, "mounts": f"tmpfs {directory} tmpfs rw 0 0\n"}, "is on tmpfs")):
            with self.subTest(risk), self.assertLogs(logger, level="WARNING") as logs:
                sink = EnhancedJsonAuditSink(path=os.path.join(directory, "risk_audit.jsonl"), logger=logger, **options)
                sink.flush()
                sink.close()
            self.assertRegex("\n".join(logs.output), rf"AUDIT LOG RISK: audit file directory {directory} {risk}")


class DumpTest(unittest.TestCase):
    """trigger_audit_dumping()'s side of GET /v1/dump, against a server answering seed 002's documented shape.

    The collector does not serve /v1/dump yet (issue 13, item 3); this stands in for it until it does.
    """

    def test_the_dump_is_written_whole_into_the_working_directory_with_the_read_token(self) -> None:
        dump = {"MyTradingBot": [{"event_type": "boot", "event_description": "Project was booted.", "timestamp": 1692345600.123,
                                  "project_name": "MyTradingBot", "project_market": "FOREX"}]}
        seen = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append((self.path, self.headers["Authorization"]))
                body = json.dumps(dump).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        directory = support.temp_dir(self)
        cwd = os.getcwd()
        os.chdir(directory)
        self.addCleanup(os.chdir, cwd)
        written = trigger_audit_dumping(url=f"http://127.0.0.1:{server.server_port}", token="tt_reader")
        self.assertEqual(written, os.path.join(directory, "dumped_audit_trails.json"))
        with open(written) as file:
            self.assertEqual(json.load(file), dump)
        self.assertEqual(seen, [("/v1/dump?hours=30", "Bearer tt_reader")])
        self.assertEqual(os.listdir(directory), ["dumped_audit_trails.json"], "no temporary file left")

    def test_bad_arguments_and_no_collector_return_none_never_raise(self) -> None:
        errors: list = []
        self.assertIsNone(trigger_audit_dumping(hours=0, on_error=errors.append))
        self.assertIsNone(trigger_audit_dumping(url="ftp://x", on_error=errors.append))
        self.assertIsNone(trigger_audit_dumping(url="http://127.0.0.1:9", on_error=errors.append))
        self.assertEqual([e.code for e in errors], ["TT_ERR_CLIENT_OPTIONS", "TT_ERR_CLIENT_OPTIONS", "TT_ERR_COLLECTOR_UNREACHABLE"])


if __name__ == "__main__":
    unittest.main()
