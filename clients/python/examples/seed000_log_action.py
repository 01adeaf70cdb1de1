# Seed 000's audit_logger usage, unchanged but for the import line (was: from audit_logger import
# log_action), with the actions of its "Audit Log Format" section. The project is TRADETRAIL_PROJECT,
# else this script's name. With TRADETRAIL_URL / TRADETRAIL_TOKEN set the actions go to the collector
# (Auto-repair: … as auto_repair from auto_repair_system, Weekly self-heal: … as self_heal); without,
# to seed 000's text lines in TRADETRAIL_LOG_PATH (default /mnt/status/AUTO_REPAIR_AUDIT.log).
from tradetrail import log_action

log_action("Auto-repair: Created PostgreSQL database 'quantum'")
log_action("Auto-repair: Retrained XGBoost model to 22 features")
log_action("Auto-repair: Restarted Grafana container")
log_action("Auto-repair: Cleaned Docker cache")
log_action("Weekly self-heal: Started validation cycle")
log_action("Weekly self-heal: AI Agent validation - PASSED")
log_action("Weekly self-heal: Module integrity check - FAILED")
log_action("Weekly self-heal: Completed - ✅ All checks passed")
