/**
 * Notifications in a collector: the alert engine over the commit feed with the default and the
 * configured rules, the default route's channels, and the outbox delivery between them. `startNotifications` wires them from the
 * trail and the configuration; serve.ts starts it once the collector listens.
 */
import type { AlertDraft, OutboxEntry, Raised } from '@tradetrail/core'
import type { TradetrailConfig } from '../config.ts'
import type { Trail } from '../trail/open-trail.ts'
import { AlertEngine } from './alert-engine.ts'
import { DEFAULT_RULES, configuredRule } from './alert-rules.ts'
import { type RouteConfig, defaultRoute } from './default-route.ts'
import type { Notifier } from './notifier.ts'
import { OutboxDelivery } from './outbox-delivery.ts'
import { scheduleSummaries } from './summary-notifications.ts'

export interface NotificationHooks {
  onRaised?: (raised: Raised) => void
  onDelivered?: (channel: Notifier, entry: OutboxEntry) => void
  onFailure?: (channel: Notifier, error: unknown, retryInMs: number) => void
  onError?: (error: unknown) => void
}

export interface Notifications {
  /** The channels of the default route. */
  readonly channels: readonly Notifier[]
  /** Raises an alert for a condition that is no event (a failed commit). */
  raise(draft: AlertDraft): Promise<Raised>
  close(): Promise<void>
}

export type NotifyConfig = RouteConfig & Pick<TradetrailConfig, 'notifyRetryMaxMs' | 'notify'>

/** Starts notifications on a collector's trail (its feed and clock). */
export async function startNotifications(trail: Trail, config: Readonly<NotifyConfig>, hooks: NotificationHooks = {}): Promise<Notifications> {
  const channels = defaultRoute(config, trail.clock)
  const delivery = new OutboxDelivery({
    outbox: trail.outbox, channels, clock: trail.clock, retryMaxMs: config.notifyRetryMaxMs, onDelivered: hooks.onDelivered, onFailure: hooks.onFailure,
  })
  const engine = await AlertEngine.start({
    feed: trail.feed!, cursors: trail.store, alerts: trail.alerts, outbox: trail.outbox, clock: trail.clock,
    channels: channels.map((c) => c.name), rules: [...DEFAULT_RULES, ...config.notify.rules.map(configuredRule)], gates: config.notify,
    onEnqueued: () => delivery.nudge(), onRaised: hooks.onRaised, onError: hooks.onError,
  })
  delivery.start()
  scheduleSummaries(trail, channels.map((c) => c.name), () => delivery.nudge())
  return {
    channels,
    raise: (draft) => engine.raise(draft),
    close: async () => {
      await engine.close()
      await delivery.close()
    },
  }
}
