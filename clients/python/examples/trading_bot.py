"""A random-walk EURUSD bot on the Python client (seed 002's trading bot), for --seconds (default 10).

    TRADETRAIL_TOKEN=tt_… python3 clients/python/examples/trading_bot.py --seconds 20

Stop the collector while it runs and start it again: the events arrive, once each, in order.
"""
import argparse
import random
import time

from tradetrail import AuditClient, ProjectEvents, ProjectPrivileges

parser = argparse.ArgumentParser()
parser.add_argument("--seconds", type=float, default=10.0)
seconds = parser.parse_args().seconds

audit = AuditClient({"name": "MyTradingBot", "market": "FOREX", "description": "Automated EURUSD trading system",
                     "privileges": [ProjectPrivileges.EXECUTE_TRADE]}, source="RandomWalk",
                    on_error=lambda error: print(f"audit: {error.code}: {error.message}"))
price, position, end = 1.0850, 0, time.monotonic() + seconds
while time.monotonic() < end:
    price = round(price + random.gauss(0, 0.0002), 5)
    if position == 0 and random.random() < 0.2:
        position = random.choice((-10_000, 10_000))
        entry = price
        audit.send(ProjectEvents.TRADE_OPENED, f"Opened {'long' if position > 0 else 'short'} EURUSD",
                   symbol="EURUSD", price=price, quantity=abs(position))
    elif position != 0 and random.random() < 0.2:
        profit = round((price - entry) * position, 2)
        audit.send(ProjectEvents.TRADE_CLOSED, "Closed EURUSD position", symbol="EURUSD", exit_price=price, profit=profit)
        position = 0
    time.sleep(0.1)
audit.send(ProjectEvents.SHUTDOWN, "Bot stopped", severity="notice")
audit.close()
print(f"done: {audit.stats()}")
