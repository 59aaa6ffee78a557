/**
 * A serving certificate on disk as a cluster mounts one from a kubernetes.io/tls Secret, for
 * tests and benchmarks that run a program the way its chart does (`--tls-cert-dir`).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateAuthority } from './pki.ts';

/**
 * A new temporary directory holding `tls.crt` and `tls.key` (mode 0600): a serving certificate
 * for `names` (DNS names and IP addresses) signed by a fresh CA. The caller removes the directory.
 */
export async function servingCertificateDir(names: readonly string[], validDays = 1): Promise<{ dir: string; caPem: string }> {
  const ca = await createCertificateAuthority('agent-sandbox-test-ca', validDays);
  const dnsNames = names.filter((n) => !isIP(n));
  const leaf = await ca.issue({ commonName: dnsNames[0] ?? names[0]!, dnsNames, ipAddresses: names.filter((n) => isIP(n)), usage: 'server', validDays });
  const dir = mkdtempSync(join(tmpdir(), 'serving-certificate-'));
  writeFileSync(join(dir, 'tls.crt'), leaf.certPem);
  writeFileSync(join(dir, 'tls.key'), leaf.keyPem, { mode: 0o600 });
  return { dir, caPem: ca.certPem };
}
