import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { moduleDigest } from '@agent-sandbox/cache';
import { GO_MODULES_DIR } from './paths.ts';

/** The pinned versions, read from the Go modules that pin them (the one source of truth). */
export interface Versions {
  kubernetes: string;
  etcd: string;
  kwok: string;
  /** CoreDNS, the real node's cluster DNS. */
  coredns: string;
  /** Short digest of the go.mod and go.sum files: any change of pin makes a new cache entry. */
  digest: string;
}

function required(goMod: string, module: string, file: string): string {
  const match = new RegExp(`^\\s*(?:require\\s+)?${module.replaceAll('.', '\\.')}\\s+(v\\S+)`, 'm').exec(goMod);
  if (!match) throw new Error(`${file} does not require ${module}`);
  return match[1]!;
}

export function readVersions(): Versions {
  const files = ['k8s/go.mod', 'k8s/go.sum', 'kwok/go.mod', 'kwok/go.sum', 'coredns/go.mod', 'coredns/go.sum', 'coredns/main.go'].map((f) =>
    join(GO_MODULES_DIR, f),
  );
  const [k8sMod, , kwokMod, , corednsMod] = files.map((f) => readFileSync(f, 'utf8'));
  return {
    kubernetes: required(k8sMod!, 'k8s.io/kubernetes', 'k8s/go.mod'),
    etcd: required(k8sMod!, 'go.etcd.io/etcd/server/v3', 'k8s/go.mod'),
    kwok: required(kwokMod!, 'sigs.k8s.io/kwok', 'kwok/go.mod'),
    coredns: required(corednsMod!, 'github.com/coredns/coredns', 'coredns/go.mod'),
    digest: moduleDigest(files),
  };
}

export function cacheKey(v: Versions): string {
  return `k8s-${v.kubernetes}_etcd-${v.etcd}_kwok-${v.kwok}_coredns-${v.coredns}_${v.digest}`;
}
