"""One Python bot sending a steady 20,000 events/s through AuditClient to a real collector for
BENCH_SECONDS (30; --quick 5), in `memory` durability, then BENCH_WAL_SECONDS (10; --quick 3) in `wal`:
every millisecond it sends what is due by then (at most 10 ms' worth at once, so a stall shows as a
lower achieved rate, not a burst). Then flush(), timed (the drain), and the check: every event sent
acknowledged and stored, none dropped. Sampled every 250 ms: the client's queue and spool; reported:
how late the sending loop's ticks were (p50/p99/max), the process's CPU share, peak RSS.

Env: BENCH_URL, BENCH_TOKEN, BENCH_DIR (from the wrapper), BENCH_RATE (20000), BENCH_SECONDS, BENCH_WAL_SECONDS.
"""
import math
import os
import resource
import threading
import time

from common import DIR, ORDER_MESSAGE, ORDER_TYPE, QUICK, TOKEN, URL, log, order, report, stored
from tradetrail import AuditClient

RATE = int(os.environ.get("BENCH_RATE", "20000"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "5" if QUICK else "30"))
WAL_SECONDS = float(os.environ.get("BENCH_WAL_SECONDS", "3" if QUICK else "10"))


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))] if ordered else float("nan")


def phase(durability: str, seconds: float) -> dict:
    project = f"BenchPythonSustained-{durability}"
    errors: dict = {}
    client = AuditClient(project, url=URL, token=TOKEN, spool_dir=os.path.join(DIR, f"spool-{durability}"), durability=durability,
                         boot=False, handle_exit=False, on_error=lambda e: errors.__setitem__(e.code, errors.get(e.code, 0) + 1))
    high = {"queued": 0, "spooled": 0}
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.wait(0.25):
            s = client.stats()
            high["queued"] = max(high["queued"], s.queued)
            high["spooled"] = max(high["spooled"], s.spooled)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    per_ms = RATE / 1000
    total = int(RATE * seconds)
    n = 0
    lags = []
    send = client.send
    cpu0 = time.process_time()
    start = time.perf_counter()
    next_tick = start
    while True:
        now = time.perf_counter()
        lags.append(max(0.0, (now - next_tick) * 1000))
        elapsed = (now - start) * 1000
        if elapsed >= seconds * 1000 or n >= total:
            break
        due = min(total, math.ceil((elapsed + 1) * per_ms), n + int(10 * per_ms))
        while n < due:
            send(ORDER_TYPE, ORDER_MESSAGE, order(n))
            n += 1
        next_tick = time.perf_counter() + 0.001
        time.sleep(0.001)
    stopped = time.perf_counter()
    cpu_sending = time.process_time() - cpu0
    at_stop = client.stats()
    send_seconds = stopped - start
    log(f"{durability}: sent {n} in {send_seconds:.2f} s ({n / send_seconds:.0f} events/s); {at_stop}; draining")
    client.flush(600_000)
    drained = time.perf_counter()
    sampling.set()
    sampler.join()
    stats = client.stats()
    count = stored(project)
    client.close()
    log(f"{durability}: drained in {drained - stopped:.2f} s; stored {count}")
    return {
        "durability": durability, "seconds": round(send_seconds, 2), "offered": n, "offeredRate": round(n / send_seconds),
        "drainSeconds": round(drained - stopped, 2), "collectorRate": round(count / (drained - start)),
        "cpuShareSending": round(cpu_sending / send_seconds, 2),
        "tickLateMs": {"p50": round(percentile(lags, 50), 2), "p99": round(percentile(lags, 99), 2), "max": round(max(lags), 1)},
        "atStop": {"queued": at_stop.queued, "spooled": at_stop.spooled, "sent": at_stop.sent},
        "highWater": high, "sent": stats.sent, "dropped": stats.dropped, "undelivered": stats.queued + stats.spooled,
        "stored": count, "errors": errors,
        "complete": stats.sent == n and count == n and stats.dropped == 0 and stats.queued + stats.spooled == 0,
    }


log(f"memory durability: {RATE} events/s for {SECONDS} s" + (f", then wal for {WAL_SECONDS} s" if WAL_SECONDS > 0 else ""))
phases = [phase("memory", SECONDS)]
if WAL_SECONDS > 0:
    phases.append(phase("wal", WAL_SECONDS))
report({"rate": RATE, "phases": phases, "peakRssMiB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)})
