# Seed 003's risk event bus writing its audit records, unchanged but for the import line (was: from
# src.risk.obs.enhanced_audit_sink import EnhancedJsonAuditSink). The path is the bus's audit_log_path,
# else RISK_AUDIT_LOG_PATH, else logs/risk_audit.jsonl; `tradetrail import` reads the file back.
# RiskEvent and its enums stand in for the seed project's own classes.
import enum
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict

from tradetrail import EnhancedJsonAuditSink


class EventType(enum.Enum):
    KILL_SWITCH = "kill_switch"
    RISK_LIMIT_BREACH = "risk_limit_breach"


class EventPriority(enum.Enum):
    CRITICAL = 0
    HIGH = 1


@dataclass
class RiskEvent:
    event_type: EventType
    priority: EventPriority
    source: str
    data: Dict[str, Any]
    metadata: Dict[str, Any] = field(default_factory=dict)
    event_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    timestamp_ns: int = field(default_factory=time.time_ns)


class RiskEventBus:
    def __init__(self, audit_log_path: str = None):
        self._audit_sink = EnhancedJsonAuditSink(path=audit_log_path)

    def publish(self, event: RiskEvent) -> None:
        self._audit_sink.write(event)


logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
bus = RiskEventBus()
bus.publish(RiskEvent(
    EventType.KILL_SWITCH, EventPriority.CRITICAL, "FeedStalenessCalculator",
    {"max_staleness_ms": 5000, "threshold": 1000, "action": "KILL_SWITCH"},
    {"processing_latency_us": 15.2, "rule_triggered": "feed_staleness_limit"}))
bus.publish(RiskEvent(
    EventType.RISK_LIMIT_BREACH, EventPriority.HIGH, "PositionLimitChecker",
    {"symbol": "EURUSD", "position": 1_250_000, "limit": 1_000_000}))
