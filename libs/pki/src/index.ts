export { createCertificateAuthority, createSigningKeyPair, type CertificateAuthority, type KeyPairPem, type LeafRequest } from './pki.ts';
export { servingCertificateDir } from './serving-directory.ts';
