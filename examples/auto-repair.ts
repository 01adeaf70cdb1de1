/**
 * Seed 000's auto-repair script, recording each action with `logAction` (its `log_action`):
 * checks the things a trading host needs and repairs what is missing. The checks here look
 * at a scratch directory (`--root`, default ./auto-repair-demo) so the example is safe to run.
 *
 *   TRADETRAIL_TOKEN=tt_… TRADETRAIL_PROJECT=auto_repair_system node --import tsx examples/auto-repair.ts
 *
 * Without TRADETRAIL_TOKEN the actions go to the JSONL file of TRADETRAIL_LOG_PATH (or
 * RISK_AUDIT_LOG_PATH), which `tradetrail import` reads later.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { logAction } from '@tradetrail/client'

const root = process.argv[process.argv.indexOf('--root') + 1] && process.argv.includes('--root')
  ? process.argv[process.argv.indexOf('--root') + 1]!
  : 'auto-repair-demo'

const repairs: Array<{ what: string; broken: () => boolean; repair: () => void }> = [
  {
    what: "database 'quantum'",
    broken: () => !existsSync(join(root, 'postgres', 'quantum')),
    repair: () => mkdirSync(join(root, 'postgres', 'quantum'), { recursive: true }),
  },
  {
    what: 'XGBoost model',
    broken: () => !existsSync(join(root, 'models', 'xgboost.json')),
    repair: () => {
      mkdirSync(join(root, 'models'), { recursive: true })
      writeFileSync(join(root, 'models', 'xgboost.json'), JSON.stringify({ retrained_at: new Date().toISOString() }))
    },
  },
  {
    what: 'Docker build cache',
    broken: () => existsSync(join(root, 'docker-cache')) && readdirSync(join(root, 'docker-cache')).length > 100,
    repair: () => rmSync(join(root, 'docker-cache'), { recursive: true, force: true }),
  },
]

logAction('Auto-repair: check started', { type: 'auto_repair', source: 'auto_repair_system' })
let repaired = 0
for (const { what, broken, repair } of repairs) {
  if (!broken()) continue
  try {
    repair()
    repaired++
    logAction(`Auto-repair: repaired ${what}`, { type: 'auto_repair', source: 'auto_repair_system', severity: 'notice' })
  } catch (error) {
    logAction(`Auto-repair: could not repair ${what}: ${(error as Error).message}`, { type: 'auto_repair', source: 'auto_repair_system', severity: 'error' })
  }
}
logAction(`Auto-repair: check finished, ${repaired} repaired`, { type: 'auto_repair', source: 'auto_repair_system' })
console.log(`auto-repair: ${repaired} repaired under ${root} (${statSync(root, { throwIfNoEntry: false }) ? 'exists' : 'missing'})`)
