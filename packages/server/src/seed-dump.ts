/**
 * Seed 002's dump, `dumped_audit_trails.json`: the events of the last hours as one JSON object
 * by project, each event under seed 002's field names (docs/api.md, "GET /v1/dump"). One
 * writer for `GET /v1/dump`, `tradetrail dump` and the collector's SIGUSR2/Enter, streamed a
 * chunk at a time so any size fits in bounded memory.
 */
import { open, rename, unlink } from 'node:fs/promises'
import { type EventStore, type StoredEvent, millisKey, timestampMicros } from '@tradetrail/core'

/** The file seed 002's `trigger_audit_dumping()` and its server wrote. */
export const DUMP_FILE = 'dumped_audit_trails.json'
/** Seed 002 dumped the last 30 hours; `hours` may say otherwise, up to ten years. */
export const DUMP_HOURS = { default: 30, min: 1, max: 24 * 366 * 10 } as const

/** Seed 002's boot record names the project's settings `project_*`; the SDKs' boot events carry them in `data`. */
const BOOT_FIELDS = [['market', 'project_market'], ['description', 'project_description'], ['privileges', 'project_privileges']] as const
const SEED_NAMES = new Set(['event_type', 'event_description', 'timestamp', 'project_name', 'project_market', 'project_description', 'project_privileges', 'tradetrail'])

/** One event as seed 002 wrote it; what seed 002 did not have goes under `tradetrail`. */
export function dumpRecord(e: StoredEvent): Record<string, unknown> {
  const record: Record<string, unknown> = { event_type: e.type, event_description: e.message, timestamp: timestampMicros(e.ts) / 1e6 }
  const data = e.data ?? {}
  const boot = e.type === 'boot'
  if (boot) {
    record.project_name = e.project
    for (const [from, to] of BOOT_FIELDS) record[to] = data[from] ?? null
  }
  let shadowed = false
  for (const key of Object.keys(data)) {
    if (boot && BOOT_FIELDS.some(([from]) => from === key)) continue
    if (SEED_NAMES.has(key)) shadowed = true
    else record[key] = data[key]
  }
  const own: Record<string, unknown> = { id: e.id, seq: e.seq, ts: e.ts, severity: e.severity }
  if (e.source !== undefined) own.source = e.source
  if (e.actor !== undefined) own.actor = e.actor
  if (e.metadata !== undefined) own.metadata = e.metadata
  if (e.flags !== undefined) own.flags = e.flags
  if (shadowed) own.data = e.data
  record.tradetrail = own
  return record
}

export interface DumpScope {
  /** Events whose ts is at least this many hours before `nowMs`. */
  hours: number
  nowMs: number
  /** Only these projects (a read token limited to projects); all when absent. */
  projects?: readonly string[]
}

/** The dump as text chunks: `{`, then per project (sorted) its records in seq order, then `}`. */
export async function* dumpChunks(store: EventStore, scope: DumpScope): AsyncGenerator<string> {
  const since = millisKey(scope.nowMs - scope.hours * 3_600_000)
  const narrowed = scope.projects === undefined ? {} : { projects: [...scope.projects] }
  const projects = Object.keys((await store.stats({ since, ...narrowed })).by_project).sort()
  yield '{'
  for (const [i, project] of projects.entries()) {
    yield `${i === 0 ? '' : ','}\n  ${JSON.stringify(project)}: [`
    let first = true
    for await (const chunk of store.scan({ project, since })) {
      let text = ''
      for (const e of chunk) {
        text += `${first ? '' : ','}\n    ${JSON.stringify(dumpRecord(e))}`
        first = false
      }
      yield text
    }
    yield '\n  ]'
  }
  yield '\n}\n'
}

/**
 * Writes the dump to `path` whole or not at all: into a temporary file beside it, then renamed
 * over it, so a reader never sees half a dump and a failed dump leaves the previous one.
 */
export async function writeDumpFile(store: EventStore, path: string, scope: DumpScope): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`
  const handle = await open(temporary, 'w', 0o640)
  try {
    try {
      for await (const text of dumpChunks(store, scope)) await handle.write(text)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temporary, path)
  } catch (error) {
    await unlink(temporary).catch(() => undefined)
    throw error
  }
}
