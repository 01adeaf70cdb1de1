#!/usr/bin/env python3
"""Writes hash-chain.json, the known-answer vectors of Tradetrail's chain hash.

    hash(n) = SHA-256( hash(n-1) || UTF-8( JCS(event n without "hash") ) ),  hash(0) = 32 zero bytes

(PRODUCT.md, guarantee 4). Everything here is computed without the TypeScript code:
a from-scratch RFC 8785 (JCS) serializer and hashlib. That is the point of the file:
test/hash-chain.test.ts checks that src/hash-chain.ts reproduces these bytes, so two
independent implementations agree, and a verifier written in another language has
something to test itself against.

Before it trusts its own JCS, the script checks it against every vector of
canonical-json.json (whose expected texts were written by hand from RFC 8785).

    python3 make-hash-chain.py            # rewrite hash-chain.json next to this file
    python3 make-hash-chain.py --stdout   # print it instead (the test compares the two)

Standard library only; Python 3.8+.
"""
import hashlib
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


# --- RFC 8785 JSON Canonicalization Scheme -------------------------------------------

def jcs(value) -> str:
    """The canonical JSON text of a JSON value (dict, list, str, int, float, bool, None)."""
    if value is None:
        return 'null'
    if value is True:
        return 'true'
    if value is False:
        return 'false'
    if isinstance(value, (int, float)):
        # JSON numbers are IEEE 754 doubles (RFC 8785 §3.2.2.3), ints included.
        return es_number(float(value))
    if isinstance(value, str):
        return es_string(value)
    if isinstance(value, list):
        return '[' + ','.join(jcs(v) for v in value) + ']'
    if isinstance(value, dict):
        # Sorted by UTF-16 code units (RFC 8785 §3.2.3), not by code points.
        keys = sorted(value, key=lambda k: k.encode('utf-16-be', 'surrogatepass'))
        return '{' + ','.join(es_string(k) + ':' + jcs(value[k]) for k in keys) + '}'
    raise TypeError(f'not a JSON value: {value!r}')


def es_string(s: str) -> str:
    """A string as ECMAScript's JSON.stringify writes it (RFC 8785 §3.2.2.2)."""
    out = ['"']
    for ch in s:
        c = ord(ch)
        if 0xD800 <= c <= 0xDFFF:
            raise ValueError('lone surrogate')
        if ch == '"':
            out.append('\\"')
        elif ch == '\\':
            out.append('\\\\')
        elif c < 0x20:
            out.append({8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r'}.get(c, '\\u%04x' % c))
        else:
            out.append(ch)
    out.append('"')
    return ''.join(out)


def es_number(x: float) -> str:
    """ECMAScript Number::toString(x) (ECMA-262 §6.1.6.1.20), as RFC 8785 §3.2.2.3 requires."""
    if math.isnan(x) or math.isinf(x):
        raise ValueError('NaN and Infinity are not JSON')
    if x == 0:
        return '0'  # -0 too
    sign = '-' if x < 0 else ''
    # repr() gives the shortest digit string that round-trips, which is what ECMAScript picks.
    r = repr(abs(x))
    mantissa, _, exp = r.partition('e')
    whole, _, frac = mantissa.partition('.')
    digits = (whole + frac).lstrip('0')
    point = int(exp or 0) - len(frac)  # value = int(digits) * 10**point
    stripped = digits.rstrip('0')
    point += len(digits) - len(stripped)
    digits = stripped
    k = len(digits)
    n = point + k  # value = 0.digits * 10**n
    if k <= n <= 21:
        return sign + digits + '0' * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + '.' + digits[n:]
    if -6 < n <= 0:
        return sign + '0.' + '0' * (-n) + digits
    e = n - 1
    exponent = ('+' if e >= 0 else '-') + str(abs(e))
    if k == 1:
        return sign + digits + 'e' + exponent
    return sign + digits[0] + '.' + digits[1:] + 'e' + exponent


def parse_json(text: str):
    """JSON text to Python values with JSON's number model (every number a double)."""
    def reject(name):
        raise ValueError(f'{name} is not JSON')
    return json.loads(text, parse_int=float, parse_constant=reject)


def check_jcs_against_vectors() -> None:
    with open(os.path.join(HERE, 'canonical-json.json'), encoding='utf-8') as f:
        vectors = json.load(f)
    for v in vectors:
        got = jcs(parse_json(v['input']))
        if got != v['canonical']:
            raise SystemExit(f"JCS disagrees with canonical-json.json vector {v['name']!r}:\n"
                             f"  expected {v['canonical']!r}\n  got      {got!r}")


# --- The events -----------------------------------------------------------------------
# Stored events without "hash". Between them they cover: optional fields absent and all
# present, flags, a submitter, a nanosecond and a "+00:00" ts (kept verbatim, never normalised),
# non-ASCII and control characters in strings, nested data with keys whose UTF-16 order
# differs from code-point order, numbers that need ECMAScript formatting, empty objects.

EVENTS = [
    {
        'seq': 1,
        'id': '019b2e1c-e038-7000-8a3f-5c2d1e0b9a01',
        'ts': '2025-12-17T21:00:03Z',
        'project': 'MyTradingBot',
        'type': 'boot',
        'severity': 'info',
        'message': 'Bot started',
        'received_at': '2025-12-17T21:00:03.000125Z',
    },
    {
        'seq': 2,
        'id': '019b2e1c-e49b-7001-9b4c-6d3e2f1c0b12',
        'ts': '2025-12-17T21:00:04.123456789Z',
        'project': 'MyTradingBot',
        'type': 'trade_opened',
        'severity': 'notice',
        'message': 'Opened long EURUSD',
        'source': 'OrderRouter',
        'actor': 'bot:momentum-v3',
        'data': {'symbol': 'EURUSD', 'side': 'long', 'price': 1.085, 'quantity': 100000,
                 'stop_loss': 1.0815, 'take_profit': 1.092},
        'metadata': {'host': 'trader-01', 'pid': 4242, 'version': '2.3.1', 'processing_latency_us': 87},
        'received_at': '2025-12-17T21:00:04.125001Z',
    },
    {
        'seq': 3,
        'id': '019b2e1c-e7a4-7000-a5d6-7e4f3a2d1c23',
        'ts': '2025-12-17T21:00:04.9Z',
        'project': 'ScalperBot',
        'type': 'order_submitted',
        'severity': 'warning',
        'message': 'Submitted market order GBPUSD',
        'data': {'symbol': 'GBPUSD', 'quantity': -50000, 'order_type': 'market'},
        'metadata': {},
        'flags': ['clock_skew', 'privilege_violation'],
        'received_at': '2025-12-17T21:00:05.812000Z',
    },
    {
        'seq': 4,
        'id': '019b2e1c-e808-7abc-bfe7-8f5a4b3e2d34',
        'ts': '2025-12-17T21:00:05.000001+00:00',
        'project': 'risk-engine.eu',
        'type': 'risk.check:v2',
        'severity': 'error',
        'message': 'Ordre annulé: spread > 3 pips — €1.0850 😀\n\t"quoted" \\ back\x01\x7f\u2028',
        'source': 'FeedStalenessCalculator',
        'actor': 'Zoë',
        'received_at': '2025-12-17T21:00:05.900450Z',
    },
    {
        'seq': 5,
        'id': '019b2e1c-ecea-7fff-8c08-9a6b5c4f3e45',
        'ts': '2025-12-17T21:00:06.25Z',
        'project': 'MyTradingBot',
        'type': 'auto_repair',
        'severity': 'critical',
        'message': 'Self-repair restarted the EURUSD feed',
        'source': 'auto_repair_system',
        'data': {
            'legs': [
                {'symbol': 'EURUSD', 'qty': -100000, 'px': 1.085},
                {'symbol': 'USDJPY', 'qty': 2.5e-7, 'px': 157.25},
            ],
            'limits': {'max_drawdown': 0.05, 'notional': 1e21, 'zero': -0.0, 'tiny': 1e-7, 'big': 1e20},
            'empty': {},
            'none': None,
            'ok': True,
            'nested_lists': [[], [[]], {}],
            '\ue000': 'private use (sorts after the emoji in UTF-16 order)',
            '😀': 'emoji key',
            'é': 'e acute',
            '': 'empty key',
            '10': 'ten',
            '9': 'nine',
        },
        'metadata': {'trace': {'span': 'a1b2', 'parent': None}, 'retries': 3},
        'received_at': '2025-12-17T21:00:06.251000Z',
    },
    {
        'seq': 6,
        'id': '019b2e1c-f0a1-7002-9d19-ab7c6d5e4f56',
        'ts': '2025-12-17T21:00:07.5Z',
        'project': 'ScalperBot',
        'type': 'order_filled',
        'severity': 'info',
        'message': 'Filled 50000 GBPUSD',
        'data': {'symbol': 'GBPUSD', 'quantity': 50000, 'price': 1.2701},
        'flags': ['privilege_violation'],
        'received_at': '2025-12-17T21:00:07.502113Z',
        'submitter': 'token:5b6b706c3c2f',
    },
]


def build() -> str:
    check_jcs_against_vectors()
    prev = bytes(32)
    canonical, hashes = [], []
    for event in EVENTS:
        text = jcs(event)
        prev = hashlib.sha256(prev + text.encode('utf-8')).digest()
        canonical.append(text)
        hashes.append(prev.hex())
    doc = {
        'description': 'Known-answer vectors of the Tradetrail chain hash: hash(n) = SHA-256(hash(n-1) || '
                       'UTF-8(RFC 8785 JCS of stored event n without "hash")), hash(0) = 32 zero bytes. '
                       'Generated by make-hash-chain.py, independently of the TypeScript code; do not edit by hand.',
        'genesis_prev_hash': bytes(32).hex(),
        'events': EVENTS,
        'canonical': canonical,
        'hashes': hashes,
    }
    return json.dumps(doc, ensure_ascii=True, indent=2) + '\n'


def main() -> None:
    out = build().encode('utf-8')
    if '--stdout' in sys.argv[1:]:
        sys.stdout.buffer.write(out)
    else:
        with open(os.path.join(HERE, 'hash-chain.json'), 'wb') as f:
            f.write(out)


if __name__ == '__main__':
    main()
