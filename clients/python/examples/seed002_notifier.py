# Seed 002's README, "Basic Usage in Your Project", unchanged but for the import line
# (was: from ic_audit import AuditNotifier, ProjectEvents, ProjectPrivileges).
# Configure it with TRADETRAIL_URL and TRADETRAIL_TOKEN (an ingest token for MyTradingBot).
from tradetrail import AuditNotifier, ProjectEvents, ProjectPrivileges

# Initialize the audit notifier
auditor = AuditNotifier(
    project_name="MyTradingBot",
    project_market="FOREX",
    project_description="Automated EURUSD trading system",
    project_privileges=ProjectPrivileges.EXECUTE_TRADE
)

# Log trading events
auditor.send(ProjectEvents.TRADE_OPENED, "Opened long EURUSD", 
             symbol="EURUSD", price=1.0850, quantity=10000)

auditor.send(ProjectEvents.TRADE_CLOSED, "Closed EURUSD position", 
             symbol="EURUSD", exit_price=1.0875, profit=250)

# Log errors
auditor.send(ProjectEvents.ERROR, "Connection timeout to broker", 
             error_code="CONN_TIMEOUT")
