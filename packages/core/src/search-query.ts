/**
 * The full-text query language, the same for every store: words are ANDed,
 * "double quotes" make a phrase, a trailing * makes a prefix (`EUR*`). Anything else is
 * text to find, never syntax: a user cannot write a query that the database rejects.
 */

export interface SearchTerm {
  /** The words of the term; more than one for a phrase. */
  words: string[]
  /** Whether the last word is a prefix. */
  prefix: boolean
}

const WORD = /[\p{L}\p{N}\p{Mn}\p{Mc}\p{Co}]+/gu

/** The terms of a search string; empty when it holds nothing searchable. */
export function parseSearch(q: string): SearchTerm[] {
  const terms: SearchTerm[] = []
  const parts = q.match(/"[^"]*"?|[^\s"]+/g) ?? []
  for (const part of parts) {
    const phrase = part.startsWith('"')
    const body = phrase ? part.slice(1, part.endsWith('"') && part.length > 1 ? -1 : undefined) : part
    const words = body.match(WORD) ?? []
    if (words.length === 0) continue
    const prefix = !phrase && body.endsWith('*')
    if (phrase) terms.push({ words, prefix: false })
    // A bare token that the tokenizer splits (CONN_TIMEOUT, 1.0850) is a phrase of its parts.
    else terms.push({ words, prefix })
  }
  return terms
}

/**
 * The words of `text` as the search index (SQLite FTS5, unicode61) sees them: runs of letters
 * and digits, lower-cased, with accents removed.
 */
export function searchWords(text: string): string[] {
  return fold(text).match(WORD) ?? []
}

function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{Mn}/gu, '').toLowerCase()
}

/**
 * Whether `fields` (message, source, actor, data as JSON: each searched on its own, so a phrase
 * never spans two) hold every term, as the search index would answer: what the live stream
 * applies to events as they arrive, so a pushed event matches `q` exactly when GET /v1/events
 * would list it.
 */
export function matchesSearch(terms: readonly SearchTerm[], fields: readonly string[]): boolean {
  if (terms.length === 0) return false
  const words = fields.map(searchWords)
  return terms.every((term) => {
    const wanted = term.words.map(fold)
    return words.some((w) => containsPhrase(w, wanted, term.prefix))
  })
}

function containsPhrase(words: readonly string[], phrase: readonly string[], prefix: boolean): boolean {
  const last = phrase.length - 1
  outer: for (let i = 0; i + last < words.length; i++) {
    for (let j = 0; j <= last; j++) {
      const word = words[i + j]!
      if (j === last && prefix ? !word.startsWith(phrase[j]!) : word !== phrase[j]) continue outer
    }
    return true
  }
  return false
}
