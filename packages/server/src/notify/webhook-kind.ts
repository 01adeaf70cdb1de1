/** Which chat a webhook URL (QT_ALERT_WEBHOOK) posts to, told apart by host and path as Slack and Discord issue them. */

export type ChatKind = 'slack' | 'discord'

const SLACK = /^hooks\.slack(-gov)?\.com$/
const DISCORD = /^((ptb|canary)\.)?discord(app)?\.com$/

/** `slack`, `discord`, or undefined for a URL that is neither (a proxy, a test receiver: set the kind). */
export function webhookKind(url: string): ChatKind | undefined {
  const { hostname, pathname } = new URL(url)
  if (SLACK.test(hostname) && pathname.startsWith('/services/')) return 'slack'
  if (DISCORD.test(hostname) && pathname.startsWith('/api/webhooks/')) return 'discord'
  return undefined
}
