# Seed 002's README, "One-Line Quick Audit", unchanged but for the import line
# (was: from ic_audit import fast_audit). With TRADETRAIL_URL / TRADETRAIL_TOKEN set it goes to the
# collector; without, to the JSONL file of TRADETRAIL_LOG_PATH (logs/tradetrail-audit.jsonl).
from tradetrail import fast_audit

fast_audit("ScriptName", "Crypto", "Bitcoin price monitor started")
