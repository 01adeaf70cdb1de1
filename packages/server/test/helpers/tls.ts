/** A self-signed certificate for 127.0.0.1, made by openssl, for tests of TLS on either side. */
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { type Hooks, tempDir } from '@tradetrail/test-support'

/**
 * PEM files `cert` and `key` in a directory `t` owns, or undefined after skipping `t` where
 * openssl is missing (never on CI: there it is a failure).
 */
export function selfSignedCertificate(t: Hooks & { skip(message: string): void }): { cert: string; key: string } | undefined {
  const dir = tempDir(t, 'tt-tls')
  const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')]
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' })
  } catch (error) {
    if (process.env.CI === 'true') throw error
    t.skip(`openssl is not available here (${(error as Error).message}): TLS NOT TESTED`)
    return undefined
  }
  return { cert, key }
}
