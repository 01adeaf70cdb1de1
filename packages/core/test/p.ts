import fc from 'fast-check'
import { canonicalize } from '../src/canonical-json.ts'
let t = Date.now()
fc.assert(fc.property(fc.dictionary(fc.string({ unit: 'binary', maxLength: 4 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 8 }), (o) => { Object.entries(o) }), { numRuns: 150 })
console.log(Date.now() - t); t = Date.now()
fc.assert(fc.property(fc.dictionary(fc.string({ unit: 'binary', maxLength: 4 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 8 }), (obj) => { const reversed = Object.fromEntries(Object.entries(obj).reverse()); canonicalize(reversed) === canonicalize(obj) }), { numRuns: 150 })
console.log(Date.now() - t); t = Date.now()
