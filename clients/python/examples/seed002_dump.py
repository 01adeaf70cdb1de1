# Seed 002's README, "Dump Today's Audit Trails", unchanged but for the import line
# (was: from ic_audit import trigger_audit_dumping). Writes dumped_audit_trails.json (the last 30
# hours, by project, in seed 002's field names) into the working directory, from the collector at
# TRADETRAIL_URL; the token (TRADETRAIL_READ_TOKEN, else TRADETRAIL_TOKEN) needs read access.
from tradetrail import trigger_audit_dumping

trigger_audit_dumping()
