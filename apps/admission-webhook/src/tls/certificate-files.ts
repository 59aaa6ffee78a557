/**
 * The serving certificate from a directory holding tls.crt and tls.key (a mounted Secret, as
 * cert-manager writes it), re-read when the files change. A pair that does not load (a key
 * that does not match, a half-written file) is ignored and the certificate in use stays.
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { FileWatch } from '../util/file-watch.ts';

export interface LoadedCertificate {
  cert: Buffer;
  key: Buffer;
  notAfter: Date;
  /** SHA-256 fingerprint of the leaf: which certificate is being served. */
  fingerprint: string;
}

/** Checks a pair the way the TLS server would use it; throws with the reason when unusable. */
export function checkCertificatePair(cert: Buffer, key: Buffer): LoadedCertificate {
  createSecureContext({ cert, key }); // throws on a malformed PEM or a key that does not match
  const leaf = new X509Certificate(cert);
  return { cert, key, notAfter: new Date(leaf.validTo), fingerprint: leaf.fingerprint256 };
}

export function certificatePaths(dir: string): { cert: string; key: string } {
  return { cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key') };
}

export async function loadCertificateDir(dir: string): Promise<LoadedCertificate> {
  const paths = certificatePaths(dir);
  const [cert, key] = await Promise.all([readFile(paths.cert), readFile(paths.key)]);
  try {
    return checkCertificatePair(cert, key);
  } catch (err) {
    throw new Error(`${dir}: tls.crt and tls.key do not make a usable certificate: ${(err as Error).message}`, { cause: err });
  }
}

export interface CertificateWatchOptions {
  dir: string;
  intervalMs: number;
  onCertificate: (loaded: LoadedCertificate) => void;
  onError: (err: Error) => void;
}

/** Watches `dir` and hands every new usable pair to `onCertificate`. */
export function watchCertificateDir(options: CertificateWatchOptions, current: LoadedCertificate): FileWatch {
  const paths = certificatePaths(options.dir);
  const watch = new FileWatch(
    {
      files: [paths.cert, paths.key],
      intervalMs: options.intervalMs,
      onChange: ([cert, key]) => {
        try {
          options.onCertificate(checkCertificatePair(cert!, key!));
        } catch (err) {
          watch.forget(); // try again on the next tick: the writer may be half-way
          options.onError(new Error(`${options.dir}: new tls.crt and tls.key are not usable yet: ${(err as Error).message}`));
        }
      },
      onError: options.onError,
    },
    [current.cert, current.key],
  );
  watch.start();
  return watch;
}
