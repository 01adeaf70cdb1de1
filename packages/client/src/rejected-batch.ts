/**
 * A batch the collector refused. When it names the invalid events, those are dropped and the
 * rest is sent again; when it names none (or none of this batch), the batch is sent in halves
 * until the one event it still refuses is alone, and that one is dropped.
 */
import { type Problem, TradetrailError } from '@tradetrail/core'
import type { PostOutcome } from './batch-post.ts'

/** NDJSON lines as sent in one request. */
export interface BatchPart {
  body: Buffer
  events: number
}

/** Gives up one event: `eventJson` is the line the collector refused. */
export type DropEvent = (error: TradetrailError | undefined, eventJson: string) => void

/**
 * What is left to send of `part` after the collector refused it with `outcome`; every event
 * given up goes to `drop`. An empty list (or a part of no events) means nothing is left.
 */
export function rejectedBatch(part: BatchPart, outcome: Extract<PostOutcome, { kind: 'reject' | 'split' }>, drop: DropEvent): BatchPart[] {
  if (outcome.kind === 'reject' && outcome.problems.some((p) => p.index! < part.events)) {
    return [without(part, outcome.error, outcome.problems, drop)]
  }
  // It named no event of this batch: find the bad one by halves, as for a 400 without names.
  if (part.events === 1) {
    drop(outcome.error, part.body.toString('utf8').trimEnd())
    return []
  }
  return halves(part)
}

/** `part` without the events the collector named as invalid, each dropped and reported. */
function without(part: BatchPart, error: TradetrailError, problems: Problem[], drop: DropEvent): BatchPart {
  const lines = part.body.toString('utf8').split('\n').filter((line) => line !== '')
  const bad = new Set(problems.map((p) => p.index))
  for (const problem of problems) {
    const line = lines[problem.index!]
    if (line === undefined) continue
    drop(new TradetrailError(problem.code, error.statusCode, `the collector refused an event: ${problem.path} ${problem.message}`, [problem]), line)
  }
  const kept = lines.filter((_, i) => !bad.has(i))
  return { body: Buffer.from(kept.length === 0 ? '' : kept.join('\n') + '\n'), events: kept.length }
}

function halves(part: BatchPart): BatchPart[] {
  const lines = part.body.toString('utf8').split('\n').filter((line) => line !== '')
  const middle = Math.ceil(lines.length / 2)
  return [lines.slice(0, middle), lines.slice(middle)].map((half) => ({ body: Buffer.from(half.join('\n') + '\n'), events: half.length }))
}
