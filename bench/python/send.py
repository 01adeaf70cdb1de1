"""What `AuditClient.send()` costs its caller, against the standard `logging` module writing the same
order to a file (FileHandler, a formatter with the time and level), in the same process and run.

Blocks of 1,000 calls timed with perf_counter around the block only (payload dicts made before it).
Between blocks the client is left to settle (its worker thread encodes, posts and has the batch
acknowledged; logging has nothing left to do), so a block measures the caller's own cost, as
client-send.bench.ts does with setImmediate. Variants take turns, the order rotating per round:
`send` (a data dict), `send, kwargs` (seed 002's send(type, message, symbol=…)), `send, no data`,
`logging`. Then the whole cost: CPU time of the process (all threads) per event for 50,000 events
sent and delivered, against 50,000 logging calls. Every event sent must be stored at the end.

Env: BENCH_URL, BENCH_TOKEN, BENCH_DIR (from the wrapper), BENCH_ROUNDS (5), BENCH_BLOCKS (50).
"""
import logging
import os
import statistics
import sys
import time

from common import DIR, ORDER_MESSAGE, ORDER_TYPE, QUICK, TOKEN, URL, log, order, report, stored
from tradetrail import AuditClient

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
BLOCKS = int(os.environ.get("BENCH_BLOCKS", "5" if QUICK else "50"))
BLOCK = 1000
PROJECT = "BenchPythonSend"

errors: dict = {}
client = AuditClient(PROJECT, url=URL, token=TOKEN, spool_dir=os.path.join(DIR, "spool-send"), boot=False, handle_exit=False,
                     on_error=lambda e: errors.__setitem__(e.code, errors.get(e.code, 0) + 1))
logger = logging.getLogger("bench")
logger.propagate = False
handler = logging.FileHandler(os.path.join(DIR, "logging.log"))
handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
logger.addHandler(handler)
logger.setLevel(logging.INFO)

send = client.send
info = logger.info


def send_data(payloads):
    for p in payloads:
        send(ORDER_TYPE, ORDER_MESSAGE, p)


def send_kwargs(payloads):
    for p in payloads:
        send(ORDER_TYPE, ORDER_MESSAGE, symbol=p["symbol"], side=p["side"], quantity=p["quantity"], price=p["price"],
             order_id=p["order_id"])


def send_no_data(payloads):
    for _ in payloads:
        send(ORDER_TYPE, ORDER_MESSAGE)


def logging_info(payloads):
    for p in payloads:
        info("Opened long EURUSD %s", p)


VARIANTS = [("send", send_data, 1), ("logging", logging_info, 0), ("send, kwargs", send_kwargs, 1), ("send, no data", send_no_data, 1)]
expected = 0
n = 0


def settle() -> None:
    """Until the client holds nothing unacknowledged (its thread's work is done)."""
    deadline = time.monotonic() + 120
    while client.stats().queued > 0 and time.monotonic() < deadline:
        time.sleep(0.0005)


def run(variant, blocks: int) -> list:
    global expected, n
    _, call, events = variant
    ns = []
    for _ in range(blocks):
        payloads = [order(n + i) for i in range(BLOCK)]
        n += BLOCK
        t0 = time.perf_counter()
        call(payloads)
        ns.append((time.perf_counter() - t0) * 1e9 / BLOCK)
        expected += events * BLOCK
        time.sleep(0.001)
        if events:
            settle()
    return ns


log(f"warm-up, then {ROUNDS} rounds x {len(VARIANTS)} variants x {BLOCKS} blocks of {BLOCK} calls")
for variant in VARIANTS:
    run(variant, max(2, BLOCKS // 5))
samples = {name: [] for name, _, _ in VARIANTS}
for r in range(ROUNDS):
    order_of = VARIANTS[r % len(VARIANTS):] + VARIANTS[:r % len(VARIANTS)]
    medians = {}
    for variant in order_of:
        ns = run(variant, BLOCKS)
        samples[variant[0]] += ns
        medians[variant[0]] = round(statistics.median(ns))
    log(f"round {r + 1}: " + ", ".join(f"{k} {v} ns" for k, v in medians.items()))


def cpu_per_event(call, count: int, deliver: bool) -> float:
    """CPU µs of the whole process (every thread) per event, from the first call to the end of its work."""
    global expected, n
    payloads = [order(n + i) for i in range(count)]
    n += count
    settle()
    t0 = time.process_time()
    for start in range(0, count, BLOCK):
        call(payloads[start:start + BLOCK])
    if deliver:
        client.flush(300_000)
        expected += count
    else:
        handler.flush()
    return (time.process_time() - t0) * 1e6 / count


CPU_EVENTS = 5_000 if QUICK else 50_000
cpu = {"send": cpu_per_event(send_data, CPU_EVENTS, True), "logging": cpu_per_event(logging_info, CPU_EVENTS, False)}
log(f"CPU per event: send {cpu['send']:.1f} µs (all threads, delivery included), logging {cpu['logging']:.1f} µs")

client.flush(300_000)
stats = client.stats()
total = stored(PROJECT)
client.close()


def pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, -(-p * len(ordered) // 100) - 1))]


report({
    "python": sys.version.split()[0],
    "median": {k: statistics.median(v) for k, v in samples.items()},
    "p99": {k: pct(v, 99) for k, v in samples.items()},
    "cpuUsPerEvent": cpu,
    "blocks": BLOCKS, "rounds": ROUNDS,
    "expected": expected, "sent": stats.sent, "dropped": stats.dropped, "undelivered": stats.queued + stats.spooled,
    "stored": total, "errors": errors,
})
