/**
 * Which sealed batches are still to deliver, and where each one is: in memory, in the spool,
 * or for a moment in both. Events leave in the order they were sent, so the spool's records
 * (older) come before the batches in memory, and the ledger knows the sequence number of the
 * oldest event not yet delivered.
 *
 * A batch sent from memory while a spill also writes it to the spool may be acknowledged
 * first; its spool copy is then skipped (`#skip`) instead of being sent twice. Such copies are
 * always at the spool's head: a batch is sent from memory only when the spool holds nothing
 * older.
 */
import type { TradetrailError } from '@tradetrail/core'
import type { ClientProblems } from './client-problems.ts'
import { type SpoolQueue, appendBeforeOpenSync } from './spool-queue.ts'

/**
 * Where a batch is:
 * - `memory`: only in memory, not delivered.
 * - `spilling`: being appended to the spool, not delivered.
 * - `spilling-acked`: being appended to the spool, and acknowledged (or given up) meanwhile;
 *   once written, its spool copy is skipped.
 * - `spooled`: its copy in the spool is the one to deliver.
 * - `acked`: delivered or given up.
 *
 * memory → spilling → spooled (written) or memory (the spool could not take it);
 * spilling → spilling-acked → acked; memory or spooled → acked;
 * memory or spilling → spooled by persistSync (exit).
 * A spooled or acked batch leaves the ledger's list, except after persistSync and after a
 * spill that could not write a batch acknowledged meanwhile: those stay listed, out of every
 * count but `memEvents`.
 */
export type BatchState = 'memory' | 'spilling' | 'spilling-acked' | 'spooled' | 'acked'

/** A cut of the queue, as it is sent. */
export interface Batch {
  readonly body: Buffer
  readonly events: number
  /** Sequence number (within this client) of its first event. */
  readonly firstSeq: number
  state: BatchState
}

/** Not delivered and nowhere but in memory: what a spill or an exit must write. */
function onlyInMemory(batch: Batch): boolean {
  return batch.state === 'memory' || batch.state === 'spilling'
}

function notAcked(batch: Batch): boolean {
  return batch.state !== 'acked' && batch.state !== 'spilling-acked'
}

/** The batches in memory and the bookkeeping of the spool's records, oldest first. */
export class DeliveryLedger {
  /** The spool, once it is open. */
  spool: SpoolQueue | undefined
  /** Nothing is sent while the spool opens: it may hold older events of an earlier run. */
  spoolOpening = false

  #mem: Batch[] = []
  #memEvents = 0
  /** First sequence number of each spool record, oldest first; 0 for records of earlier runs. */
  #spoolFirstSeqs: number[] = []
  /** Spool records at the head already acknowledged from memory, and their events. */
  #skip = 0
  #skipEvents = 0

  /** Events of the batches listed in memory (what the queue limit counts). */
  get memEvents(): number {
    return this.#memEvents
  }

  /** Whether the spool holds records still to deliver, which are older than anything in memory. */
  get spoolBacklog(): boolean {
    return this.spool !== undefined && this.spool.pendingRecords > this.#skip
  }

  /** Lists a sealed batch. */
  add(body: Buffer, events: number, firstSeq: number): void {
    this.#mem.push({ body, events, firstSeq, state: 'memory' })
    this.#memEvents += events
  }

  /** The spool is open; its records of earlier runs have no sequence numbers of this client. */
  useSpool(spool: SpoolQueue): void {
    this.spool = spool
    this.#spoolFirstSeqs = Array.from({ length: spool.pendingRecords }, () => 0)
  }

  /** The oldest batch only in memory, the next one a spill would write. */
  nextToSpill(): Batch | undefined {
    return this.#mem.find(onlyInMemory)
  }

  /** The oldest batches only in memory, at least one and up to `maxBytes`, now `spilling`. */
  startSpill(maxBytes: number): Batch[] {
    const batches: Batch[] = []
    let bytes = 0
    for (const batch of this.#mem) {
      if (!onlyInMemory(batch)) continue
      if (batches.length > 0 && bytes + batch.body.length > maxBytes) break
      batches.push(batch)
      bytes += batch.body.length
      batch.state = 'spilling'
    }
    return batches
  }

  /** A spill of `batches` ended with the first `appended` of them in the spool. */
  endSpill(batches: readonly Batch[], appended: number): void {
    for (const [i, batch] of batches.entries()) {
      if (i >= appended) {
        if (batch.state === 'spilling') batch.state = 'memory'
        else if (batch.state === 'spilling-acked') batch.state = 'acked'
        continue
      }
      this.#spoolFirstSeqs.push(batch.firstSeq)
      if (notAcked(batch)) {
        batch.state = 'spooled'
      } else {
        this.#skipAcked(batch)
        batch.state = 'acked'
      }
      this.#forget(batch)
    }
  }

  /** The collector acknowledged `batch`, sent from memory (or it was given up). */
  acked(batch: Batch): void {
    switch (batch.state) {
      case 'spilling':
        // Forgotten when the spill ends, which then skips its spool copy.
        batch.state = 'spilling-acked'
        return
      case 'spilling-acked':
        return
      case 'spooled':
        this.#skipAcked(batch)
        break
    }
    batch.state = 'acked'
    this.#forget(batch)
  }

  /** The oldest batch in memory not yet acknowledged (its spool copy may exist too). */
  oldestInMemory(): Batch | undefined {
    return this.#mem.find(notAcked)
  }

  /** Removes from the spool's head the records already acknowledged from memory. */
  async dropSkipped(): Promise<void> {
    const spool = this.spool!
    while (this.#skip > 0 && spool.pendingRecords > 0) {
      const skipped = await spool.peek()
      await spool.ack()
      this.#spoolFirstSeqs.shift()
      this.#skip--
      this.#skipEvents -= skipped?.events ?? 0
    }
  }

  /** The collector acknowledged the spool's head record. */
  async spoolHeadAcked(): Promise<void> {
    await this.spool!.ack()
    this.#spoolFirstSeqs.shift()
  }

  /** Sequence number of the oldest event in the spool or in memory not yet delivered (Infinity when none). */
  oldestSeq(): number {
    let oldest = Infinity
    if (this.spoolBacklog) oldest = this.#spoolFirstSeqs[this.#skip] ?? 0
    const batch = this.#mem.find(onlyInMemory)
    if (batch) oldest = Math.min(oldest, batch.firstSeq)
    return oldest
  }

  /** Whether any batch waits only in memory. */
  hasInMemory(): boolean {
    return this.#mem.some(onlyInMemory)
  }

  /** Events of the batches only in memory. */
  inMemoryEvents(): number {
    let events = 0
    for (const batch of this.#mem) if (onlyInMemory(batch)) events += batch.events
    return events
  }

  /** Events in the spool still to deliver. */
  spooledEvents(): number {
    return (this.spool?.pendingEvents ?? 0) - this.#skipEvents
  }

  /**
   * Writes every batch only in memory to the spool synchronously (the only kind of work an
   * exit listener can do), even one a spill is writing: that write may never end. Without a
   * spool, or when it cannot take them, the events are given up to `problems` (stderr).
   */
  persistSync(spoolDir: string | undefined, problems: ClientProblems): void {
    const waiting = this.#mem.filter(onlyInMemory)
    if (waiting.length === 0) return
    let keptAll = false
    if (!this.spool && this.spoolOpening && spoolDir !== undefined) {
      try {
        keptAll = appendBeforeOpenSync(spoolDir, waiting)
      } catch (error) {
        problems.report(error as TradetrailError)
      }
    }
    for (const batch of waiting) {
      let kept = keptAll
      if (!kept && this.spool) {
        try {
          kept = this.spool.appendSync(batch.body, batch.events)
        } catch (error) {
          problems.report(error as TradetrailError)
        }
      }
      if (kept) {
        batch.state = 'spooled'
        this.#spoolFirstSeqs.push(batch.firstSeq)
      } else {
        for (const line of batch.body.toString('utf8').split('\n')) if (line !== '') problems.drop(undefined, line)
        batch.state = batch.state === 'spilling' ? 'spilling-acked' : 'acked'
      }
    }
  }

  #forget(batch: Batch): void {
    const index = this.#mem.indexOf(batch)
    if (index < 0) return
    this.#mem.splice(index, 1)
    this.#memEvents -= batch.events
  }

  #skipAcked(batch: Batch): void {
    this.#skip++
    this.#skipEvents += batch.events
  }
}
