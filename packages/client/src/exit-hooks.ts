/**
 * Process exit without losing events, and without changing how the host exits. One set of
 * listeners serves every client in the process:
 * - `beforeExit` (the event loop ran dry): flush over the network, bounded in time.
 * - SIGTERM / SIGINT: the same flush; then, when no listener of the host's own is there,
 *   the signal is raised again with ours removed, so the process ends exactly as it would
 *   have without us (killed by that signal). When the host listens too, it decides.
 * - `exit` (process.exit() or the end): whatever is still in memory is written to the
 *   spool synchronously, the only kind of work an exit listener can do.
 */

/** What a client must offer to take part. */
export interface ExitParticipant {
  /** Whether anything waits in memory. */
  hasPending(): boolean
  /** Delivers what it can within `timeoutMs`; never rejects. */
  flushForExit(timeoutMs: number): Promise<void>
  /** Writes what is still in memory to the spool (or stderr) synchronously. */
  persistSync(): void
  readonly exitFlushTimeoutMs: number
}

const participants = new Set<ExitParticipant>()
const SIGNALS = ['SIGTERM', 'SIGINT'] as const
let flushing = false

function flushAll(): Promise<void> {
  return Promise.all([...participants].map((p) => p.flushForExit(p.exitFlushTimeoutMs))).then(() => undefined)
}

function persistAll(): void {
  for (const participant of participants) participant.persistSync()
}

function onBeforeExit(): void {
  // beforeExit fires again each time the loop runs dry; flush only when there is something new.
  if (flushing || ![...participants].some((p) => p.hasPending())) return
  flushing = true
  void flushAll().finally(() => {
    flushing = false
    persistAll()
  })
}

let signalled = false

function onSignal(signal: NodeJS.Signals): void {
  const sole = process.listenerCount(signal) === 1
  const finish = (): void => {
    persistAll()
    if (sole) {
      uninstall()
      process.kill(process.pid, signal)
    }
  }
  // A second signal while flushing (Ctrl-C twice) means "now": keep what we have and go.
  if (signalled) return finish()
  signalled = true
  void flushAll().then(finish, finish)
}

function onExit(): void {
  persistAll()
}

function install(): void {
  process.on('beforeExit', onBeforeExit)
  process.on('exit', onExit)
  for (const signal of SIGNALS) process.on(signal, onSignal)
}

function uninstall(): void {
  process.removeListener('beforeExit', onBeforeExit)
  process.removeListener('exit', onExit)
  for (const signal of SIGNALS) process.removeListener(signal, onSignal)
}

/** Starts watching process exit for `participant`. */
export function watchExit(participant: ExitParticipant): void {
  if (participants.size === 0) install()
  participants.add(participant)
}

/** Stops watching for `participant` (after its close()). */
export function unwatchExit(participant: ExitParticipant): void {
  if (!participants.delete(participant)) return
  if (participants.size === 0) uninstall()
}
