/**
 * A certificate authority and a serving certificate made at start, for running without a
 * mounted Secret (development, tests, single-replica installs). The CA goes into the webhook
 * configurations' caBundle (see ca-bundle.ts). The certificates come from libs/pki.
 */
import { isIP } from 'node:net';
import { createCertificateAuthority as createCa } from '@agent-sandbox/pki';

export interface ServingCertificate {
  /** PEM of the CA that signed `cert`: the caBundle. */
  caPem: string;
  certPem: string;
  keyPem: string;
}

export interface CertificateAuthority {
  caPem: string;
  /** A serving certificate for `names` (DNS names and IP addresses) signed by this CA. */
  issue(names: readonly string[], validDays?: number): Promise<ServingCertificate>;
}

/** A fresh ECDSA P-256 CA, valid for `validDays`. */
export async function createCertificateAuthority(validDays = 365): Promise<CertificateAuthority> {
  const ca = await createCa('agent-sandbox-admission-webhook-ca', validDays);
  return {
    caPem: ca.certPem,
    async issue(names, leafDays = validDays) {
      const leaf = await ca.issue({
        commonName: names.find((n) => !isIP(n)) ?? 'admission-webhook',
        dnsNames: names.filter((n) => !isIP(n)),
        ipAddresses: names.filter((n) => isIP(n)),
        usage: 'server',
        validDays: leafDays,
      });
      return { caPem: ca.certPem, ...leaf };
    },
  };
}

/** A fresh CA and a leaf for `names`, valid for `validDays`. */
export async function generateServingCertificate(names: readonly string[], validDays = 365): Promise<ServingCertificate> {
  return (await createCertificateAuthority(validDays)).issue(names);
}
