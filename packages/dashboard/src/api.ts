/**
 * The collector's HTTP API as the page calls it (docs/api.md): the token in `Authorization`,
 * and an answer that is not 2xx thrown as an HttpError carrying the server's own message.
 */
import type { StoredEvent } from '@tradetrail/core/browser'
import { filtersToSearch } from './view.ts'

export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message)
  }
}

/** GET `path` with `params` in its query string. */
export function apiGet<T = any>(token: string, path: string, params: Record<string, string> = {}): Promise<T> {
  return call<T>(token, path + filtersToSearch({}, params), { method: 'GET' })
}

/** POST `body` as JSON to `path`. */
export function apiPost<T = any>(token: string, path: string, body: unknown): Promise<T> {
  return call<T>(token, path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })
}

async function call<T>(token: string, path: string, init: RequestInit): Promise<T> {
  const answer = await fetch(path, { ...init, headers: { ...init.headers, authorization: `Bearer ${token}` } })
  const body: any = await answer.json().catch(() => ({}))
  if (!answer.ok) throw new HttpError(answer.status, body?.error?.message ?? `${path}: HTTP ${answer.status}`)
  return body
}

/** Every page of GET /v1/events for `params` (which set the order and range), one after another. */
export async function* eventPages(token: string, params: Record<string, string>): AsyncGenerator<StoredEvent[]> {
  let cursor: string | null = null
  do {
    const page: { events: StoredEvent[]; next: string | null } = await apiGet(token, '/v1/events', cursor === null ? params : { ...params, cursor })
    yield page.events
    cursor = page.next
  } while (cursor !== null)
}
