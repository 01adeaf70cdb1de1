/** The collector's Prometheus metrics. Labels never carry tokens or event contents. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { WitnessStatus } from '../witness/witness-delivery.ts'

export class CollectorMetrics {
  readonly registry = new Registry()
  readonly ingested = new Counter({ name: 'tradetrail_events_ingested_total', help: 'Events stored', registers: [this.registry] })
  readonly rejected = new Counter({ name: 'tradetrail_events_rejected_total', help: 'Events in rejected ingest requests, by error code', labelNames: ['code'] as const, registers: [this.registry] })
  readonly duplicates = new Counter({ name: 'tradetrail_events_duplicate_total', help: 'Events whose id was already stored', registers: [this.registry] })
  readonly privilegeViolations = new Counter({ name: 'tradetrail_privilege_violations_total', help: 'Events flagged privilege_violation, by project', labelNames: ['project'] as const, registers: [this.registry] })
  readonly clientClockOffset = new Gauge({
    name: 'tradetrail_client_clock_offset_seconds', help: 'Latest clock offset a client reported (collector clock minus client clock), by project', labelNames: ['project'] as const, registers: [this.registry],
  })
  readonly clockSkewEvents = new Counter({ name: 'tradetrail_clock_skew_events_total', help: 'Events flagged clock_skew, by project', labelNames: ['project'] as const, registers: [this.registry] })
  readonly writeFailures = new Counter({ name: 'audit_write_failures_total', help: 'Commits that failed: their requests were answered with an error and nothing was stored', registers: [this.registry] })
  readonly commitSeconds = new Histogram({
    name: 'tradetrail_commit_duration_seconds', help: 'Time of one durable group commit (fsync included)', registers: [this.registry],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
  })
  readonly commitEvents = new Histogram({
    name: 'tradetrail_commit_events', help: 'Events per group commit', registers: [this.registry],
    buckets: [1, 10, 100, 1000, 10_000, 50_000],
  })
  readonly headSeq = new Gauge({ name: 'tradetrail_chain_head_seq', help: 'seq of the newest stored event', registers: [this.registry] })
  readonly connectionsClosed = new Counter({
    name: 'tradetrail_connections_closed_total', registers: [this.registry], labelNames: ['reason'] as const,
    help: 'Connections the collector closed before a request reached a route: malformed, header_too_large, timeout (a head or request too slow), unauthenticated_limit (the oldest waiting without a token, at a cap)',
  })
  readonly witnessDelivered = new Counter({
    name: 'tradetrail_witness_delivered_total', help: 'Checkpoints and anchors a witness took, by witness (directory, http)', labelNames: ['witness'] as const, registers: [this.registry],
  })
  readonly witnessFailures = new Counter({
    name: 'tradetrail_witness_failures_total', help: 'Failed deliveries to a witness, by witness (directory, http); each is retried', labelNames: ['witness'] as const, registers: [this.registry],
  })
  readonly streamClients = new Gauge({ name: 'tradetrail_stream_clients', help: 'Open live streams (GET /v1/stream and /ws/audit)', registers: [this.registry] })
  readonly streamGaps = new Counter({ name: 'tradetrail_stream_gaps_total', help: 'Gap notices sent to stream clients too slow to take every event', registers: [this.registry] })
  readonly alertsRaised = new Counter({ name: 'tradetrail_alerts_raised_total', help: 'Alerts opened, by rule', labelNames: ['rule'] as const, registers: [this.registry] })
  readonly notificationsDelivered = new Counter({
    name: 'tradetrail_notifications_delivered_total', help: 'Notifications a channel took, by channel (slack, discord, email, webhook)', labelNames: ['channel'] as const, registers: [this.registry],
  })
  readonly notificationFailures = new Counter({
    name: 'tradetrail_notification_failures_total', help: 'Failed attempts to send a notification, by channel; each is retried', labelNames: ['channel'] as const, registers: [this.registry],
  })
  readonly requests = new Counter({ name: 'tradetrail_http_requests_total', help: 'HTTP requests by route, method and status', labelNames: ['route', 'method', 'status'] as const, registers: [this.registry] })

  /**
   * `storeSizeBytes` reports the bytes the trail takes on disk (the store adapter knows its files);
   * `witnesses`, where each witness stands; `outbox`, the notifications waiting per channel.
   */
  constructor(storeSizeBytes: () => number, witnesses: () => Promise<WitnessStatus[]> = async () => [],
    outbox: () => Promise<Array<{ channel: string; pending: number; failing: number }>> = async () => []) {
    // prom-client's names start with `process_` and `nodejs_` already: the prefix is ours alone.
    collectDefaultMetrics({ register: this.registry, prefix: 'tradetrail_' })
    // prom-client names three gauges `…_total`, a suffix Prometheus keeps for counters
    // (`promtool check metrics` refuses them): they are exposed as `…_all` instead.
    for (const what of ['handles', 'requests', 'resources']) {
      const total = this.registry.getSingleMetric(`tradetrail_nodejs_active_${what}_total`)
      if (total === undefined) continue // a Node.js without the API behind it
      this.registry.removeSingleMetric(`tradetrail_nodejs_active_${what}_total`)
      new Gauge({
        name: `tradetrail_nodejs_active_${what}_all`, help: `Active ${what} of every type`, registers: [this.registry],
        async collect() {
          this.set((await total.get()).values[0]?.value ?? 0)
        },
      })
    }
    new Gauge({
      name: 'tradetrail_witness_pending', help: 'Signed checkpoints and anchors a witness does not hold yet, by witness (directory, http)', labelNames: ['witness'] as const, registers: [this.registry],
      async collect() {
        for (const w of await witnesses()) this.set({ witness: w.witness }, w.pending)
      },
    })
    for (const [what, help] of [
      ['pending', 'Notifications waiting in the outbox, by channel'],
      ['failing', 'Notifications in the outbox whose last attempt failed, by channel: undeliverable until the channel comes back'],
    ] as const) {
      new Gauge({
        name: `tradetrail_notifications_${what}`, help, labelNames: ['channel'] as const, registers: [this.registry],
        async collect() {
          this.reset()
          for (const c of await outbox()) this.set({ channel: c.channel }, c[what])
        },
      })
    }
    new Gauge({
      name: 'tradetrail_store_size_bytes', help: 'Bytes the trail takes on disk', registers: [this.registry],
      collect() {
        this.set(storeSizeBytes())
      },
    })
  }
}
