/** AuditClient's options: a bad value is reported and replaced, never thrown, and defaults are snapshots. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type AuditClientOptions, resolveClientOptions } from '../../src/client-options.ts'

const base = { url: 'http://127.0.0.1:9324', token: 'tt_000000000000_x', spoolDir: false } as const

function codesAndOptions(options: unknown): { options: string[]; settings: ReturnType<typeof resolveClientOptions>['settings'] } {
  const { settings, problems } = resolveClientOptions(options as AuditClientOptions)
  assert.ok(problems.every((p) => p.code === 'TT_ERR_CLIENT_OPTIONS'), problems.map((p) => p.code).join())
  return { options: problems.map((p) => p.message.split(' ')[1]!), settings }
}

describe('resolveClientOptions', () => {
  test('wrong types in the project are reported and left out', () => {
    const { options, settings } = codesAndOptions({ ...base, project: { name: 'Bot', market: 7, privileges: 5 } })
    assert.deepEqual(options, ['project.privileges', 'project.market'])
    assert.deepEqual(settings.project, { name: 'Bot', market: undefined, description: undefined, privileges: [] })
  })

  test('bad default source, actor and metadata are reported and left out; good ones are checked as the collector does', () => {
    const { options, settings } = codesAndOptions({ ...base, project: 'Bot', source: 'x'.repeat(129), actor: 42, metadata: [1] })
    assert.deepEqual(options.sort(), ['actor', 'metadata', 'source'])
    assert.deepEqual(settings.defaults, { source: undefined, actor: undefined, metadata: undefined })
    // 100 emoji are 200 UTF-16 units but 100 characters: the collector takes them, so must the client.
    const emoji = '🚀'.repeat(100)
    assert.equal(codesAndOptions({ ...base, project: 'Bot', source: emoji }).settings.defaults.source, emoji)
  })

  test("metadata is a snapshot: changing the caller's object later changes nothing", () => {
    const metadata = { version: '1.0' }
    const { settings } = codesAndOptions({ ...base, project: 'Bot', metadata })
    metadata.version = '2.0'
    assert.deepEqual(settings.defaults.metadata, { version: '1.0' })
  })

  test('a hostile options object (a Proxy whose traps throw) is reported, not thrown', () => {
    const hostile = new Proxy({}, { get() { throw new Error('trap') } })
    const { problems, settings } = resolveClientOptions(hostile as AuditClientOptions)
    assert.match(problems[0]!.message, /^option options could not be read \(Error: trap\)/)
    assert.equal(settings.project.name, 'unnamed')
  })

  test('onError that is not a function is reported', () => {
    assert.deepEqual(codesAndOptions({ ...base, project: 'Bot', onError: 'log it' }).options, ['onError'])
  })
})
