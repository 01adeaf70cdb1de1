"""Tradetrail's Python client: the audit trail for trading bots, standard library only.

- :class:`AuditClient` sends events to a Tradetrail collector (batched, spooled through outages,
  flushed on exit); ``send()`` never raises and never waits on I/O.
- :class:`FileSink` writes them to a local file instead: wire-format JSONL, seed 000's text lines
  or seed 003's records.
- The seeds' names, so that a seed's user switches with one import: ``AuditNotifier``,
  ``ProjectEvents``, ``ProjectPrivileges``, ``fast_audit``, ``trigger_audit_dumping`` (seed 002),
  ``log_action`` (seed 000), ``JsonAuditSink`` / ``EnhancedJsonAuditSink`` (seed 003).

See clients/python/README.md and docs/client.md.
"""
from ._options import Project
from .client import AuditClient, ClientStats
from .errors import TradetrailError
from .file_sink import FileSink, SinkStats
from .seeds import (
    AuditNotifier, EnhancedJsonAuditSink, JsonAuditSink, ProjectEvents, ProjectPrivileges, fast_audit, log_action,
    trigger_audit_dumping,
)

__version__ = "0.1.0"
__all__ = [
    "AuditClient", "ClientStats", "FileSink", "SinkStats", "Project", "TradetrailError",
    "AuditNotifier", "ProjectEvents", "ProjectPrivileges", "fast_audit", "trigger_audit_dumping", "log_action",
    "EnhancedJsonAuditSink", "JsonAuditSink", "__version__",
]
