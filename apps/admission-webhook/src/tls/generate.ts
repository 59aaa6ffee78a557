/**
 * A certificate authority and a serving certificate made at start, for running without a
 * mounted Secret (development, tests, single-replica installs). The CA goes into the webhook
 * configurations' caBundle (see ca-bundle.ts).
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG: webcrypto.EcKeyGenParams & webcrypto.EcdsaParams = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const DAY_MS = 86_400_000;

export interface ServingCertificate {
  /** PEM of the CA that signed `cert`: the caBundle. */
  caPem: string;
  certPem: string;
  keyPem: string;
}

function serialNumber(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f; // positive in DER
  return Buffer.from(bytes).toString('hex');
}

async function pkcs8Pem(key: webcrypto.CryptoKey): Promise<string> {
  const der = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', key));
  return x509.PemConverter.encode(der.buffer as ArrayBuffer, 'PRIVATE KEY');
}

export interface CertificateAuthority {
  caPem: string;
  /** A serving certificate for `names` (DNS names and IP addresses) signed by this CA. */
  issue(names: readonly string[], validDays?: number): Promise<ServingCertificate>;
}

/** A fresh ECDSA P-256 CA, valid for `validDays`. */
export async function createCertificateAuthority(validDays = 365): Promise<CertificateAuthority> {
  const now = Date.now();
  const caKeys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: 'CN=agent-sandbox-admission-webhook-ca',
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + validDays * DAY_MS),
    signingAlgorithm: ALG,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const caPem = ca.toString('pem');

  const issue = async (names: readonly string[], leafDays = validDays): Promise<ServingCertificate> => {
    const leafKeys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const altNames: x509.JsonGeneralName[] = names.map((value) => ({ type: isIP(value) ? ('ip' as const) : ('dns' as const), value }));
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: serialNumber(),
      subject: `CN=${names.find((n) => !isIP(n)) ?? 'admission-webhook'}`,
      issuer: ca.subject,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + leafDays * DAY_MS),
      signingAlgorithm: ALG,
      publicKey: leafKeys.publicKey,
      signingKey: caKeys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        await x509.AuthorityKeyIdentifierExtension.create(ca),
        new x509.SubjectAlternativeNameExtension(altNames),
      ],
    });
    return { caPem, certPem: leaf.toString('pem'), keyPem: await pkcs8Pem(leafKeys.privateKey) };
  };
  return { caPem, issue };
}

/** A fresh CA and a leaf for `names`, valid for `validDays`. */
export async function generateServingCertificate(names: readonly string[], validDays = 365): Promise<ServingCertificate> {
  return (await createCertificateAuthority(validDays)).issue(names);
}
