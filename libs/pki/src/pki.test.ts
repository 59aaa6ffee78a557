import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCertificateAuthority, createSigningKeyPair } from './pki.ts';
import { servingCertificateDir } from './serving-directory.ts';

describe('pki', () => {
  it('issues leaves that the CA verifies, with the names, usage and subject asked for', async () => {
    const ca = await createCertificateAuthority('test-ca', 10);
    const caCert = new X509Certificate(ca.certPem);
    expect(caCert.ca).toBe(true);
    expect(caCert.checkIssued(caCert)).toBe(true);

    const server = await ca.issue({ commonName: 'kube-apiserver', usage: 'server', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    const leaf = new X509Certificate(server.certPem);
    expect(leaf.ca).toBe(false);
    expect(leaf.verify(caCert.publicKey)).toBe(true);
    expect(leaf.checkIssued(caCert)).toBe(true);
    expect(leaf.checkHost('localhost')).toBe('localhost');
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(leaf.subject).toBe('CN=kube-apiserver');
    expect(leaf.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']); // serverAuth only

    const client = new X509Certificate((await ca.issue({ commonName: 'admin', organizations: ['system:masters'], usage: 'client' })).certPem);
    expect(client.subject.split('\n').sort()).toEqual(['CN=admin', 'O=system:masters']);
    expect(client.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']); // clientAuth only

    // Another CA does not vouch for it.
    const other = new X509Certificate((await createCertificateAuthority('other-ca')).certPem);
    expect(leaf.verify(other.publicKey)).toBe(false);
  });

  it('makes signing key pairs in PEM', async () => {
    const { privatePem, publicPem } = await createSigningKeyPair();
    expect(privatePem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(publicPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
  });

  it('writes a serving certificate as a mounted TLS Secret holds it: tls.crt for the names, tls.key readable by its owner only', async () => {
    const { dir, caPem } = await servingCertificateDir(['localhost', '127.0.0.1']);
    try {
      const leaf = new X509Certificate(readFileSync(join(dir, 'tls.crt')));
      expect(leaf.checkIssued(new X509Certificate(caPem))).toBe(true);
      expect(leaf.checkHost('localhost')).toBe('localhost');
      expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
      expect(leaf.checkPrivateKey(createPrivateKey(readFileSync(join(dir, 'tls.key'))))).toBe(true);
      expect(statSync(join(dir, 'tls.key')).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
