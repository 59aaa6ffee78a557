import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';
import { SandboxError } from '../errors.ts';

/** How to reach and authenticate to the API server: what a kubeconfig context or in-cluster config resolves to. */
export interface ClusterAccess {
  server: string;
  /** The context's namespace (or the Pod's, in cluster). */
  namespace?: string;
  ca?: Uint8Array;
  cert?: Uint8Array;
  key?: Uint8Array;
  insecureSkipTlsVerify?: boolean;
  servername?: string;
  /** A bearer token for this request: static, re-read from a file, or from an exec plugin. */
  token?: () => Promise<string | undefined>;
  basicAuth?: string;
}

interface NamedCluster {
  name: string;
  cluster: Record<string, unknown>;
}
interface NamedUser {
  name: string;
  user: Record<string, unknown>;
}
interface NamedContext {
  name: string;
  context: { cluster: string; user: string; namespace?: string };
}
interface KubeConfigFile {
  clusters?: NamedCluster[];
  users?: NamedUser[];
  contexts?: NamedContext[];
  'current-context'?: string;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The configuration a client uses by default, as kubectl finds it: `path` when given, else the
 * files in $KUBECONFIG (merged, first one wins), else ~/.kube/config, else the in-cluster
 * ServiceAccount.
 */
export function loadClusterAccess(options: { kubeconfig?: string; context?: string } = {}): ClusterAccess {
  const files = options.kubeconfig
    ? [options.kubeconfig]
    : (process.env.KUBECONFIG ?? '').split(delimiter).filter(Boolean).length > 0
      ? (process.env.KUBECONFIG ?? '').split(delimiter).filter(Boolean)
      : [join(homedir(), '.kube', 'config')];
  const existing = files.filter((f) => existsSync(f));
  if (existing.length === 0) {
    if (!options.kubeconfig && process.env.KUBERNETES_SERVICE_HOST) return inClusterAccess();
    throw new SandboxError(`no kubeconfig found (looked at ${files.join(', ')}) and not running in a cluster`);
  }
  return fromKubeConfig(existing, options.context);
}

/** The Pod's own ServiceAccount: the token is re-read as the kubelet rotates it. */
export function inClusterAccess(): ClusterAccess {
  const host = process.env.KUBERNETES_SERVICE_HOST;
  const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host) throw new SandboxError('not in a cluster: KUBERNETES_SERVICE_HOST is not set');
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    server,
    ca: readFileSync(join(SA_DIR, 'ca.crt')),
    namespace: readOptional(join(SA_DIR, 'namespace'))?.trim(),
    token: fileToken(join(SA_DIR, 'token')),
  };
}

function fromKubeConfig(files: string[], contextName?: string): ClusterAccess {
  const merged: Required<Pick<KubeConfigFile, 'clusters' | 'users' | 'contexts'>> & { current?: string } = { clusters: [], users: [], contexts: [] };
  for (const file of files) {
    const doc = (parse(readFileSync(file, 'utf8')) ?? {}) as KubeConfigFile;
    const base = dirname(file);
    // Relative paths in a kubeconfig are relative to that file.
    for (const c of doc.clusters ?? []) if (!merged.clusters.some((m) => m.name === c.name)) merged.clusters.push({ ...c, cluster: absolutize(c.cluster ?? {}, base) });
    for (const u of doc.users ?? []) if (!merged.users.some((m) => m.name === u.name)) merged.users.push({ ...u, user: absolutize(u.user ?? {}, base) });
    for (const c of doc.contexts ?? []) if (!merged.contexts.some((m) => m.name === c.name)) merged.contexts.push(c);
    merged.current ??= doc['current-context'] || undefined;
  }
  const name = contextName ?? merged.current;
  const context = merged.contexts.find((c) => c.name === name)?.context;
  if (!context) throw new SandboxError(`kubeconfig: context "${name ?? ''}" not found`);
  const cluster = merged.clusters.find((c) => c.name === context.cluster)?.cluster;
  if (!cluster) throw new SandboxError(`kubeconfig: cluster "${context.cluster}" not found`);
  const user = merged.users.find((u) => u.name === context.user)?.user ?? {};

  const access: ClusterAccess = {
    server: String(cluster.server ?? ''),
    namespace: context.namespace,
    ca: material(cluster['certificate-authority-data'], cluster['certificate-authority']),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
    servername: cluster['tls-server-name'] as string | undefined,
    cert: material(user['client-certificate-data'], user['client-certificate']),
    key: material(user['client-key-data'], user['client-key']),
  };
  if (!access.server) throw new SandboxError(`kubeconfig: cluster "${context.cluster}" has no server`);
  if (typeof user.token === 'string' && user.token) {
    const token = user.token;
    access.token = async () => token;
  } else if (typeof user.tokenFile === 'string') access.token = fileToken(user.tokenFile);
  else if (user.exec) access.token = execToken(user.exec as ExecConfig, access.server);
  else if (user['auth-provider']) {
    throw new SandboxError('kubeconfig: auth-provider users are not supported; use an exec plugin or a token');
  }
  if (typeof user.username === 'string' && typeof user.password === 'string') access.basicAuth = `${user.username}:${user.password}`;
  return access;
}

function absolutize(entry: Record<string, unknown>, base: string): Record<string, unknown> {
  const out = { ...entry };
  for (const key of ['certificate-authority', 'client-certificate', 'client-key', 'tokenFile']) {
    const value = out[key];
    if (typeof value === 'string' && value && !isAbsolute(value)) out[key] = join(base, value);
  }
  return out;
}

function material(data: unknown, file: unknown): Buffer | undefined {
  if (typeof data === 'string' && data) return Buffer.from(data, 'base64');
  if (typeof file === 'string' && file) return readFileSync(file);
  return undefined;
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** A token file, re-read at most once a minute (projected tokens rotate). */
function fileToken(path: string): () => Promise<string | undefined> {
  let cached: { token: string; at: number } | undefined;
  return async () => {
    if (!cached || Date.now() - cached.at > 60_000) cached = { token: readFileSync(path, 'utf8').trim(), at: Date.now() };
    return cached.token;
  };
}

interface ExecConfig {
  command: string;
  args?: string[];
  env?: Array<{ name: string; value: string }>;
  apiVersion?: string;
}

/** A client-go credential plugin: runs it, keeps the token until shortly before it expires. */
function execToken(config: ExecConfig, server: string): () => Promise<string | undefined> {
  let cached: { token: string; expiresAt: number } | undefined;
  return async () => {
    if (cached && cached.expiresAt - 30_000 > Date.now()) return cached.token;
    const apiVersion = config.apiVersion ?? 'client.authentication.k8s.io/v1';
    const env: Record<string, string | undefined> = { ...process.env, KUBERNETES_EXEC_INFO: JSON.stringify({ apiVersion, kind: 'ExecCredential', spec: { cluster: { server }, interactive: false } }) };
    for (const e of config.env ?? []) env[e.name] = e.value;
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(config.command, config.args ?? [], { env, timeout: 60_000 }, (err, out) => (err ? reject(new SandboxError(`kubeconfig exec plugin ${config.command} failed: ${err.message}`)) : resolve(out)));
    });
    const status = (JSON.parse(stdout) as { status?: { token?: string; expirationTimestamp?: string } }).status ?? {};
    if (!status.token) throw new SandboxError(`kubeconfig exec plugin ${config.command} returned no token`);
    cached = { token: status.token, expiresAt: status.expirationTimestamp ? Date.parse(status.expirationTimestamp) : Date.now() + 5 * 60_000 };
    return cached.token;
  };
}
