/**
 * The last resort of seed 003, kept: when no sink can keep an event, one
 * `AUDIT_EMERGENCY {json}` line per event goes to stderr, where a log collector or a
 * terminal still sees it. stderr writes to files, terminals and pipes are synchronous on
 * Linux, so the line is out even if the process dies next.
 */
export function writeEmergency(eventJson: string): void {
  try {
    process.stderr.write(`AUDIT_EMERGENCY ${eventJson}\n`)
  } catch {
    // stderr is gone: there is nowhere left to tell.
  }
}
