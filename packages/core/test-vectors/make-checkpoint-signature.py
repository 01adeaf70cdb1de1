#!/usr/bin/env python3
"""Writes checkpoint-signature.json, the known-answer vectors of Tradetrail's signed checkpoints
and retention anchors.

    checkpoint (and legacy anchor) payload
              = UTF-8("tradetrail-checkpoint-v1\\n" + seq + "\\n" + hash + "\\n" + time + "\\n")
    anchor payload
              = UTF-8("tradetrail-anchor-v2\\n" + seq, hash, time, purged, newest_received_at,
                      min_retention_ms, retention_ms, below_minimum (or "") each followed by "\\n")
    signature = base64(Ed25519(private key, payload))          (RFC 8032, RFC 4648 with padding)
    key_id    = first 16 hex digits of SHA-256(raw 32-byte public key)

The key is RFC 8032's test key 1 (section 7.1): public, never use it for a real trail. Ed25519 is
deterministic, so the signatures are fixed. They are made here with the `openssl` command, not with
Tradetrail's code; packages/server/test/internals/checkpoint-signer.test.ts checks that the
collector's signer and verifier reproduce them. The hashes signed are those of hash-chain.json.

    python3 make-checkpoint-signature.py            # rewrite checkpoint-signature.json
    python3 make-checkpoint-signature.py --stdout   # print it instead (the test compares the two)

Python 3.8+ and OpenSSL 3 (`pkeyutl -rawin`).
"""
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

DAY_MS = 86_400_000
FIVE_YEARS_MS = 5 * 365 * DAY_MS
SEED = bytes.fromhex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60')
PUBLIC = bytes.fromhex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a')
# DER prefixes of an Ed25519 PKCS#8 private key and SubjectPublicKeyInfo (RFC 8410).
PKCS8_PREFIX = bytes.fromhex('302e020100300506032b657004220420')
SPKI_PREFIX = bytes.fromhex('302a300506032b6570032100')


def pem(label: str, der: bytes) -> str:
    body = base64.b64encode(der).decode('ascii')
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return f'-----BEGIN {label}-----\n' + '\n'.join(lines) + f'\n-----END {label}-----\n'


def payload(seq: int, hash_hex: str, time: str) -> str:
    return f'tradetrail-checkpoint-v1\n{seq}\n{hash_hex}\n{time}\n'


def anchor_payload(record: dict) -> str:
    fields = [record[k] for k in ('seq', 'hash', 'time', 'purged', 'newest_received_at', 'min_retention_ms', 'retention_ms')]
    fields.append(record['below_minimum'] or '')
    return 'tradetrail-anchor-v2\n' + ''.join(f'{f}\n' for f in fields)


def sign(private_pem: str, message: bytes) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        key = os.path.join(tmp, 'key.pem')
        data = os.path.join(tmp, 'payload')
        with open(key, 'w') as f:
            f.write(private_pem)
        with open(data, 'wb') as f:
            f.write(message)
        raw = subprocess.run(['openssl', 'pkeyutl', '-sign', '-inkey', key, '-rawin', '-in', data],
                             check=True, capture_output=True).stdout
    if len(raw) != 64:
        raise SystemExit(f'openssl gave a {len(raw)}-byte signature, expected 64')
    return base64.b64encode(raw).decode('ascii')


def build() -> str:
    with open(os.path.join(HERE, 'hash-chain.json'), encoding='utf-8') as f:
        chain = json.load(f)
    hashes = chain['hashes']
    private_pem = pem('PRIVATE KEY', PKCS8_PREFIX + SEED)
    key_id = hashlib.sha256(PUBLIC).hexdigest()[:16]

    def signed(seq: int, time: str, **extra) -> dict:
        text = payload(seq, hashes[seq - 1], time)
        record = {'seq': seq, 'hash': hashes[seq - 1], 'time': time, 'key_id': key_id,
                  'signature': sign(private_pem, text.encode('utf-8')), **extra}
        return {'payload': text, 'payload_hex': text.encode('utf-8').hex(), 'record': record}

    def anchor(seq: int, time: str, retention_ms: int, below_minimum) -> dict:
        record = {'seq': seq, 'hash': hashes[seq - 1], 'time': time, 'key_id': key_id, 'signature': '', 'purged': seq,
                  'newest_received_at': chain['events'][seq - 1]['received_at'], 'min_retention_ms': FIVE_YEARS_MS,
                  'retention_ms': retention_ms, 'below_minimum': below_minimum}
        text = anchor_payload(record)
        record['signature'] = sign(private_pem, text.encode('utf-8'))
        return {'payload': text, 'payload_hex': text.encode('utf-8').hex(), 'record': record}

    doc = {
        'description': 'Known-answer vectors of Tradetrail checkpoint and anchor signatures: Ed25519 (RFC 8032) over '
                       'UTF-8("tradetrail-checkpoint-v1\\n<seq>\\n<hash>\\n<time>\\n") for a checkpoint and a legacy anchor, '
                       'UTF-8("tradetrail-anchor-v2\\n<seq>\\n<hash>\\n<time>\\n<purged>\\n<newest_received_at>\\n'
                       '<min_retention_ms>\\n<retention_ms>\\n<below_minimum or empty>\\n") for an anchor, base64 with padding; '
                       'key_id = first 16 hex digits of SHA-256(raw public key). The key is RFC 8032 test key 1. '
                       'Generated by make-checkpoint-signature.py with openssl; do not edit by hand.',
        'private_key_pem': private_pem,
        'public_key_pem': pem('PUBLIC KEY', SPKI_PREFIX + PUBLIC),
        'public_key_raw_hex': PUBLIC.hex(),
        'key_id': key_id,
        'checkpoint': signed(6, '2025-12-17T21:01:00.000000Z'),
        'anchor': anchor(3, '2031-01-16T00:00:00.125000Z', FIVE_YEARS_MS, None),
        'anchor_below_minimum': anchor(5, '2026-01-16T00:00:00.125000Z', 30 * DAY_MS, 'Löschung angeordnet — Az. 3 O 117/25'),
        'legacy_anchor': signed(3, '2026-01-16T00:00:00.125000Z', purged=3),
    }
    return json.dumps(doc, ensure_ascii=True, indent=2) + '\n'


def main() -> None:
    out = build().encode('utf-8')
    if '--stdout' in sys.argv[1:]:
        sys.stdout.buffer.write(out)
    else:
        with open(os.path.join(HERE, 'checkpoint-signature.json'), 'wb') as f:
            f.write(out)


if __name__ == '__main__':
    main()
