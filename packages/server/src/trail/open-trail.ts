/**
 * The composition root: `openTrail(config)` is the one place that knows which storage adapter
 * holds the trail. It hands back the stores, the checkpoint signer and schedule, the commit
 * feed, and one `submit(batch, submitter)` that every writer uses — HTTP ingest, the
 * collector's own events, each CLI command, retention and import.
 */
import { existsSync, statSync } from 'node:fs'
import { hostname, userInfo } from 'node:os'
import { join, resolve } from 'node:path'
import {
  type AlertStore, type AppendResult, type Clock, ERR_STORE_DATA_DIR, ERR_STORE_IO, type EventStore, type Feed, type HoldStore, type OutboxStore, type PreparedEvent,
  SELF_PROJECT, type Severity, type TokenStore, formatDuration, systemClock, validateBatch,
} from '@tradetrail/core'
import { CheckpointSigner } from '../checkpoint-signer.ts'
import { Checkpointer } from '../checkpointer.ts'
import type { TradetrailConfig } from '../config.ts'
import { prepareDataDir } from '../data-dir.ts'
import { SqliteAlertStore } from '../stores/sqlite/sqlite-alert-store.ts'
import { SqliteEventStore } from '../stores/sqlite/sqlite-event-store.ts'
import { SqliteHoldStore } from '../stores/sqlite/sqlite-hold-store.ts'
import { SqliteJobStateStore } from '../stores/sqlite/sqlite-job-state-store.ts'
import { SqliteOutboxStore } from '../stores/sqlite/sqlite-outbox-store.ts'
import { SqliteTokenStore } from '../stores/sqlite/sqlite-token-store.ts'
import { type PurgeResult, type RetentionPolicy, checkPolicy, purgeExpired } from '../retention.ts'
import { Scheduler } from '../scheduler/scheduler.ts'
import { WitnessDelivery, type WitnessHooks, openWitnessTargets } from '../witness/witness-delivery.ts'
import { GroupCommitter } from './group-commit.ts'
import { TrailFeed } from './trail-feed.ts'

export const DATABASE_FILE = 'trail.db'
export const KEYS_DIR = 'keys'

/**
 * What the trail is opened for:
 * - `collector`: a long-running writer: commits in a writer thread, a commit feed.
 * - `command`: one CLI command that may write: commits on the calling thread.
 * - `reader`: reads only; the trail must already exist (nothing is created for a typo).
 */
export type TrailRole = 'collector' | 'command' | 'reader'

export interface OpenTrailOptions {
  role: TrailRole
  clock?: Clock
  /** Receives the data directory warnings (default: printed to stderr). */
  onWarning?: (message: string) => void
  /** Reports background failures (feed, index). */
  onError?: (error: unknown) => void
  /** Observes each group commit: events, batches, seconds taken; and each failed one. */
  onCommit?: (events: number, batches: number, seconds: number) => void
  onCommitError?: (error: unknown, batches: number) => void
  /** Observe deliveries to the witnesses; a failure is printed as a warning unless `onFailure` is given. */
  witnessHooks?: WitnessHooks
}

export interface Trail {
  /** Absolute path of the data directory. */
  readonly dataDir: string
  readonly store: EventStore
  readonly tokens: TokenStore
  /** Legal holds: retention removes nothing they cover. */
  readonly holds: HoldStore
  /** Alerts raised for operators (notify/), and the notifications waiting for their channels. */
  readonly alerts: AlertStore
  readonly outbox: OutboxStore
  readonly signer: CheckpointSigner
  readonly checkpointer: Checkpointer
  readonly clock: Clock
  /** Who this process's own records are from: `collector`, or `cli:<user>@<host>`. */
  readonly self: string
  /** The commit feed (collector role only). */
  readonly feed: Feed | undefined
  /**
   * Timed work on the trail's clock (collector role only): retention runs on it, and whatever
   * must happen at 00:00 UTC or after N minutes; its memory is kept in the trail.
   */
  readonly scheduler: Scheduler | undefined
  /**
   * Delivers each checkpoint and anchor to the configured witnesses (none: undefined; never for
   * a reader). A collector delivers as they are signed; a command, what is pending when it closes.
   */
  readonly witnesses: WitnessDelivery | undefined
  /** Bytes the trail takes on disk. */
  sizeBytes(): number
  /** Why the trail cannot take writes now (its writer stopped, or the volume is short of `minFreeBytes`), or undefined. */
  writeProblem(minFreeBytes: number): string | undefined
  /**
   * Appends a validated batch durably, recording `submitter` in each event; batches submitted
   * in the same turn of the event loop share one commit. Signs a checkpoint when one is due.
   */
  submit(batch: readonly PreparedEvent[], submitter: string): Promise<AppendResult>
  /** Records one of Tradetrail's own actions under project `tradetrail`, submitted by `self`. */
  record(type: string, message: string, data?: Record<string, unknown>, severity?: Severity): Promise<AppendResult>
  /**
   * Retention: purges the events received longer ago than `retentionMs` behind a signed anchor,
   * keeping to the configured minimum retention (`retentionMinMs`, unless `retentionBelowMinimum`
   * gives a reason, which is logged) and to the legal holds in force, and records the purge in
   * the trail (`retention_purge`), or records why it failed. A retention shorter than the
   * minimum without a reason is refused (TT_ERR_RETENTION_BELOW_MINIMUM) and changes nothing.
   */
  purge(retentionMs: number): Promise<PurgeResult>
  /** Waits for every submitted batch to be committed (or failed). */
  flush(): Promise<void>
  /** Commits what is pending, signs a checkpoint of the head when this process appended, closes. */
  close(): Promise<void>
}

/** `cli:<user>@<host>`: how a CLI command's events name who submitted them. */
export function cliSubmitter(): string {
  let user = 'unknown'
  try {
    user = userInfo().username
  } catch {
    // No passwd entry (a container's arbitrary uid): the uid says what there is to say.
    user = `uid${process.getuid?.() ?? ''}`
  }
  return `cli:${user}@${hostname()}`
}

const DAY_MS = 86_400_000

/** The settings openTrail reads. */
export type TrailConfig = Pick<TradetrailConfig,
  'dataDir' | 'strict' | 'checkpointEvery' | 'checkpointIntervalMs' | 'retentionMs' | 'retentionMinMs' | 'retentionBelowMinimum' |
  'witnessDir' | 'witnessUrl' | 'witnessToken' | 'witnessCa' | 'witnessTimeoutMs' | 'witnessRetryMaxMs'>

export async function openTrail(config: Readonly<TrailConfig>, options: OpenTrailOptions): Promise<Trail> {
  const { role } = options
  const clock = options.clock ?? systemClock
  const onError = options.onError ?? ((error: unknown) => process.stderr.write(`tradetrail: ${(error as Error).message}\n`))
  const warn = options.onWarning ?? ((message: string) => process.stderr.write(`WARNING: ${message}\n`))
  let dataDir: string
  if (role === 'reader') {
    dataDir = existingTrail(config.dataDir)
  } else {
    const check = prepareDataDir(config.dataDir, { strict: config.strict })
    for (const warning of check.warnings) warn(warning)
    dataDir = check.path
  }
  const path = join(dataDir, DATABASE_FILE)
  const signer = CheckpointSigner.open(join(dataDir, KEYS_DIR), { create: role !== 'reader' })
  // Before the store opens: a witness that cannot be written stops the start with nothing to close.
  const witnessTargets = role === 'reader' ? [] : await openWitnessTargets(config, signer.keyId, clock)
  const store = role === 'collector' ? await SqliteEventStore.openThreaded({ path, clock }) : openForCommand(path, clock, role === 'reader')
  let tokens: SqliteTokenStore
  let holds: SqliteHoldStore
  try {
    tokens = new SqliteTokenStore(path, { readonly: role === 'reader' })
  } catch (error) {
    await store.close()
    throw error
  }
  let alerts: SqliteAlertStore
  let outbox: SqliteOutboxStore
  try {
    holds = new SqliteHoldStore(path, { readonly: role === 'reader' })
  } catch (error) {
    await tokens.close()
    await store.close()
    throw error
  }
  try {
    alerts = new SqliteAlertStore(path, { readonly: role === 'reader' })
    outbox = new SqliteOutboxStore(path, { readonly: role === 'reader' })
  } catch (error) {
    await (alerts! as SqliteAlertStore | undefined)?.close()
    await holds.close()
    await tokens.close()
    await store.close()
    throw error
  }
  const checkpointer = new Checkpointer({ store, signer, clock, every: config.checkpointEvery, intervalMs: config.checkpointIntervalMs })
  let feed: TrailFeed | undefined
  if (role === 'collector') {
    const created = new TrailFeed({
      startAfter: (await store.head()).seq,
      source: { read: async (after, limit) => store.readCommitted(after, limit), head: async () => (await store.head()).seq },
      onError,
    })
    store.onCommit((events) => created.committed(events))
    feed = created
  }
  let scheduler: Scheduler | undefined
  let jobs: SqliteJobStateStore | undefined
  if (role === 'collector') {
    jobs = new SqliteJobStateStore(path)
    scheduler = new Scheduler({ clock, state: jobs, onError: (error, job) => onError(Object.assign(new Error(`${job}: ${(error as Error).message}`), { cause: error })) })
  }
  const witnesses = witnessTargets.length === 0 ? undefined : new WitnessDelivery({
    store, targets: witnessTargets, clock, retryMaxMs: config.witnessRetryMaxMs,
    onDelivered: options.witnessHooks?.onDelivered,
    onFailure: options.witnessHooks?.onFailure ?? ((_witness, error) => warn((error as Error).message)),
  })
  const self = role === 'collector' ? 'collector' : cliSubmitter()
  let appended = false
  const committer = new GroupCommitter({
    appendGroup: async (batches) => {
      const results = await store.appendGroup(batches)
      let last = 0
      for (const r of results) if (r.last_seq !== null) last = r.last_seq
      if (last > 0) {
        appended = true
        if (await checkpointer.afterAppend(last)) witnesses?.nudge()
      }
      return results
    },
    // The writer thread takes the next groups while it syncs one (and commits them together):
    // the event loop goes on parsing instead of waiting for each fsync.
    maxInFlight: role === 'collector' ? 8 : 1,
    onCommit: options.onCommit,
    onError: options.onCommitError,
  })
  const submit = (batch: readonly PreparedEvent[], submitter: string): Promise<AppendResult> => committer.submit({ events: batch, submitter })
  let closing: Promise<void> | undefined
  const trail: Trail = {
    dataDir, store, tokens, holds, alerts, outbox, signer, checkpointer, clock, self, feed, scheduler, witnesses,
    sizeBytes: () => store.sizeBytes(),
    writeProblem: (minFreeBytes) => {
      const stopped = store.writeProblem()
      if (stopped !== undefined) return stopped
      const free = store.freeBytes()
      return free < minFreeBytes ? `the data volume has ${mib(free)} free, below the ${mib(minFreeBytes)} minimum (minFreeBytes)` : undefined
    },
    submit,
    record: (type, message, data, severity = 'info') => {
      const event = { project: SELF_PROJECT, type, severity, message, source: role === 'collector' ? 'collector' : 'cli', ...(data ? { data } : {}) }
      return submit(validateBatch([event], { nowMicros: clock.nowMicros() }), self)
    },
    purge: async (retentionMs) => {
      const result = await purgeRecorded(trail, { retentionMs, minRetentionMs: config.retentionMinMs, belowMinimum: config.retentionBelowMinimum }, warn)
      if (result.anchor !== null) witnesses?.nudge()
      return result
    },
    flush: () => committer.flush(),
    close: () => (closing ??= (async () => {
      try {
        await scheduler?.close()
        await committer.flush()
        if (appended) await checkpointer.checkpoint()
      } finally {
        // Never throws: what it cannot deliver goes to onFailure and waits in the trail.
        await witnesses?.close()
        feed?.close()
        await jobs?.close()
        await outbox.close()
        await alerts.close()
        await holds.close()
        await tokens.close()
        await store.close()
      }
    })()),
  }
  const retentionMs = config.retentionMs
  if (scheduler !== undefined && retentionMs !== undefined) {
    // Once before the trail is handed out (a collector starts with its retention applied), then daily.
    await trail.purge(retentionMs).catch(onError)
    scheduler.every({ name: 'retention', everyMs: DAY_MS, run: async () => { await trail.purge(retentionMs) } })
  }
  if (role === 'collector') witnesses?.start()
  return trail
}

async function purgeRecorded(trail: Trail, policy: RetentionPolicy, warn: (message: string) => void): Promise<PurgeResult> {
  checkPolicy(policy)
  if (policy.retentionMs < policy.minRetentionMs) {
    warn(`retention: purging events younger than the minimum retention (${formatDuration(policy.minRetentionMs)}), down to ${formatDuration(policy.retentionMs)}, ` +
      `because ${JSON.stringify(policy.belowMinimum)} (--below-minimum-retention, TRADETRAIL_RETENTION_BELOW_MINIMUM); the purge records this in the trail`)
  }
  try {
    const result = await purgeExpired({ store: trail.store, holds: trail.holds, signer: trail.signer, policy, clock: trail.clock })
    const { anchor, held } = result
    if (anchor !== null) {
      const message = `Retention purged ${result.purged} events through seq ${anchor.seq}` +
        (held ? `; it stopped before seq ${held.seq}, under legal hold ${held.hold}` : '') +
        (anchor.below_minimum !== null ? `; below the minimum retention, because ${JSON.stringify(anchor.below_minimum)}` : '')
      await trail.record('retention_purge', message, { ...anchor, from_seq: result.from_seq, held, by: trail.self })
    } else if (held !== null) {
      await trail.record('retention_purge', `Retention purged nothing: seq ${held.seq} is under legal hold ${held.hold}`, {
        purged: 0, min_retention_ms: policy.minRetentionMs, retention_ms: policy.retentionMs, below_minimum: result.below_minimum, held, by: trail.self,
      }, 'notice')
    }
    return result
  } catch (error) {
    await trail.record('retention_purge', `Retention purge failed: ${(error as Error).message}`, undefined, 'critical').catch(() => {})
    throw error
  }
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`
}

/**
 * A store for one command. A reader still opens for writing when it may: an older schema is
 * upgraded, and a search catches the full-text index up, so it sees every committed event.
 * A trail this user cannot write (an auditor's read-only copy) opens read-only.
 */
function openForCommand(path: string, clock: Clock, existing: boolean): SqliteEventStore {
  if (!existing) return new SqliteEventStore({ path, clock })
  try {
    return new SqliteEventStore({ path, clock, mustExist: true })
  } catch (error) {
    if (!ERR_STORE_IO.is(error)) throw error
    return new SqliteEventStore({ path, clock, readonly: true })
  }
}

/** The data directory of an existing trail, or an error naming the path that holds none. */
function existingTrail(dir: string): string {
  const path = resolve(dir)
  if (!existsSync(path)) throw ERR_STORE_DATA_DIR.create(path, 'it does not exist; check --data-dir / TRADETRAIL_DATA_DIR (nothing was created)')
  if (!statSync(path).isDirectory()) throw ERR_STORE_DATA_DIR.create(path, 'it is not a directory')
  if (!existsSync(join(path, DATABASE_FILE))) throw ERR_STORE_DATA_DIR.create(path, `it holds no trail (${DATABASE_FILE}); check --data-dir / TRADETRAIL_DATA_DIR (nothing was created)`)
  return path
}
