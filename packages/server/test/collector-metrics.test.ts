/**
 * Operations of a real collector process: /metrics parses as the Prometheus text exposition
 * format (checked by a strict parser written here, itself tested first, and by promtool), carries
 * exactly the metrics docs/api.md lists, and its counters move as requests come in; a bad configuration value or an
 * unusable data directory stops the start with one line naming the culprit.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, test, type TestContext } from 'node:test'
import {
  closeHttp, type CollectorProcess, deferredHooks, describeAnswer, describeRun, errorLines, http, runCli,
  spawnCollector, tempDir, testEvent, waitFor,
} from '@tradetrail/test-support'

// ---------------------------------------------------------------------------------------------
// A strict parser of the Prometheus text exposition format 0.0.4.

interface Sample {
  name: string
  labels: Record<string, string>
  value: number
  timestamp?: number
}
interface Family {
  name: string
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped'
  help?: string
  samples: Sample[]
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/
/**
 * A value as Go's strconv.ParseFloat reads it, which is what the format specifies: decimals,
 * and case-insensitive Inf/Infinity (signed) and NaN (prom-client writes "Nan"). Hex floats
 * and digit separators, which no exporter here writes, are refused.
 */
const FLOAT = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?(?:inf|infinity)|nan)$/i
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped'])

function parseFloatValue(raw: string, where: string): number {
  if (!FLOAT.test(raw)) throw new Error(`${where}: "${raw}" is not a float`)
  if (/^[+-]?inf/i.test(raw)) return raw.startsWith('-') ? -Infinity : Infinity
  return /^nan$/i.test(raw) ? NaN : Number(raw)
}

/** The family a sample name belongs to, given the families declared so far. */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  if (families.has(name)) return families.get(name)
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue
    const family = families.get(name.slice(0, -suffix.length))
    if (family && (family.type === 'histogram' || (family.type === 'summary' && suffix !== '_bucket'))) return family
  }
  return undefined
}

/** Parses exposition text, throwing on the first line that breaks the format. */
function parsePrometheus(text: string): Map<string, Family> {
  if (text !== '' && !text.endsWith('\n')) throw new Error('the exposition must end with a line feed')
  const families = new Map<string, Family>()
  const finished = new Set<string>()
  const seen = new Set<string>()
  let current: Family | undefined
  const lines = text.split('\n')
  lines.pop()
  lines.forEach((line, i) => {
    const where = `line ${i + 1} (${JSON.stringify(line.slice(0, 80))})`
    if (line.trim() === '') return
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line)
      if (m === null) return // a plain comment
      const [, kind, name, rest] = m as unknown as [string, 'HELP' | 'TYPE', string, string]
      if (!METRIC_NAME.test(name)) throw new Error(`${where}: bad metric name`)
      if (finished.has(name)) throw new Error(`${where}: family ${name} appears in two groups`)
      let family = families.get(name)
      if (family === undefined) {
        family = { name, type: 'untyped', samples: [] }
        families.set(name, family)
      }
      if (current !== undefined && current !== family) finished.add(current.name)
      current = family
      if (kind === 'HELP') {
        if (family.help !== undefined) throw new Error(`${where}: second HELP for ${name}`)
        if (!/^(?:[^\\]|\\[\\n])*$/.test(rest)) throw new Error(`${where}: HELP may only escape \\\\ and \\n`)
        family.help = rest.replace(/\\([\\n])/g, (_, c: string) => (c === 'n' ? '\n' : '\\'))
      } else {
        if ((family as Family & { typed?: boolean }).typed) throw new Error(`${where}: second TYPE for ${name}`)
        if (family.samples.length > 0) throw new Error(`${where}: TYPE after samples of ${name}`)
        if (!TYPES.has(rest)) throw new Error(`${where}: unknown type "${rest}"`)
        family.type = rest as Family['type']
        ;(family as Family & { typed?: boolean }).typed = true
      }
      return
    }
    // name{label="value",...} value [timestamp]
    const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)
    if (nameMatch === null) throw new Error(`${where}: a sample must start with a metric name`)
    const name = nameMatch[0]
    let pos = name.length
    const labels: Record<string, string> = {}
    if (line[pos] === '{') {
      pos++
      while (line[pos] !== '}') {
        const labelMatch = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(pos))
        if (labelMatch === null) throw new Error(`${where}: bad label name at column ${pos + 1}`)
        const label = labelMatch[0]
        if (label.startsWith('__')) throw new Error(`${where}: label ${label} is reserved`)
        if (label in labels) throw new Error(`${where}: label ${label} given twice`)
        pos += label.length
        if (line.slice(pos, pos + 2) !== '="') throw new Error(`${where}: expected =" after ${label}`)
        pos += 2
        let value = ''
        for (;;) {
          const ch = line[pos]
          if (ch === undefined) throw new Error(`${where}: unterminated label value`)
          pos++
          if (ch === '"') break
          if (ch === '\\') {
            const next = line[pos++]
            if (next === '\\') value += '\\'
            else if (next === '"') value += '"'
            else if (next === 'n') value += '\n'
            else throw new Error(`${where}: bad escape \\${next ?? ''} in a label value`)
          } else value += ch
        }
        labels[label] = value
        if (line[pos] === ',') pos++
        else if (line[pos] !== '}') throw new Error(`${where}: expected , or } after a label`)
      }
      pos++
    }
    const rest = line.slice(pos)
    const fields = /^ +(\S+)(?: +(-?\d+))?$/.exec(rest)
    if (fields === null) throw new Error(`${where}: expected " value [timestamp]" after the name and labels`)
    const sample: Sample = { name, labels, value: parseFloatValue(fields[1]!, where) }
    if (fields[2] !== undefined) sample.timestamp = Number(fields[2])
    let family = familyOf(name, families)
    if (family === undefined) {
      family = { name, type: 'untyped', samples: [] }
      families.set(name, family)
    }
    if (finished.has(family.name)) throw new Error(`${where}: samples of ${family.name} are not in one group`)
    if (current !== undefined && current !== family) finished.add(current.name)
    current = family
    const key = name + JSON.stringify(Object.entries(labels).sort())
    if (seen.has(key)) throw new Error(`${where}: the series is given twice`)
    seen.add(key)
    if (family.type === 'histogram' && name === `${family.name}_bucket` && labels.le === undefined) throw new Error(`${where}: a bucket needs le`)
    if ((family.type === 'counter' || family.type === 'gauge') && name !== family.name) throw new Error(`${where}: ${family.type} ${family.name} has a sample named ${name}`)
    family.samples.push(sample)
  })
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family)
  return families
}

/** Buckets ascend by le up to +Inf, counts never fall, +Inf equals _count, and _sum is there. */
function checkHistogram(family: Family): void {
  const series = new Map<string, { buckets: Array<[number, number]>; sum?: number; count?: number }>()
  for (const s of family.samples) {
    const { le, ...rest } = s.labels
    const key = JSON.stringify(Object.entries(rest).sort())
    const entry = series.get(key) ?? { buckets: [] }
    series.set(key, entry)
    if (s.name.endsWith('_bucket')) entry.buckets.push([parseFloatValue(le!, `${family.name} le`), s.value])
    else if (s.name.endsWith('_sum')) entry.sum = s.value
    else entry.count = s.value
  }
  for (const [key, { buckets, sum, count }] of series) {
    const where = `histogram ${family.name}${key}`
    if (buckets.length === 0 || buckets[buckets.length - 1]![0] !== Infinity) throw new Error(`${where}: the last bucket must be le="+Inf"`)
    for (let i = 1; i < buckets.length; i++) {
      if (!(buckets[i]![0] > buckets[i - 1]![0])) throw new Error(`${where}: le values must ascend`)
      if (buckets[i]![1] < buckets[i - 1]![1]) throw new Error(`${where}: bucket counts must not fall`)
    }
    if (sum === undefined || count === undefined) throw new Error(`${where}: _sum and _count are required`)
    if (buckets[buckets.length - 1]![1] !== count) throw new Error(`${where}: the +Inf bucket must equal _count`)
  }
}

test('the Prometheus parser accepts the format and refuses what breaks it', () => {
  const good = [
    '# A comment',
    '# HELP http_requests_total Requests with a \\\\ backslash and a \\n newline',
    '# TYPE http_requests_total counter',
    'http_requests_total{method="post",path="C:\\\\dir \\"x\\"\\nend",} 1027 1395066363000',
    'http_requests_total{method="get"} 3',
    '',
    '# TYPE temp gauge',
    'temp -Inf',
    '# TYPE weird untyped',
    'weird NaN',
    'weird{as="prom-client writes it"} Nan',
    'weird{as="go"} +inf',
    '# TYPE latency histogram',
    'latency_bucket{le="0.05"} 24054',
    'latency_bucket{le="1e-1"} 33444',
    'latency_bucket{le="+Inf"} 144320',
    'latency_sum 53423.5',
    'latency_count 144320',
    'no_type_line 1.5e-3',
    '',
  ].join('\n')
  const parsed = parsePrometheus(good)
  assert.equal(parsed.get('http_requests_total')!.help, 'Requests with a \\ backslash and a \n newline')
  assert.deepEqual(parsed.get('http_requests_total')!.samples[0], { name: 'http_requests_total', labels: { method: 'post', path: 'C:\\dir "x"\nend' }, value: 1027, timestamp: 1395066363000 })
  assert.equal(parsed.get('temp')!.samples[0]!.value, -Infinity)
  assert.deepEqual(parsed.get('weird')!.samples.map((x) => x.value), [NaN, NaN, Infinity])
  assert.equal(parsed.get('latency')!.samples.length, 5)
  assert.equal(parsed.get('no_type_line')!.samples[0]!.value, 0.0015)

  const bad: Array<[string, RegExp]> = [
    ['a{b="unterminated} 1\n', /unterminated/],
    ['a{b="\\q"} 1\n', /bad escape/],
    ['a 1 2 3\n', /value \[timestamp\]/],
    ['1a 1\n', /start with a metric name/],
    ['a one\n', /not a float/],
    ['a 1,5\n', /not a float/],
    ['a 0x1p-2\n', /not a float/],
    ['a -NaN\n', /not a float/],
    ['# HELP a bad \\t escape\na 1\n', /HELP may only escape/],
    ['a{b="1",b="2"} 1\n', /twice/],
    ['a{__name__="x"} 1\n', /reserved/],
    ['a{b="1"}1\n', /value/],
    ['# TYPE a bogus\na 1\n', /unknown type/],
    ['# TYPE a counter\n# TYPE a counter\na 1\n', /second TYPE/],
    ['# TYPE a counter\na 1\n# TYPE b gauge\nb 1\na{x="1"} 2\n', /one group/],
    ['a 1\na 2\n', /twice/],
    ['# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n', /must not fall/],
    ['# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n', /\+Inf/],
    ['# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 1\n', /equal _count/],
    ['a 1', /line feed/],
  ]
  for (const [text, error] of bad) assert.throws(() => parsePrometheus(text), error, JSON.stringify(text))
})

// ---------------------------------------------------------------------------------------------

const owner = deferredHooks()
let c: CollectorProcess
let read: string
let ingest: string

before(async () => {
  c = await spawnCollector(owner)
  const made = await Promise.all([{ scope: 'read' }, { scope: 'ingest', projects: ['Metrics'] }].map(async (body) => {
    const answer = await http(c.url, '/v1/tokens', { token: c.adminToken!, body })
    assert.equal(answer.status, 201, describeAnswer(answer))
    return answer.json<{ token: string }>().token
  }))
  ;[read, ingest] = made as [string, string]
})
after(async () => {
  closeHttp()
  await owner.run()
})

async function scrape(): Promise<Map<string, Family>> {
  const answer = await http(c.url, '/metrics', { token: read })
  assert.equal(answer.status, 200, describeAnswer(answer))
  assert.match(String(answer.headers['content-type']), /^text\/plain; version=0\.0\.4/)
  return parsePrometheus(answer.text)
}

/** The value of one series (0 when it does not exist yet: counters with labels appear on first use). */
function value(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const family = familyOf(name, families)
  const sample = family?.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
  return sample?.value ?? 0
}

/** The metrics table of docs/api.md: name and type of every metric the collector exposes. */
const DOCUMENTED: ReadonlyMap<string, string> = new Map(
  [...readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8').matchAll(/^\| `([a-zA-Z_:][a-zA-Z0-9_:]*)` \| (counter|gauge|histogram|summary) \|/gm)]
    .map((m) => [m[1]!, m[2]!]),
)

test('/metrics needs a read token, parses as Prometheus text format, and has exactly the metrics docs/api.md lists, with their types', async () => {
  assert.equal((await http(c.url, '/metrics')).status, 401)
  assert.equal((await http(c.url, '/metrics', { token: ingest })).status, 403)
  const families = await scrape()
  assert.ok(DOCUMENTED.size >= 40, `the metrics table of docs/api.md is found: ${DOCUMENTED.size} rows`)
  for (const [name, type] of DOCUMENTED) {
    const family = families.get(name)
    assert.ok(family, `metric ${name} is exposed; saw ${[...families.keys()].join(', ')}`)
    assert.equal(family.type, type, `${name} is a ${type}`)
    assert.ok(family.help && family.help.length > 0, `${name} has HELP`)
  }
  const undocumented = [...families.values()].filter((f) => !DOCUMENTED.has(f.name)).map((f) => `${f.name} (${f.type})`)
  assert.deepEqual(undocumented, [], 'every exposed metric is in the table of docs/api.md')
  const buckets = families.get('tradetrail_commit_duration_seconds')!.samples.filter((s) => s.name.endsWith('_bucket'))
  assert.ok(buckets.length >= 5, `the commit histogram has buckets: ${buckets.map((b) => b.labels.le).join(', ')}`)
  assert.ok(value(families, 'tradetrail_commit_duration_seconds_count') >= 1, 'the boot record was committed')
  assert.ok(value(families, 'tradetrail_store_size_bytes') > 0)
  assert.equal(value(families, 'audit_write_failures_total'), 0)
})

test('the counters move as requests come in', async () => {
  const m0 = await scrape()
  const events = Array.from({ length: 5 }, (_, i) => testEvent('Metrics', { message: `metric ${i}` }))
  const posted = await http(c.url, '/v1/events', { token: ingest, body: events })
  assert.equal(posted.status, 200, describeAnswer(posted))
  const dupes = await http(c.url, '/v1/events', { token: ingest, body: events.slice(0, 2) })
  assert.deepEqual(dupes.json<{ duplicates: number }>().duplicates, 2, describeAnswer(dupes))
  const invalid = await http(c.url, '/v1/events', { token: ingest, body: [testEvent('Metrics'), { project: 'Metrics' }, testEvent('Metrics')] })
  assert.equal(invalid.status, 400, describeAnswer(invalid))
  const foreign = await http(c.url, '/v1/events', { token: ingest, body: [testEvent('Metrics'), testEvent('Elsewhere')] })
  assert.equal(foreign.status, 403, describeAnswer(foreign))
  const head = (await http(c.url, '/v1/events?limit=1', { token: read })).json<{ events: Array<{ seq: number }> }>().events[0]!.seq

  const requests = (f: Map<string, Family>, status: string): number =>
    value(f, 'tradetrail_http_requests_total', { route: '/v1/events', method: 'POST', status })
  // Requests are counted once answered, so the scrape may overtake the last count: poll.
  const m1 = await waitFor(scrape, (f) => requests(f, '403') === requests(m0, '403') + 1, {
    describe: 'tradetrail_http_requests_total{route="/v1/events",method="POST",status="403"} to count the refused request',
    show: (f) => String(requests(f, '403')),
  })
  const delta = (name: string, labels: Record<string, string> = {}): number => value(m1, name, labels) - value(m0, name, labels)
  assert.equal(delta('tradetrail_events_ingested_total'), 5)
  assert.equal(delta('tradetrail_events_duplicate_total'), 2)
  assert.equal(delta('tradetrail_events_rejected_total', { code: 'TT_ERR_EVENT_INVALID' }), 3, 'a rejected batch counts all its events')
  assert.equal(delta('tradetrail_events_rejected_total', { code: 'TT_ERR_AUTH_PROJECT' }), 2)
  assert.equal(requests(m1, '200') - requests(m0, '200'), 2)
  assert.equal(requests(m1, '400') - requests(m0, '400'), 1)
  assert.ok(delta('tradetrail_commit_duration_seconds_count') >= 1, 'the commits were timed')
  assert.ok(delta('tradetrail_commit_duration_seconds_sum') > 0)
  assert.equal(value(m1, 'tradetrail_chain_head_seq'), head, 'the chain head gauge is the newest seq')
  assert.ok(value(m1, 'tradetrail_store_size_bytes') >= value(m0, 'tradetrail_store_size_bytes'))
  assert.equal(value(m1, 'audit_write_failures_total'), 0)
  assert.ok(value(m1, 'tradetrail_http_requests_total', { route: '/metrics', method: 'GET', status: '200' }) >= 1, 'scrapes are counted too')
})

test('promtool check metrics accepts /metrics: no gauge named like a counter, every name as Prometheus asks', async (t) => {
  const answer = await http(c.url, '/metrics', { token: read })
  assert.equal(answer.status, 200, describeAnswer(answer))
  const result = spawnSync('promtool', ['check', 'metrics'], { input: answer.text, encoding: 'utf8' })
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    if (process.env.CI === 'true') throw new Error('promtool is missing under CI: .ci/run installs it (Debian package prometheus)')
    return t.skip('promtool is not installed (apt-get install prometheus): METRIC NAMES NOT CHECKED BY PROMTOOL')
  }
  assert.equal(result.status, 0, `promtool check metrics exit code; its complaints: ${result.stdout}${result.stderr}`)
})

/** `tradetrail serve` that must refuse to start: exit non-zero with one line on stderr. */
async function refusedStart(t: TestContext, env: Record<string, string>, args: string[], dataDir?: string): Promise<string> {
  // The seeds' aliases of the runner's own environment must not interfere (TRADETRAIL_* never do).
  const aliases = { QT_ALERT_WEBHOOK: undefined, QT_AUDIT_EMAIL: undefined, QT_SMTP_SERVER: undefined, QT_SMTP_PORT: undefined, RISK_AUDIT_LOG_PATH: undefined }
  const result = await runCli(['serve', ...args], { dataDir: dataDir ?? join(tempDir(t, 'tt-config'), 'data'), env: { ...aliases, ...env }, timeoutMs: 60_000 })
  assert.notEqual(result.code, 0, `expected a refusal to start, saw ${describeRun(result)}`)
  assert.doesNotMatch(result.stdout, /listening/, describeRun(result))
  const lines = errorLines(result.stderr)
  assert.equal(lines.length, 1, `one line says why: ${describeRun(result)}`)
  return lines[0]!
}

test('a bad configuration value stops the start with one line naming the variable', async (t) => {
  const cases: Array<[Record<string, string>, string[], string]> = [
    [{ TRADETRAIL_PORT: 'abc' }, [], 'TRADETRAIL_PORT'],
    [{ QT_SMTP_PORT: '99999' }, ['--port', '0'], 'QT_SMTP_PORT'],
    [{ QT_ALERT_WEBHOOK: 'not-a-url' }, ['--port', '0'], 'QT_ALERT_WEBHOOK'],
    [{ TRADETRAIL_MAX_BODY_BYTES: 'lots' }, ['--port', '0'], 'TRADETRAIL_MAX_BODY_BYTES'],
    [{ TRADETRAIL_CLOCK_SKEW_MS: '50ms' }, ['--port', '0'], 'TRADETRAIL_CLOCK_SKEW_MS'],
  ]
  await Promise.all(cases.map(async ([env, args, variable]) => {
    const line = await refusedStart(t, env, args)
    assert.ok(line.includes(variable), `the line names ${variable}: ${line}`)
    assert.ok(line.includes(Object.values(env)[0]!), `the line shows the bad value: ${line}`)
  }))
})

test('an unwritable data directory (a path under a regular file) stops the start naming the path', async (t) => {
  const file = join(tempDir(t, 'tt-notadir'), 'a-file')
  writeFileSync(file, 'not a directory\n')
  const dataDir = join(file, 'data')
  const line = await refusedStart(t, {}, ['--port', '0'], dataDir)
  assert.ok(line.includes(dataDir), `the line names ${dataDir}: ${line}`)
})
