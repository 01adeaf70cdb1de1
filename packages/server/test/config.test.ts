import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { loadConfig } from '../src/config.ts'

describe('collector configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tt-config-'))
  after(() => rmSync(dir, { recursive: true, force: true }))

  it('has safe defaults: loopback, port 9324, ./data', () => {
    const config = loadConfig({ env: {} })
    assert.equal(config.host, '127.0.0.1')
    assert.equal(config.port, 9324)
    assert.equal(config.dataDir, './data')
    assert.equal(config.clockSkewMs, 50, 'CAT\'s limit')
    assert.ok(Object.isFrozen(config))
  })

  it('layers file < environment < flags, and reads the seeds\' aliases', () => {
    const file = join(dir, 'tradetrail.json')
    writeFileSync(file, JSON.stringify({ port: 7000, maxBodyBytes: '1MiB', retentionMs: '5y', smtpPort: 2525 }))
    const config = loadConfig({
      file,
      env: { TRADETRAIL_PORT: '8000', QT_SMTP_SERVER: 'mail.example.com', QT_ALERT_WEBHOOK: 'https://hooks.slack.com/services/T/B/X', QT_AUDIT_EMAIL: 'ops@example.com' },
      flags: { port: '9000' },
    })
    assert.equal(config.port, 9000)
    assert.equal(config.maxBodyBytes, 1024 * 1024)
    assert.equal(config.retentionMs, 5 * 365 * 86_400_000)
    assert.equal(config.smtpServer, 'mail.example.com')
    assert.equal(config.smtpPort, 2525)
    assert.equal(config.alertWebhook, 'https://hooks.slack.com/services/T/B/X')
    assert.equal(loadConfig({ file, env: { TRADETRAIL_PORT: '8000' } }).port, 8000)
    assert.equal(loadConfig({ env: { TRADETRAIL_SMTP_PORT: '587', QT_SMTP_PORT: '25' } }).smtpPort, 587, 'the canonical name wins over the alias')
    assert.equal(loadConfig({ env: { TRADETRAIL_CLOCK_SKEW_MS: '0' } }).clockSkewMs, 0, '0 turns clock-skew flagging off')
    assert.equal(loadConfig({ env: { TRADETRAIL_CLOCK_SKEW_MS: '20' }, flags: { clockSkewMs: '100' } }).clockSkewMs, 100)
  })

  it('bounds the wait for a request head and the connections waiting without a token, file < environment < flags', () => {
    const defaults = loadConfig({ env: {} })
    assert.deepEqual([defaults.headTimeoutMs, defaults.maxUnauthenticatedConnections, defaults.maxUnauthenticatedPerAddress], [10_000, 1024, 256])
    const file = join(dir, 'connections.json')
    writeFileSync(file, JSON.stringify({ headTimeoutMs: '5s', maxConnections: 64, maxUnauthenticatedConnections: 16, maxUnauthenticatedPerAddress: 4 }))
    const fromFile = loadConfig({ file, env: {} })
    assert.deepEqual([fromFile.headTimeoutMs, fromFile.maxUnauthenticatedConnections, fromFile.maxUnauthenticatedPerAddress], [5000, 16, 4])
    const layered = loadConfig({
      file, env: { TRADETRAIL_HEAD_TIMEOUT: '3s', TRADETRAIL_MAX_UNAUTHENTICATED_PER_ADDRESS: '8' },
      flags: { headTimeoutMs: '250ms', maxUnauthenticatedConnections: '32' },
    })
    assert.deepEqual([layered.headTimeoutMs, layered.maxUnauthenticatedConnections, layered.maxUnauthenticatedPerAddress], [250, 32, 8])
  })

  it('configures the witnesses file < environment < flags: a directory, an https endpoint with its token, CA, timeout and retry cap', () => {
    const defaults = loadConfig({ env: {} })
    assert.deepEqual([defaults.witnessDir, defaults.witnessUrl, defaults.witnessToken, defaults.witnessTimeoutMs, defaults.witnessRetryMaxMs], [undefined, undefined, undefined, 10_000, 300_000])
    const file = join(dir, 'witness.json')
    writeFileSync(file, JSON.stringify({ witnessDir: '/mnt/worm/a', witnessUrl: 'https://witness.example.com/v1/checkpoints', witnessTimeoutMs: '5s' }))
    const layered = loadConfig({
      file, env: { TRADETRAIL_WITNESS_DIR: '/mnt/worm/b', TRADETRAIL_WITNESS_TOKEN: 's3cr3t', TRADETRAIL_WITNESS_CA: '/etc/ca.pem', TRADETRAIL_WITNESS_RETRY_MAX: '1m' },
      flags: { witnessDir: '/mnt/worm/c', witnessUrl: 'http://127.0.0.1:8080/witness' },
    })
    assert.deepEqual(
      [layered.witnessDir, layered.witnessUrl, layered.witnessToken, layered.witnessCa, layered.witnessTimeoutMs, layered.witnessRetryMaxMs],
      ['/mnt/worm/c', 'http://127.0.0.1:8080/witness', 's3cr3t', '/etc/ca.pem', 5000, 60_000],
    )
    for (const local of ['http://localhost:1/', 'http://[::1]:2/w', 'http://127.1.2.3/']) assert.equal(loadConfig({ env: { TRADETRAIL_WITNESS_URL: local } }).witnessUrl, local)
    // A bad token is refused without being quoted: the error reaches logs.
    assert.throws(() => loadConfig({ env: { TRADETRAIL_WITNESS_URL: 'https://w.example.com/', TRADETRAIL_WITNESS_TOKEN: 'two words' } }), (error: Error) => {
      assert.match(error.message, /^TRADETRAIL_WITNESS_TOKEN must be printable ASCII without spaces$/)
      return true
    })
  })

  it('keeps a minimum retention, 5 years unless set otherwise, and refuses a shorter retention without a reason to go below it', () => {
    const FIVE_YEARS = 5 * 365 * 86_400_000
    const defaults = loadConfig({ env: {} })
    assert.deepEqual([defaults.retentionMinMs, defaults.retentionBelowMinimum], [FIVE_YEARS, undefined])
    const file = join(dir, 'retention.json')
    writeFileSync(file, JSON.stringify({ retentionMs: '6y', retentionMinMs: '6y' }))
    assert.deepEqual([loadConfig({ file, env: {} }).retentionMs, loadConfig({ file, env: {} }).retentionMinMs], [6 * 365 * 86_400_000, 6 * 365 * 86_400_000])
    assert.equal(loadConfig({ file, env: { TRADETRAIL_RETENTION_MIN: '7y' }, flags: { retentionMinMs: '6y' } }).retentionMinMs, 6 * 365 * 86_400_000, 'flags win')
    const refusals: Array<[Parameters<typeof loadConfig>[0], RegExp]> = [
      [{ env: { TRADETRAIL_RETENTION: '30d' } }, /^TRADETRAIL_RETENTION="30d" is shorter than the minimum retention, 5y \(retentionMinMs, TRADETRAIL_RETENTION_MIN\); to purge below it anyway, give the reason with --below-minimum-retention/],
      [{ env: {}, flags: { retentionMs: '1y' } }, /^--retention="1y" is shorter than the minimum retention, 5y/],
      [{ file, env: { TRADETRAIL_RETENTION: '5y' } }, /^TRADETRAIL_RETENTION="5y" is shorter than the minimum retention, 6y/],
      [{ env: { TRADETRAIL_RETENTION: '30d', TRADETRAIL_RETENTION_BELOW_MINIMUM: 'line one\nline two' } }, /^TRADETRAIL_RETENTION_BELOW_MINIMUM="line one\\nline two" must be a single line/],
      [{ env: { TRADETRAIL_RETENTION_MIN: 'never' } }, /^TRADETRAIL_RETENTION_MIN="never" must be a duration/],
    ]
    for (const [sources, message] of refusals) assert.throws(() => loadConfig(sources), (error: Error & { code?: string }) => error.code === 'TT_ERR_CONFIG_INVALID' && message.test(error.message))
    const overridden = loadConfig({ env: { TRADETRAIL_RETENTION: '30d', TRADETRAIL_RETENTION_BELOW_MINIMUM: 'staging: keep a month' } })
    assert.deepEqual([overridden.retentionMs, overridden.retentionBelowMinimum], [30 * 86_400_000, 'staging: keep a month'])
    assert.equal(loadConfig({ env: {}, flags: { retentionMs: '1y', retentionBelowMinimum: 'dev box' } }).retentionBelowMinimum, 'dev box')
  })

  it('names the variable, key or flag and the reason for every bad value', () => {
    const cases: Array<[Parameters<typeof loadConfig>[0], RegExp]> = [
      [{ env: { TRADETRAIL_PORT: 'abc' } }, /TRADETRAIL_PORT="abc" must be a whole number/],
      [{ env: { TRADETRAIL_PORT: '70000' } }, /TRADETRAIL_PORT="70000" must be from 0 to 65535/],
      [{ env: { QT_SMTP_PORT: '99999' } }, /QT_SMTP_PORT="99999"/],
      [{ env: { QT_ALERT_WEBHOOK: 'not-a-url' } }, /QT_ALERT_WEBHOOK="not-a-url" must be an http\(s\) URL/],
      [{ env: { QT_AUDIT_EMAIL: 'nobody' } }, /QT_AUDIT_EMAIL="nobody" "nobody" is not an email address/],
      [{ env: { TRADETRAIL_MAX_BODY_BYTES: 'lots' } }, /TRADETRAIL_MAX_BODY_BYTES="lots" must be a size/],
      [{ env: { TRADETRAIL_RETENTION: 'forever' } }, /TRADETRAIL_RETENTION="forever" must be a duration/],
      [{ env: { TRADETRAIL_STRICT: 'maybe' } }, /TRADETRAIL_STRICT="maybe" must be true or false/],
      [{ env: { TRADETRAIL_CLOCK_SKEW_MS: '50ms' } }, /TRADETRAIL_CLOCK_SKEW_MS="50ms" must be a whole number from 0 to/],
      [{ env: { TRADETRAIL_CLOCK_SKEW_MS: '-1' } }, /TRADETRAIL_CLOCK_SKEW_MS="-1" must be a whole number/],
      [{ env: { TRADETRAIL_CLOCK_SKEW_MS: '90000000' } }, /TRADETRAIL_CLOCK_SKEW_MS="90000000" must be from 0 to 86400000/],
      [{ env: {}, flags: { clockSkewMs: 'soon' } }, /--clock-skew-ms="soon"/],
      [{ env: { TRADETRAIL_TLS_CERT: '/x.pem' } }, /TRADETRAIL_TLS_KEY TLS needs both/],
      [{ env: { TRADETRAIL_RATE_LIMIT: '100', TRADETRAIL_RATE_LIMIT_BURST: '10' } }, /TRADETRAIL_RATE_LIMIT_BURST="10" must be at least/],
      [{ env: {}, flags: { port: '-1' } }, /--port="-1"/],
      [{ env: {}, flags: { retentionMs: 'abc' } }, /--retention="abc"/],
      [{ env: {}, file: join(dir, 'missing.json') }, /config file .*missing\.json/],
      [{ env: { TRADETRAIL_HEAD_TIMEOUT: '2m' } }, /TRADETRAIL_HEAD_TIMEOUT="2m" must be at most 60s/],
      [{ env: {}, flags: { headTimeoutMs: 'soon' } }, /--head-timeout="soon" must be a duration/],
      [{ env: { TRADETRAIL_MAX_UNAUTHENTICATED_PER_ADDRESS: '0' } }, /TRADETRAIL_MAX_UNAUTHENTICATED_PER_ADDRESS="0" must be from 1/],
      [{ env: { TRADETRAIL_MAX_CONNECTIONS: '100' } }, /TRADETRAIL_MAX_UNAUTHENTICATED_CONNECTIONS="1024" must be below TRADETRAIL_MAX_CONNECTIONS \(100\)/],
      [{ env: { TRADETRAIL_WITNESS_URL: 'http://witness.example.com/' } }, /TRADETRAIL_WITNESS_URL="http:\/\/witness.example.com\/" must be an https URL \(plain http only to this machine/],
      [{ env: {}, flags: { witnessUrl: 'ftp://127.0.0.1/' } }, /--witness-url="ftp:.*" must be an https URL/],
      [{ env: { TRADETRAIL_WITNESS_TOKEN: 'abc' } }, /TRADETRAIL_WITNESS_TOKEN is set, but TRADETRAIL_WITNESS_URL is not/],
      [{ env: { TRADETRAIL_WITNESS_CA: '/ca.pem' } }, /TRADETRAIL_WITNESS_CA is set, but TRADETRAIL_WITNESS_URL is not/],
      [{ env: { TRADETRAIL_WITNESS_TIMEOUT: '5m' } }, /TRADETRAIL_WITNESS_TIMEOUT="5m" must be at most 60s/],
      [{ env: { TRADETRAIL_WITNESS_RETRY_MAX: 'later' } }, /TRADETRAIL_WITNESS_RETRY_MAX="later" must be a duration/],
    ]
    for (const [sources, message] of cases) {
      assert.throws(() => loadConfig(sources), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'TT_ERR_CONFIG_INVALID')
        assert.match(error.message, message)
        return true
      })
    }
    const unknown = join(dir, 'unknown.json')
    writeFileSync(unknown, JSON.stringify({ prot: 1 }))
    assert.throws(() => loadConfig({ env: {}, file: unknown }), /"prot" in .* is not a setting/)
  })

  it('refuses notification settings that cannot work, naming the setting: a webhook neither Slack nor Discord without a kind, halves of pairs', () => {
    const refused = (env: Record<string, string>, pattern: RegExp): void => {
      assert.throws(() => loadConfig({ env }), (e: Error & { code: string }) => e.code === 'TT_ERR_CONFIG_INVALID' && pattern.test(e.message), JSON.stringify(env))
    }
    refused({ QT_ALERT_WEBHOOK: 'https://relay.example.com/hook' }, /^QT_ALERT_WEBHOOK="https:\/\/relay.example.com\/hook" is neither a Slack webhook .* TRADETRAIL_ALERT_WEBHOOK_KIND=slack or discord/)
    refused({ QT_ALERT_WEBHOOK: 'https://relay.example.com/hook', TRADETRAIL_ALERT_WEBHOOK_KIND: 'teams' }, /^TRADETRAIL_ALERT_WEBHOOK_KIND="teams" must be slack or discord/)
    refused({ TRADETRAIL_ALERT_WEBHOOK_KIND: 'slack' }, /^TRADETRAIL_ALERT_WEBHOOK_KIND is set, but TRADETRAIL_ALERT_WEBHOOK is not/)
    refused({ TRADETRAIL_NOTIFY_WEBHOOK_URL: 'https://hooks.example.com/tt' }, /^TRADETRAIL_NOTIFY_WEBHOOK_URL is set, but TRADETRAIL_NOTIFY_WEBHOOK_SECRET is not/)
    refused({ TRADETRAIL_NOTIFY_WEBHOOK_URL: 'https://hooks.example.com/tt', TRADETRAIL_NOTIFY_WEBHOOK_SECRET: 'short' }, /^TRADETRAIL_NOTIFY_WEBHOOK_SECRET must be at least 16 characters$/)
    refused({ TRADETRAIL_SMTP_PASSWORD: 'pw' }, /^TRADETRAIL_SMTP_PASSWORD is set, but TRADETRAIL_SMTP_USER is not/)
    const relayed = loadConfig({ env: { QT_ALERT_WEBHOOK: 'https://relay.example.com/hook', TRADETRAIL_ALERT_WEBHOOK_KIND: 'discord' } })
    assert.equal(relayed.alertWebhookKind, 'discord')
    assert.equal(loadConfig({ env: { QT_ALERT_WEBHOOK: 'https://discord.com/api/webhooks/1/x' } }).alertWebhookKind, undefined, 'told by the URL')
  })
})
