/**
 * The wire format v1 as one TypeBox schema: the JSON Schema that documents the contract,
 * and the reference the hand-written validator (validate-event.ts) is tested against.
 */
import Type, { type Static } from 'typebox'
import { DEFAULT_EVENT_TYPE, DEFAULT_SEVERITY, LIMITS, PROJECT_PATTERN, SEVERITIES, TYPE_PATTERN, UUID_PATTERN } from './event.ts'

const JsonObject = Type.Record(Type.String(), Type.Unknown())

/** An event as a producer sends it: the JSON Schema the wire format is defined by. */
export const EventInputSchema = Type.Object({
  id: Type.Optional(Type.String({ pattern: UUID_PATTERN, description: 'UUID (v7 recommended); the idempotency key. Assigned by the server if absent.' })),
  ts: Type.Optional(Type.String({ description: 'RFC 3339 UTC time it happened, up to nanoseconds. Defaults to the time the collector received it.' })),
  project: Type.String({ pattern: PROJECT_PATTERN, description: 'The system that emitted the event.' }),
  type: Type.Optional(Type.String({ pattern: TYPE_PATTERN, description: `Predefined or custom type; default ${DEFAULT_EVENT_TYPE}.` })),
  severity: Type.Optional(Type.Union(SEVERITIES.map((s) => Type.Literal(s)), { description: `Default ${DEFAULT_SEVERITY}.` })),
  message: Type.String({ description: `Human sentence, at most ${LIMITS.messageBytes} bytes.` }),
  source: Type.Optional(Type.String({ maxLength: LIMITS.labelChars, description: 'Component that emitted it.' })),
  actor: Type.Optional(Type.String({ maxLength: LIMITS.labelChars, description: 'User or bot identity that acted.' })),
  data: Type.Optional(JsonObject),
  metadata: Type.Optional(JsonObject),
}, { additionalProperties: false })

/** An event as a producer sends it. */
export type EventInput = Static<typeof EventInputSchema>
