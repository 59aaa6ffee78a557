import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG: webcrypto.EcKeyGenParams & webcrypto.EcdsaParams = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const DAY_MS = 86_400_000;

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

export interface CertificateAuthority extends KeyPairPem {
  /** Issues a leaf certificate signed by this CA. */
  issue(request: LeafRequest): Promise<KeyPairPem>;
}

export interface LeafRequest {
  commonName: string;
  organizations?: readonly string[];
  dnsNames?: readonly string[];
  ipAddresses?: readonly string[];
  usage: 'server' | 'client' | 'both';
  validDays?: number;
}

function serial(): string {
  // A positive 16-byte serial: clear the top bit so DER does not read it as negative.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return x509.PemConverter.encode(der.buffer.slice(der.byteOffset, der.byteOffset + der.byteLength) as ArrayBuffer, 'PRIVATE KEY');
}

function subject(commonName: string, organizations: readonly string[] = []): string {
  // Distinguished-name values here are ours (component names, fixed groups): no escaping needed.
  return [...organizations.map((o) => `O=${o}`), `CN=${commonName}`].join(', ');
}

/** A fresh ECDSA P-256 certificate authority, valid for `validDays`. */
export async function createCertificateAuthority(commonName: string, validDays = 3650): Promise<CertificateAuthority> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: subject(commonName),
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + validDays * DAY_MS),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const certPem = cert.toString('pem');
  const keyPem = await privateKeyPem(keys.privateKey);

  const issue = async (request: LeafRequest): Promise<KeyPairPem> => {
    const leafKeys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const purposes =
      request.usage === 'server'
        ? [x509.ExtendedKeyUsage.serverAuth]
        : request.usage === 'client'
          ? [x509.ExtendedKeyUsage.clientAuth]
          : [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth];
    const names: x509.JsonGeneralName[] = [
      ...(request.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
      ...(request.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
    ];
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension(purposes),
      await x509.AuthorityKeyIdentifierExtension.create(cert),
    ];
    if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names));
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: subject(request.commonName, request.organizations),
      issuer: cert.subject,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + (request.validDays ?? 365) * DAY_MS),
      signingAlgorithm: ALG,
      publicKey: leafKeys.publicKey,
      signingKey: keys.privateKey,
      extensions,
    });
    return { certPem: leaf.toString('pem'), keyPem: await privateKeyPem(leafKeys.privateKey) };
  };

  return { certPem, keyPem, issue };
}

/** A key pair for signing service-account tokens: PKCS#8 private and SPKI public PEM. */
export async function createSigningKeyPair(): Promise<{ privatePem: string; publicPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const spki = Buffer.from(await webcrypto.subtle.exportKey('spki', keys.publicKey));
  const publicPem = x509.PemConverter.encode(spki.buffer.slice(spki.byteOffset, spki.byteOffset + spki.byteLength) as ArrayBuffer, 'PUBLIC KEY');
  return { privatePem: await privateKeyPem(keys.privateKey), publicPem };
}
