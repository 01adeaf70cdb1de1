"""What the Python client benches share: the order a bot sends (bench/order-payload.ts), the collector's
count of a project's events, and the one JSON line a bench prints for its TypeScript wrapper."""
import json
import os
import sys
import time
import urllib.request

URL = os.environ["BENCH_URL"]
TOKEN = os.environ["BENCH_TOKEN"]
DIR = os.environ["BENCH_DIR"]
QUICK = os.environ.get("BENCH_QUICK") == "1"

ORDER_TYPE = "trade_opened"
ORDER_MESSAGE = "Opened long EURUSD"


def order(n: int) -> dict:
    """The data of the n-th order: a fresh dict, as a bot builds one (bench/order-payload.ts)."""
    return {"symbol": "EURUSD", "side": "buy", "quantity": 10_000, "price": 1.085 + (n % 100) / 100_000, "order_id": f"o-{n}"}


def stored(project: str) -> int:
    """Events the collector stores for ``project`` (GET /v1/stats)."""
    request = urllib.request.Request(f"{URL}/v1/stats?project={project}", headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)["total"]


def log(message: str) -> None:
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def report(result: dict) -> None:
    """The result, as the last line of stdout."""
    print(json.dumps(result), flush=True)
