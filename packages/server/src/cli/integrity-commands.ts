/** Proving the trail: verify, checkpoints (export with the public key), purge (retention), and legal holds. */
import { createPublicKey, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import type { Command } from 'commander'
import { type Checkpoint, ERR_FILE_ACCESS, fileError, formatDuration } from '@tradetrail/core'
import { checkpointsExport } from '../checkpoints-export.ts'
import type { PurgeResult } from '../retention.ts'
import { type PurgeRecord, type VerifyReport, verifyTrail } from '../verify-trail.ts'
import { type WitnessedReport, checkWitnesses, readWitness, withWitnessCheck } from '../witness/verify-witnesses.ts'
import { withTrail } from './cli-context.ts'
import { parseDuration } from './cli-options.ts'
import { printJson } from './cli-output.ts'

/** A file named on the command line; an OS failure is its TT_ERR_FILE_* error. */
function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    throw fileError(error, 'read', path) ?? error
  }
}

function loadPublicKey(path: string): KeyObject {
  const text = readText(path)
  try {
    return createPublicKey(text)
  } catch (error) {
    throw ERR_FILE_ACCESS.create(path, `not a readable PEM public key (${(error as Error).message})`)
  }
}

/**
 * Checkpoints exported earlier (`tradetrail checkpoints --json`), kept where the trail's host
 * cannot write — less those at or below the export's own anchor, which a purge had removed
 * already when it was taken (docs/verification.md §6).
 */
function loadCheckpoints(path: string): Checkpoint[] {
  const text = readText(path)
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw ERR_FILE_ACCESS.create(path, `not a readable checkpoints export (${(error as Error).message})`)
  }
  const list = (parsed as { checkpoints?: unknown })?.checkpoints
  const valid = (c: unknown): c is Checkpoint => typeof c === 'object' && c !== null &&
    Number.isSafeInteger((c as Checkpoint).seq) && ['hash', 'time', 'key_id', 'signature'].every((k) => typeof (c as Record<string, unknown>)[k] === 'string')
  if (!Array.isArray(list) || !list.every(valid)) throw ERR_FILE_ACCESS.create(path, 'has no "checkpoints" array of {seq, hash, time, key_id, signature}')
  const anchor = (parsed as { anchor?: unknown }).anchor ?? null
  if (anchor !== null && !valid(anchor)) throw ERR_FILE_ACCESS.create(path, 'has an "anchor" that is not {seq, hash, time, key_id, signature}')
  return list.filter((c) => c.seq > (anchor?.seq ?? 0))
}

/** One line of `verify` for one purge. */
function describePurge(p: PurgeRecord): string {
  const range = `purge of seq ${p.from_seq}..${p.seq} (${p.purged} events) at ${p.time}`
  if (p.legacy) return `${range}: a legacy anchor, which does not state the purge's policy\n`
  const minimum = formatDuration(p.min_retention_ms!)
  const policy = p.below_minimum === null
    ? `(minimum retention ${minimum})`
    : `— BELOW THE MINIMUM RETENTION of ${minimum}, because ${JSON.stringify(p.below_minimum)}`
  return `${range}: events received over ${formatDuration(p.retention_ms!)} before it ${policy}, the newest at ${p.newest_received_at}\n`
}

function describePurgeResult(result: PurgeResult): string {
  const { anchor, held } = result
  const lines = [anchor === null ? (held === null ? 'nothing old enough to purge' : 'nothing purged') : `purged ${result.purged} events through seq ${anchor.seq}; anchor signed`]
  if (held !== null) lines.push(`stopped before seq ${held.seq}: legal hold ${held.hold} covers it (${JSON.stringify(held.reason)})`)
  if (anchor?.below_minimum) lines.push(`below the minimum retention of ${formatDuration(anchor.min_retention_ms)}, because ${JSON.stringify(anchor.below_minimum)}: recorded in the trail`)
  return lines.join('\n') + '\n'
}

export function registerIntegrityCommands(program: Command): void {
  program.command('verify')
    .description('recompute the hash chain, check the signed checkpoints and every purge; names the first bad seq')
    .option('--public-key <file>', 'check signatures with this PEM public key (default: the data directory\'s own key)')
    .option('--checkpoints <file>', 'also check against checkpoints exported earlier with "checkpoints --json"')
    .option('--witness <dir|file>', 'also check against what a witness holds (a witness directory, or a file of records); repeatable', (path: string, paths: string[]) => [...paths, path], [] as string[])
    .action(async (flags: { publicKey?: string; checkpoints?: string; witness: string[] }, command: Command) => {
      const external = flags.checkpoints !== undefined ? loadCheckpoints(flags.checkpoints) : []
      const publicKey = flags.publicKey !== undefined ? loadPublicKey(flags.publicKey) : undefined
      const witnessed = flags.witness.flatMap(readWitness)
      await withTrail(command, 'reader', async (trail, options) => {
        const key = publicKey ?? trail.signer.publicKey
        let report: VerifyReport & { witness?: WitnessedReport['witness'] } = await verifyTrail(trail.store, key, {
          externalCheckpoints: external, workers: availableParallelism(), minRetentionMs: options.config.retentionMinMs,
        })
        if (flags.witness.length > 0) report = withWitnessCheck(report, await checkWitnesses(trail.store, key, witnessed))
        if (options.json) printJson(report)
        else {
          process.stdout.write(report.purges.map(describePurge).join(''))
          if (report.ok) {
            const range = report.checked > 0 ? `seq ${report.first_seq}..${report.last_seq}` : 'no events'
            process.stdout.write(`OK: ${report.checked} events verified (${range}), ${report.checkpoints.verified} signed checkpoints${report.anchor_seq > 0 ? `, from the retention anchor at seq ${report.anchor_seq}` : ''}\n`)
            if (report.witness !== undefined) process.stdout.write(`witnesses agree: ${report.witness.checkpoints} checkpoints and ${report.witness.anchors} anchors they hold match the trail\n`)
          }
          if (report.ok && report.unsigned_tail > 0) {
            process.stdout.write(`note: the last ${report.unsigned_tail} events come after the newest signed checkpoint; until the next one, only the chain protects them\n`)
          }
        }
        if (!report.ok) {
          const p = report.problem!
          process.stderr.write(`tradetrail: verification failed at seq ${p.seq}: ${p.message} (${p.code})\n`)
          process.exitCode = 1
        }
      })
    })

  program.command('checkpoints')
    .description('print the signed checkpoints and the public key that checks them')
    .action(async (_flags: unknown, command: Command) => {
      await withTrail(command, 'reader', async (trail, options) => {
        const exported = await checkpointsExport(trail.store, trail.signer)
        if (options.json) return printJson(exported)
        process.stdout.write(`key ${trail.signer.keyId} (ed25519)\n${trail.signer.publicKeyPem}`)
        for (const a of exported.anchors) process.stdout.write(`anchor  seq ${a.seq}  ${a.hash}  ${a.time}  (${a.purged} purged)\n`)
        for (const c of exported.checkpoints) process.stdout.write(`seq ${c.seq}  ${c.hash}  ${c.time}\n`)
      })
    })

  program.command('purge')
    .description('retention: delete whole ranges of events received longer ago than --older-than, leaving a signed anchor; never below the minimum retention or into a legal hold')
    .requiredOption('--older-than <age>', 'age such as 90d or 5y; at least the minimum retention (5y unless TRADETRAIL_RETENTION_MIN says otherwise)')
    .option('--below-minimum-retention <reason>', 'purge below the minimum retention anyway, for this reason (logged, and recorded in the trail)')
    .action(async (flags: { olderThan: string; belowMinimumRetention?: string }, command: Command) => {
      const retentionMs = parseDuration('--older-than', flags.olderThan)
      await withTrail(command, 'command', async (trail, options) => {
        const result = await trail.purge(retentionMs)
        if (options.json) printJson(result)
        else process.stdout.write(describePurgeResult(result))
      }, { retentionBelowMinimum: flags.belowMinimumRetention })
    })
}
