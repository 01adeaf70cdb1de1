/**
 * A spool written by the SDK of the previous release (test/fixtures/v1-spool: six batches of
 * three events, the first acknowledged) is replayed by today's client: the fifteen events not
 * yet delivered arrive once, in order, and nothing else.
 */
import assert from 'node:assert/strict'
import { cpSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { AuditClient } from '../src/audit-client.ts'
import { collectorFor, projectEvents, tempDir, waitFor } from './helpers/client-harness.ts'

const V1_SPOOL = new URL('./fixtures/v1-spool/', import.meta.url).pathname

test('a spool of the previous release is replayed: the 15 undelivered events arrive once, in order', { timeout: 120_000 }, async (t) => {
  const dataDir = join(tempDir(t, 'tt-spool-upgrade'), 'data')
  const { c, token } = await collectorFor(t, 'SpoolBot', { dataDir })
  const spoolDir = join(tempDir(t, 'tt-spool-v1'), 'spool')
  cpSync(V1_SPOOL, spoolDir, { recursive: true })
  const errors: string[] = []
  const client = new AuditClient({ url: c.url, token, project: 'SpoolBot', spoolDir, boot: false, flushIntervalMs: 10, onError: (e) => errors.push(`${e.code}: ${e.message}`) })
  t.after(() => client.close(1000))
  await client.flush(30_000)
  await waitFor(() => client.stats(), (s) => s.spooled === 0 && s.sent === 15, { describe: '15 spooled events delivered', timeoutMs: 30_000 })
  const events = await projectEvents(dataDir, 'SpoolBot')
  assert.deepEqual(events.map((e) => e.message), Array.from({ length: 15 }, (_, i) => `Order ${i + 4}`))
  assert.deepEqual(events.map((e) => e.id), Array.from({ length: 15 }, (_, i) => `0190b6a2-3c4d-7e5f-8a6b-${String(i + 4).padStart(12, '0')}`))
  assert.deepEqual(errors.filter((e) => !e.startsWith('TT_ERR_CLIENT_SPOOL_UNSAFE')), [], 'nothing reported but where the spool is (a temp directory)')
})
