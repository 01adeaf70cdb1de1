/**
 * The operator's kit in deploy/ and `tradetrail install`: promtool accepts the alert rules, the
 * rules and the Grafana dashboard name only metrics a real collector's /metrics has (besides
 * node_exporter's filesystem metrics and Prometheus's `up`), systemd-analyze verify accepts the
 * units `install systemd` writes without a word (it speaks up about a broken one, so the check can fail), `install
 * cron` writes one strict cron line, and bad input is refused writing nothing.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { http, parseJson, runCli, spawnCollector, tempDir } from '@tradetrail/test-support'

const DEPLOY = new URL('../../../deploy/', import.meta.url).pathname
const RULES = join(DEPLOY, 'prometheus/tradetrail-alerts.yml')
/** Metrics the kit may name that are not the collector's. */
const ELSEWHERE = new Set(['up', 'node_filesystem_avail_bytes', 'node_filesystem_size_bytes'])

function run(command: string, args: string[]): { code: number | null; out: string } {
  const r = spawnSync(command, args, { encoding: 'utf8' })
  return { code: r.status, out: `${r.stdout}${r.stderr}` }
}

/**
 * Whether `command` is installed. Under CI it must be (.ci/run installs it); elsewhere a test
 * that needs it is skipped with a line that says so, as the metrics test does for promtool.
 */
function installed(t: { skip(message: string): void; diagnostic(message: string): void }, command: string, debianPackage: string, part?: string): boolean {
  if (spawnSync(command, ['--version'], { encoding: 'utf8' }).error === undefined) return true
  if (process.env.CI === 'true') throw new Error(`${command} is missing under CI: .ci/run installs it (Debian package ${debianPackage})`)
  const message = `${command} is not installed (apt-get install ${debianPackage}): ${part ?? 'this test'} NOT CHECKED`
  if (part === undefined) t.skip(message)
  else t.diagnostic(message)
  return false
}

/** Every metric name a PromQL expression names (identifiers that are not functions, keywords or label names). */
function metricNames(expr: string): string[] {
  const withoutLabels = expr.replace(/\{[^}]*\}/g, '').replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '').replace(/\[[^\]]*\]/g, '')
  return [...withoutLabels.matchAll(/\b([a-z_][a-z0-9_]*)\b(?!\s*\()/g)].map((m) => m[1]!).filter((n) => !['and', 'or', 'unless', 'offset', 'le'].includes(n))
}

test('promtool accepts the alert rules, and refuses a broken copy', (t) => {
  if (!installed(t, 'promtool', 'prometheus')) return
  const ok = run('promtool', ['check', 'rules', RULES])
  assert.equal(ok.code, 0, ok.out)
  assert.match(ok.out, /SUCCESS: 7 rules found/)
  const broken = join(tempDir(t, 'tt-rules'), 'broken.yml')
  writeFileSync(broken, readFileSync(RULES, 'utf8').replace('increase(audit_write_failures_total[5m]) > 0', 'increase(audit_write_failures_total[5m] > 0'))
  assert.notEqual(run('promtool', ['check', 'rules', broken]).code, 0, 'promtool refuses a bad expression')
})

test('the alert rules and the Grafana dashboard name only metrics a real collector exports', async (t) => {
  const collector = await spawnCollector(t)
  const read = parseJson<{ token: string }>(await runCli(['token', 'create', '--scope', 'read', '--json'], { dataDir: collector.dataDir })).token
  const answer = await http(collector.url, '/metrics', { token: read })
  assert.equal(answer.status, 200)
  const exported = new Set<string>()
  for (const [, name, type] of answer.text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    exported.add(name!)
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) exported.add(name + suffix)
  }
  const rules = [...readFileSync(RULES, 'utf8').matchAll(/^\s+expr: (.+)$/gm)].map((m) => m[1]!)
  const dashboard = JSON.parse(readFileSync(join(DEPLOY, 'grafana/tradetrail-dashboard.json'), 'utf8')) as { panels: Array<{ targets: Array<{ expr: string }> }> }
  const queries = dashboard.panels.flatMap((p) => p.targets.map((q) => q.expr))
  assert.equal(rules.length, 7)
  assert.ok(queries.length >= 7)
  for (const expr of [...rules, ...queries]) {
    const names = metricNames(expr)
    assert.ok(names.length > 0, `no metric found in ${expr}`)
    for (const name of names) assert.ok(exported.has(name) || ELSEWHERE.has(name), `${name} (in ${expr}) is not on /metrics: ${[...exported].filter((n) => n.startsWith('tradetrail_') || n.startsWith('audit_')).join(', ')}`)
  }
  assert.ok(!exported.has('tradetrail_no_such_metric') && metricNames('rate(tradetrail_no_such_metric[5m])').includes('tradetrail_no_such_metric'), 'the check sees a name that does not exist')
})

test('install systemd writes units systemd-analyze verify accepts; install cron one strict cron line; bad input writes nothing', async (t) => {
  const root = tempDir(t, 'tt-install')
  const dataDir = join(root, 'data')
  const units = join(root, 'units')
  const result = await runCli(['install', 'systemd', '--dir', units, '--user', 'root'], { dataDir })
  assert.equal(result.code, 0, result.stderr)
  assert.deepEqual(readdirSync(units).sort(), ['tradetrail-summary.service', 'tradetrail-summary.timer', 'tradetrail.service'])
  assert.match(result.stdout, /\nNext:\n {2}sudo cp .*\n {2}sudo systemctl daemon-reload\n {2}sudo systemctl enable --now tradetrail\.service tradetrail-summary\.timer\n$/)
  const service = readFileSync(join(units, 'tradetrail.service'), 'utf8')
  assert.match(service, new RegExp(`^ExecStart=${process.execPath} \\S+/bin/tradetrail\\.js --data-dir ${dataDir} serve$`, 'm'))
  assert.match(readFileSync(join(units, 'tradetrail-summary.service'), 'utf8'), /^ExecStart=.* summary --send --date yesterday$/m)
  assert.match(readFileSync(join(units, 'tradetrail-summary.timer'), 'utf8'), /^OnCalendar=\*-\*-\* 00:05:00 UTC$/m)
  if (installed(t, 'systemd-analyze', 'systemd', 'the units\' verification')) {
    const files = ['tradetrail.service', 'tradetrail-summary.service', 'tradetrail-summary.timer'].map((f) => join(units, f))
    const verified = run('systemd-analyze', ['verify', '--man=no', ...files])
    // systemd-analyze exits 0 on what it ignores (an unknown key, a bad value) and says so: nothing said is the pass.
    assert.deepEqual(verified, { code: 0, out: '' })
    writeFileSync(join(units, 'broken.service'), service.replace('Type=simple', 'Type=bogus').replace(/^ExecStart=\S+/m, 'ExecStart=node'))
    assert.match(run('systemd-analyze', ['verify', '--man=no', join(units, 'broken.service')]).out, /Failed to parse service type/, 'systemd-analyze speaks up about a broken unit')
  }

  const cron = await runCli(['install', 'cron', '--dir', join(root, 'cron')], { dataDir })
  assert.equal(cron.code, 0, cron.stderr)
  const lines = readFileSync(join(root, 'cron', 'tradetrail-summary'), 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#'))
  assert.equal(lines[0], 'CRON_TZ=UTC')
  assert.match(lines[1]!, new RegExp(`^5 0 \\* \\* \\* tradetrail ${process.execPath} \\S+/bin/tradetrail\\.js --data-dir ${dataDir} summary --send --date yesterday >/dev/null$`))
  assert.equal(lines.length, 2)

  for (const [args, says] of [
    [['install', 'launchd', '--dir', join(root, 'x')], /kind must be systemd or cron, got "launchd" \(TT_ERR_CLI_USAGE\)/],
    [['install', 'systemd', '--dir', join(root, 'x'), '--user', 'root; rm -rf /'], /--user must be a user name.*TT_ERR_CLI_USAGE/],
    [['install', 'systemd'], /required option '--dir <dir>' not specified/],
  ] as const) {
    const bad = await runCli([...args], { dataDir })
    assert.equal(bad.code, 2, bad.stderr)
    assert.match(bad.stderr, says)
  }
  const spaced = await runCli(['install', 'cron', '--dir', join(root, 'x')], { dataDir: join(root, 'data dir') })
  assert.equal(spaced.code, 2)
  assert.match(spaced.stderr, /--data-dir must be an absolute path.*TT_ERR_CLI_USAGE/)
  assert.equal(existsSync(join(root, 'x')), false, 'nothing was written for bad input')
})
