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
