/**
 * What the dashboard shows, as data: the filters of a view and how they travel in the page's
 * URL (the query string, so a view can be shared or bookmarked; the token never goes there),
 * the sign-in fragment, and which parts of a message a text search highlights. No DOM here.
 */
import { parseSearch, searchWords } from '@tradetrail/core/browser'

/** The filters of GET /v1/events and /v1/stream that the dashboard sets, by their parameter names. */
export const FILTER_NAMES = ['project', 'type', 'severity', 'since', 'until', 'q'] as const
export type Filters = Partial<Record<(typeof FILTER_NAMES)[number], string>>

/** The filters in a query string (`?project=A&q=x`); empty values and other parameters are left out. */
export function filtersFromSearch(search: string): Filters {
  const params = new URLSearchParams(search)
  const filters: Filters = {}
  for (const name of FILTER_NAMES) {
    const value = params.get(name)?.trim()
    if (value) filters[name] = value
  }
  return filters
}

/** The query string of `filters` (with `extra` parameters after them), `''` when there are none. */
export function filtersToSearch(filters: Filters, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams()
  for (const name of FILTER_NAMES) if (filters[name]) params.set(name, filters[name])
  for (const [name, value] of Object.entries(extra)) params.set(name, value)
  const text = params.toString()
  return text === '' ? '' : `?${text}`
}

/**
 * The token of a sign-in fragment (`#token=tt_…`, what the first-start banner prints: browsers
 * never send a fragment to the server) and the fragment without it.
 */
export function tokenFromFragment(hash: string): { token: string | undefined; rest: string } {
  const params = new URLSearchParams(hash.replace(/^#/, ''))
  const token = params.get('token') ?? undefined
  params.delete('token')
  const rest = params.toString()
  return { token: token?.trim() || undefined, rest: rest === '' ? '' : `#${rest}` }
}

const WORD = /[\p{L}\p{N}\p{Mn}\p{Mc}\p{Co}]+/gu

/**
 * `text` cut into pieces, each marked when it is a word that a term of the search `q` matches
 * (as the search index folds words: case and accents aside, `EUR*` as a prefix). Every word of
 * a phrase is marked where it occurs.
 */
export function highlight(text: string, q: string | undefined): Array<{ text: string; match: boolean }> {
  const terms = q === undefined ? [] : parseSearch(q)
  if (terms.length === 0) return [{ text, match: false }]
  const exact = new Set<string>()
  const prefixes: string[] = []
  for (const term of terms) {
    term.words.forEach((word, i) => {
      const folded = searchWords(word)[0] ?? word
      if (term.prefix && i === term.words.length - 1) prefixes.push(folded)
      else exact.add(folded)
    })
  }
  const pieces: Array<{ text: string; match: boolean }> = []
  let at = 0
  for (const m of text.matchAll(WORD)) {
    const folded = searchWords(m[0])[0] ?? ''
    if (!exact.has(folded) && !prefixes.some((p) => folded.startsWith(p))) continue
    if (m.index > at) pieces.push({ text: text.slice(at, m.index), match: false })
    pieces.push({ text: m[0], match: true })
    at = m.index + m[0].length
  }
  if (at < text.length) pieces.push({ text: text.slice(at), match: false })
  return pieces
}
