"""Real parts for the Python client's tests: a collector process (`tradetrail serve --port 0`) in its own
data directory, tokens made with the CLI, the trail read back over HTTP, child processes, polling.

Each test owns a temporary directory and its own collector; everything started here is killed in
tearDown (registered with addCleanup), also when the test fails.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from typing import Any, Callable, Dict, List, Optional, Sequence, TypeVar

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_ROOT = os.path.dirname(HERE)
SRC = os.path.join(PACKAGE_ROOT, "src")
ROOT = os.path.dirname(os.path.dirname(PACKAGE_ROOT))
CLI = os.path.join(ROOT, "packages", "server", "bin", "tradetrail.js")
FIXTURES = os.path.join(HERE, "fixtures")
EXAMPLES = os.path.join(PACKAGE_ROOT, "examples")
NODE = shutil.which("node") or "node"

if SRC not in sys.path:
    sys.path.insert(0, SRC)

#: What a test environment must not inherit from the runner: it would point a child at the wrong place.
_ALIASES = ("QT_ALERT_WEBHOOK", "QT_AUDIT_EMAIL", "QT_SMTP_SERVER", "QT_SMTP_PORT", "RISK_AUDIT_LOG_PATH")

_LISTENING = re.compile(r"Tradetrail collector listening on (https?://\S+)")
_TOKEN = re.compile(r"^ {2}token: +(tt_\S+)$", re.M)
_BANNER_END = re.compile(r"^SDK and examples: .*$", re.M)

T = TypeVar("T")


def clean_env(**extra: Optional[str]) -> Dict[str, str]:
    """The runner's environment without TRADETRAIL_* and the seeds' aliases, plus ``extra`` (None removes)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADETRAIL_") and k not in _ALIASES}
    env["PYTHONPATH"] = SRC
    env["PYTHONUNBUFFERED"] = "1"
    for key, value in extra.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def wait_for(probe: Callable[[], T], done: Callable[[T], bool], describe: str, timeout: float = 60.0, interval: float = 0.05) -> T:
    """Polls ``probe()`` until ``done(value)``; fails after ``timeout`` saying what was expected and what was seen."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {describe}; last seen: {value!r}"[:3000])
        time.sleep(interval)


class Process:
    """A child process whose output is collected as it comes; killed by its test's cleanup."""

    def __init__(self, test: unittest.TestCase, argv: Sequence[str], env: Dict[str, str], cwd: Optional[str] = None) -> None:
        self.child = subprocess.Popen(list(argv), env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE)
        self._out: List[str] = []
        self._err: List[str] = []
        self._readers = [threading.Thread(target=self._read, args=(self.child.stdout, self._out), daemon=True),
                         threading.Thread(target=self._read, args=(self.child.stderr, self._err), daemon=True)]
        for reader in self._readers:
            reader.start()
        test.addCleanup(self.kill)

    @staticmethod
    def _read(stream: Any, into: List[str]) -> None:
        for line in iter(stream.readline, b""):
            into.append(line.decode("utf-8", "replace"))

    @property
    def pid(self) -> int:
        return self.child.pid

    def stdout(self) -> str:
        return "".join(self._out)

    def stderr(self) -> str:
        return "".join(self._err)

    def running(self) -> bool:
        return self.child.poll() is None

    def wait(self, timeout: float = 60.0) -> int:
        """The exit status (negative: killed by that signal), once the output is read to the end."""
        code = self.child.wait(timeout)
        for reader in self._readers:
            reader.join(10)
        return code

    def signal(self, signum: int) -> None:
        if self.running():
            self.child.send_signal(signum)

    def kill(self) -> None:
        if self.running():
            self.child.kill()
        try:
            self.wait(30)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.child.stdout, self.child.stderr):
            if stream is not None:
                stream.close()


def run(argv: Sequence[str], env: Optional[Dict[str, str]] = None, cwd: Optional[str] = None, timeout: float = 120.0,
        check: bool = True) -> subprocess.CompletedProcess:
    """Runs a command to completion; with ``check``, a non-zero exit fails with its output."""
    result = subprocess.run(list(argv), env=env if env is not None else clean_env(), cwd=cwd, capture_output=True, text=True,
                            timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {result.returncode}\nstdout: {result.stdout[-2000:]}\nstderr: {result.stderr[-2000:]}")
    return result


def temp_dir(test: unittest.TestCase, label: str = "tt-py") -> str:
    """A fresh directory, removed when ``test`` ends (after its processes are killed: cleanups run last-in first-out)."""
    path = tempfile.mkdtemp(prefix=f"{label}-")
    test.addCleanup(shutil.rmtree, path, True)
    return path


class Collector:
    """`tradetrail serve` on a real port, with its own data directory, as an operator runs it."""

    def __init__(self, test: unittest.TestCase, data_dir: str, port: int = 0, env: Optional[Dict[str, str]] = None,
                 admin_token: Optional[str] = None) -> None:
        """``admin_token``: the one an earlier start on ``data_dir`` printed (only the first start prints one)."""
        self.test = test
        self.data_dir = data_dir
        argv = [NODE, CLI, "--data-dir", data_dir, "serve", "--port", str(port)]
        self.process = Process(test, argv, clean_env(TRADETRAIL_LOG_LEVEL="warn", **(env or {})))
        banner = wait_for(self.process.stdout, lambda out: bool(_LISTENING.search(out) and _BANNER_END.search(out)) or not self.process.running(),
                          "the collector's banner", timeout=120)
        match = _LISTENING.search(banner)
        if match is None:
            raise AssertionError(f"the collector exited before listening: {banner[-1500:]} {self.process.stderr()[-1500:]}")
        self.url = match.group(1)
        self.port = int(self.url.rsplit(":", 1)[1])
        found = _TOKEN.search(banner)
        self.admin_token: Optional[str] = found.group(1) if found else admin_token

    def stop(self) -> int:
        """SIGTERM, as an operator stops it; its exit status."""
        self.process.signal(signal.SIGTERM)
        return self.process.wait(60)

    def kill(self) -> None:
        self.process.kill()

    def token(self, project: str, privileges: Sequence[str] = (), scope: str = "ingest") -> str:
        """A new token, made with the CLI on the data directory (as the banner says)."""
        argv = [NODE, CLI, "--data-dir", self.data_dir, "token", "create", "--scope", scope, "--json"]
        if scope == "ingest":
            argv += ["--project", project]
        for privilege in privileges:
            argv += ["--privilege", privilege]
        return json.loads(run(argv).stdout)["token"]

    def get(self, path: str, token: Optional[str] = None) -> Any:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request("GET", path, headers={"Authorization": f"Bearer {token or self.admin_token}"})
            response = connection.getresponse()
            body = response.read().decode("utf-8")
        finally:
            connection.close()
        if response.status != 200:
            raise AssertionError(f"GET {path} answered {response.status}: {body[:500]}")
        return body

    def events(self, project: str) -> List[Dict[str, Any]]:
        """Every stored event of ``project``, in seq order."""
        body = self.get(f"/v1/export?format=jsonl&project={project}")
        return [json.loads(line) for line in body.splitlines() if line]

    def metric(self, name: str, labels: str = "") -> Optional[float]:
        """A value of /metrics, e.g. ``metric("tradetrail_client_clock_offset_seconds", 'project="X"')``."""
        pattern = re.compile(rf"^{re.escape(name)}{{?{re.escape(labels)}[^ ]*}}? (\S+)$" if labels else rf"^{re.escape(name)} (\S+)$", re.M)
        found = pattern.search(self.get("/metrics"))
        return float(found.group(1)) if found else None


def start_collector(test: unittest.TestCase, env: Optional[Dict[str, str]] = None) -> Collector:
    return Collector(test, os.path.join(temp_dir(test, "tt-collector"), "data"), env=env)


def errors_into(into: List[Any]) -> Callable[[Any], None]:
    """An on_error hook that keeps what it hears."""
    return into.append


def assert_once_in_order(test: unittest.TestCase, events: List[Dict[str, Any]], count: int, key: str = "i") -> None:
    """``events`` carry ``data[key]`` 0…count-1, each exactly once, in that order."""
    seen = [e.get("data", {}).get(key) for e in events if isinstance(e.get("data"), dict) and key in e["data"]]
    duplicates = len(seen) - len(set(seen))
    missing = sorted(set(range(count)) - set(seen))
    test.assertEqual(duplicates, 0, f"each event stored once; {duplicates} duplicates")
    test.assertEqual(missing, [], f"every one of {count} events stored; missing {missing[:20]}…")
    test.assertEqual(seen, list(range(count)), "stored in the order they were sent")


def python(script: str, *args: str) -> List[str]:
    return [sys.executable, script, *args]


def tsx(script: str) -> List[str]:
    """``node --import tsx SCRIPT``: a TypeScript fixture run against the workspace's @tradetrail/client."""
    return [NODE, "--import", "tsx", script]
