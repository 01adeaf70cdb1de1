/**
 * The engine's promises that are about how the parts are put together: one configuration
 * for every command, one composition root that alone knows the storage adapter, trails of
 * the previous format that keep working, and reads that never create anything.
 */
import assert from 'node:assert/strict'
import { cpSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, test } from 'node:test'
import { type StoredEvent, hashStoredEvent } from '@tradetrail/core'
import { describeRun, errorLines, parseJson, runCli, tempDir } from '@tradetrail/test-support'
import Database from 'better-sqlite3'
import { DATABASE_FILE } from '../src/trail/open-trail.ts'
import { storedEvents, writeTrail } from './helpers/trail.ts'

const SERVER_SRC = new URL('../src/', import.meta.url).pathname
const V1_TRAIL = new URL('./fixtures/v1-trail/', import.meta.url).pathname

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : []
  })
}

describe('one composition root', () => {
  test('no SQLite name outside the SQLite adapter\'s folder (stores/sqlite) and the composition root', () => {
    const offenders = sourceFiles(SERVER_SRC).filter((file) => {
      const rel = relative(SERVER_SRC, file)
      if (rel.startsWith('stores/sqlite/')) return false
      const text = readFileSync(file, 'utf8')
      if (/SQLITE_/.test(text)) return true
      // Only the composition root (and the locator switch next to it) may import the adapter.
      return /better-sqlite3|stores\/sqlite\//.test(text) && !['trail/open-trail.ts', 'trail/open-store.ts'].includes(rel)
    })
    assert.deepEqual(offenders.map((f) => relative(SERVER_SRC, f)), [])
  })
})

describe('one configuration for every command', () => {
  test('TRADETRAIL_CONFIG names the data directory for log, query, stats, export, verify, checkpoints and token; env and flags win in that order', async (t) => {
    const root = tempDir(t, 'tt-config-cmd')
    const fromFile = join(root, 'from-file')
    const fromEnv = join(root, 'from-env')
    const fromFlag = join(root, 'from-flag')
    const file = join(root, 'tradetrail.json')
    writeFileSync(file, JSON.stringify({ dataDir: fromFile }))
    const env = { TRADETRAIL_CONFIG: file }
    const logged = await runCli(['log', 'through the config file', '--project', 'Cfg', '--json'], { env })
    assert.equal(logged.code, 0, describeRun(logged))
    assert.equal((await storedEvents(fromFile)).at(-1)?.message, 'through the config file')
    for (const args of [['query', '--json'], ['stats', '--json'], ['export'], ['verify', '--json'], ['checkpoints', '--json'], ['token', 'list', '--json']]) {
      const run = await runCli(args, { env })
      assert.equal(run.code, 0, `${args.join(' ')}: ${describeRun(run)}`)
      if (args[0] === 'query') assert.equal(parseJson<{ events: StoredEvent[] }>(run).events[0]?.message, 'through the config file')
    }
    assert.equal((await runCli(['log', 'env wins over the file', '--project', 'Cfg'], { env: { ...env, TRADETRAIL_DATA_DIR: fromEnv } })).code, 0)
    assert.equal((await storedEvents(fromEnv)).at(-1)?.message, 'env wins over the file')
    assert.equal((await runCli(['log', 'the flag wins', '--project', 'Cfg'], { env: { ...env, TRADETRAIL_DATA_DIR: fromEnv }, dataDir: fromFlag })).code, 0)
    assert.equal((await storedEvents(fromFlag)).at(-1)?.message, 'the flag wins')
    assert.equal((await storedEvents(fromFile)).length, 1, 'nothing else went to the file\'s directory')
  })

  test('a bad value in the config file stops every command with the key and the reason, before any work', async (t) => {
    const root = tempDir(t, 'tt-config-bad')
    const file = join(root, 'tradetrail.json')
    writeFileSync(file, JSON.stringify({ dataDir: join(root, 'data'), checkpointEvery: 'often' }))
    const run = await runCli(['log', 'never stored'], { env: { TRADETRAIL_CONFIG: file } })
    assert.equal(run.code, 1, describeRun(run))
    assert.match(errorLines(run.stderr)[0]!, /"checkpointEvery" in .*tradetrail\.json="often" must be a whole number.*TT_ERR_CONFIG_INVALID/)
    assert.equal(existsSync(join(root, 'data')), false)
  })
})

describe('reads never create anything', () => {
  for (const args of [['query'], ['tail'], ['stats'], ['export'], ['verify'], ['checkpoints'], ['summary'], ['dump']]) {
    test(`${args[0]} on a data directory that does not exist fails naming it, and creates nothing`, async (t) => {
      const typo = join(tempDir(t, 'tt-typo'), 'dtaa')
      const run = await runCli(args, { dataDir: typo })
      assert.equal(run.code, 1, describeRun(run))
      assert.match(errorLines(run.stderr)[0]!, new RegExp(`${typo}.*does not exist.*TT_ERR_STORE_DATA_DIR`))
      assert.equal(existsSync(typo), false)
    })
  }

  test('verify on a directory without a trail says so, and creates nothing in it', async (t) => {
    const empty = tempDir(t, 'tt-empty')
    const run = await runCli(['verify'], { dataDir: empty })
    assert.equal(run.code, 1, describeRun(run))
    assert.match(errorLines(run.stderr)[0]!, /holds no trail \(trail\.db\).*TT_ERR_STORE_DATA_DIR/)
    assert.deepEqual(readdirSync(empty), [])
  })
})

/** The full-text index's merge settings (schema 5): segments merge in steps, never a whole level at once. */
function searchMerging(dataDir: string): Record<string, number> {
  const db = new Database(join(dataDir, DATABASE_FILE), { readonly: true })
  try {
    const rows = db.prepare("SELECT k, v FROM events_fts_config WHERE k IN ('automerge', 'crisismerge')").raw().all() as Array<[string, number]>
    return Object.fromEntries(rows)
  } finally {
    db.close()
  }
}

test('a new trail merges its full-text index in steps', async (t) => {
  const dataDir = join(tempDir(t, 'tt-fts'), 'data')
  await writeTrail(dataDir, [[{ project: 'Merging', message: 'first' }]])
  assert.deepEqual(searchMerging(dataDir), { automerge: 16, crisismerge: 64 })
})

describe('a trail written by the previous format (schema 1)', () => {
  test('opens, reads back its export unchanged, verifies against the checkpoints exported then, and takes new events', async (t) => {
    const dataDir = join(tempDir(t, 'tt-v1'), 'data')
    cpSync(V1_TRAIL, dataDir, { recursive: true })
    const exported = readFileSync(join(V1_TRAIL, 'export.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as StoredEvent)
    const verify = await runCli(['verify', '--json', '--checkpoints', join(V1_TRAIL, 'checkpoints.json')], { dataDir })
    assert.equal(verify.code, 0, describeRun(verify))
    assert.deepEqual(parseJson<{ checked: number; checkpoints: { verified: number } }>(verify).checked, 6)
    assert.deepEqual(await storedEvents(dataDir), exported, 'every event as it was exported, hash included')
    await writeTrail(dataDir, [[{ project: 'After', message: 'appended after the upgrade' }]])
    const events = await storedEvents(dataDir)
    assert.equal(events.length, 7)
    assert.equal(hashStoredEvent(Buffer.from(events[5]!.hash, 'hex'), events[6]!).toString('hex'), events[6]!.hash, 'the new event chains onto the old ones')
    const again = await runCli(['verify', '--checkpoints', join(V1_TRAIL, 'checkpoints.json')], { dataDir })
    assert.equal(again.code, 0, describeRun(again))
    assert.deepEqual(searchMerging(dataDir), { automerge: 16, crisismerge: 64 }, 'the upgrade sets the full-text merge steps')
  })

  test('keeps its token, which then takes an expiry and a rotation (schema 3\'s token columns)', async (t) => {
    const dataDir = join(tempDir(t, 'tt-v1-tokens'), 'data')
    cpSync(V1_TRAIL, dataDir, { recursive: true })
    const fixtureToken = {
      id: 'ae00147c7236', scope: 'ingest', projects: ['MyTradingBot'], privileges: ['execute_trade'], label: 'fixture',
      created_at: '2026-11-29T22:24:42.124159Z', revoked_at: null, expires_at: null, replaced_by: null,
    }
    const listed = await runCli(['token', 'list', '--json'], { dataDir })
    assert.equal(listed.code, 0, describeRun(listed))
    assert.deepEqual(parseJson(listed), [fixtureToken])
    const rotated = await runCli(['token', 'rotate', fixtureToken.id, '--grace', '1h', '--json'], { dataDir })
    assert.equal(rotated.code, 0, describeRun(rotated))
    const successor = parseJson<{ id: string; scope: string; projects: string[]; privileges: string[]; replaces: { id: string } }>(rotated)
    assert.deepEqual([successor.scope, successor.projects, successor.privileges, successor.replaces.id], ['ingest', ['MyTradingBot'], ['execute_trade'], fixtureToken.id])
    const after = parseJson<Array<{ id: string; replaced_by: string | null; expires_at: string | null }>>(await runCli(['token', 'list', '--json'], { dataDir }))
    assert.equal(after.find((x) => x.id === fixtureToken.id)?.replaced_by, successor.id)
  })
})
