/**
 * Kubeconfig loading for the programs, without loading a whole Kubernetes client library for
 * it (that library alone was most of each program's memory). What the programs use:
 *
 * - where from: `--kubeconfig`, else KUBECONFIG (a list of files, merged as kubectl merges:
 *   the first file naming a cluster, user, context or current-context wins), else
 *   ~/.kube/config, else the in-cluster ServiceAccount (KUBERNETES_SERVICE_HOST/PORT, its CA,
 *   its token file);
 * - the file: JSON (what the tools write) or YAML (what kubectl writes; the YAML parser is
 *   loaded only for such a file); relative file paths are relative to the file's folder;
 * - the cluster: server, certificate-authority(-data), insecure-skip-tls-verify,
 *   tls-server-name;
 * - the user: token, tokenFile (read again at every credentials refresh, so a rotated
 *   ServiceAccount token is picked up), client-certificate(-data) / client-key(-data),
 *   username / password, `as` (impersonation), and exec credential plugins
 *   (client.authentication.k8s.io v1 and v1beta1: token or client certificate, cached until
 *   expirationTimestamp, KUBERNETES_EXEC_INFO given).
 *
 * A user with a legacy `auth-provider` (oidc, gcp, azure) is handed to
 * @kubernetes/client-node, loaded only then, which implements those.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type https from 'node:https';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import type { KubeConfig as ClientNodeKubeConfig } from '@kubernetes/client-node';

/** What a KubeClient needs of a kubeconfig; @kubernetes/client-node's KubeConfig has it too. */
export interface KubeConnection {
  getCurrentCluster(): { server: string } | null;
  /** Sets the TLS material, headers and basic auth of the moment on `opts`. */
  applyToHTTPSOptions(opts: https.RequestOptions): Promise<void>;
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface ExecConfig {
  command: string;
  args?: string[];
  env?: Array<{ name: string; value: string }>;
  apiVersion?: string;
  provideClusterInfo?: boolean;
}

export interface ClusterConfig {
  server: string;
  caFile?: string;
  caData?: string;
  insecureSkipTlsVerify?: boolean;
  tlsServerName?: string;
}

export interface UserConfig {
  token?: string;
  tokenFile?: string;
  certFile?: string;
  certData?: string;
  keyFile?: string;
  keyData?: string;
  username?: string;
  password?: string;
  impersonate?: string;
  impersonateGroups?: string[];
  exec?: ExecConfig;
  authProvider?: { name: string; config?: Record<string, string> };
}

export interface ResolvedKubeConfig {
  /** Where it came from: a file path, or `in-cluster`. */
  source: string;
  contextName: string;
  cluster: ClusterConfig;
  user: UserConfig;
  namespace?: string;
  /** The whole merged document, for a hand-over to @kubernetes/client-node. */
  document?: KubeconfigDocument;
}

export interface KubeconfigDocument {
  clusters?: Array<{ name: string; cluster?: Record<string, unknown> }>;
  users?: Array<{ name: string; user?: Record<string, unknown> }>;
  contexts?: Array<{ name: string; context?: Record<string, unknown> }>;
  'current-context'?: string;
  [key: string]: unknown;
}

export interface LoadOptions {
  env?: Readonly<Record<string, string | undefined>>;
  /** Home folder (for ~/.kube/config); default os.homedir(). */
  home?: string;
  /** ServiceAccount folder of the in-cluster configuration. */
  serviceAccountDir?: string;
  /** Use this context instead of current-context. */
  context?: string;
}

/** The credential an exec plugin printed, as client.authentication.k8s.io defines it. */
interface ExecCredentialStatus {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  expirationTimestamp?: string;
}

/** A kubeconfig's current context, with credentials read (and re-read) on demand. */
export class KubeConfigLoader implements KubeConnection {
  readonly config: ResolvedKubeConfig;
  readonly #env: Readonly<Record<string, string | undefined>>;
  #exec: { status: ExecCredentialStatus; expiresAt: number } | undefined;
  #execRunning: Promise<ExecCredentialStatus> | undefined;
  #delegate: Promise<KubeConnection> | undefined;

  constructor(config: ResolvedKubeConfig, env: Readonly<Record<string, string | undefined>> = process.env) {
    if (!config.cluster.server) throw new Error(`kubeconfig ${config.source}: cluster of context "${config.contextName}" has no server`);
    this.config = config;
    this.#env = env;
  }

  getCurrentCluster(): { name: string; server: string } {
    return { name: this.config.contextName, server: this.config.cluster.server.replace(/\/$/, '') };
  }

  /** The namespace the context names, if any. */
  get namespace(): string | undefined {
    return this.config.namespace;
  }

  async applyToHTTPSOptions(opts: https.RequestOptions): Promise<void> {
    const { cluster, user } = this.config;
    if (user.authProvider && user.authProvider.name !== 'tokenFile') return (await this.#legacyAuthProvider()).applyToHTTPSOptions(opts);
    if (cluster.insecureSkipTlsVerify) opts.rejectUnauthorized = false;
    if (cluster.tlsServerName) opts.servername = cluster.tlsServerName;
    const ca = fileOrData(cluster.caFile, cluster.caData);
    if (ca) opts.ca = ca;
    const cert = fileOrData(user.certFile, user.certData);
    if (cert) opts.cert = cert;
    const key = fileOrData(user.keyFile, user.keyData);
    if (key) opts.key = key;
    const headers = (opts.headers ??= {}) as Record<string, string | string[]>;
    if (user.impersonate) headers['Impersonate-User'] = user.impersonate;
    if (user.impersonateGroups?.length) headers['Impersonate-Group'] = user.impersonateGroups;
    let token = user.token;
    const tokenFile = user.tokenFile ?? user.authProvider?.config?.tokenFile;
    if (tokenFile) token = readFileSync(tokenFile, 'utf8').trim();
    if (user.exec) {
      const status = await this.#execCredential();
      if (status.token) token = status.token;
      if (status.clientCertificateData) opts.cert = status.clientCertificateData;
      if (status.clientKeyData) opts.key = status.clientKeyData;
    }
    if (token) headers.Authorization = `Bearer ${token}`;
    if (user.username) opts.auth = `${user.username}:${user.password ?? ''}`;
  }

  /** The exec plugin's credential: cached until it expires (or forever without expiry). */
  #execCredential(): Promise<ExecCredentialStatus> {
    if (this.#exec && this.#exec.expiresAt > Date.now()) return Promise.resolve(this.#exec.status);
    this.#execRunning ??= runExecPlugin(this.config, this.#env)
      .then((status) => {
        const expiry = status.expirationTimestamp ? Date.parse(status.expirationTimestamp) : Infinity;
        // Refreshed a little before it expires, so no request is sent with a dead token.
        this.#exec = { status, expiresAt: expiry - 10_000 };
        return status;
      })
      .finally(() => (this.#execRunning = undefined));
    return this.#execRunning;
  }

  #legacyAuthProvider(): Promise<KubeConnection> {
    this.#delegate ??= (async () => {
      let KubeConfig: typeof ClientNodeKubeConfig;
      try {
        ({ KubeConfig } = await import('@kubernetes/client-node'));
      } catch (err) {
        throw new Error(
          `kubeconfig ${this.config.source}: auth-provider "${this.config.user.authProvider?.name}" needs @kubernetes/client-node, which this program's build does not carry; use an exec credential plugin or a token instead`,
          { cause: err },
        );
      }
      const kc = new KubeConfig();
      const doc = this.config.document;
      if (!doc) throw new Error(`kubeconfig ${this.config.source}: auth-provider ${this.config.user.authProvider?.name} needs the kubeconfig document`);
      kc.loadFromString(JSON.stringify({ ...doc, 'current-context': this.config.contextName }));
      return kc;
    })();
    return this.#delegate;
  }
}

function fileOrData(file: string | undefined, data: string | undefined): Buffer | undefined {
  if (file) return readFileSync(file);
  if (data) return Buffer.from(data, 'base64');
  return undefined;
}

function runExecPlugin(config: ResolvedKubeConfig, env: Readonly<Record<string, string | undefined>>): Promise<ExecCredentialStatus> {
  const exec = config.user.exec!;
  const apiVersion = exec.apiVersion ?? 'client.authentication.k8s.io/v1beta1';
  const info: Record<string, unknown> = { apiVersion, kind: 'ExecCredential', spec: { interactive: false } };
  if (exec.provideClusterInfo) {
    const { cluster } = config;
    const caData = fileOrData(cluster.caFile, cluster.caData)?.toString('base64');
    (info.spec as Record<string, unknown>).cluster = {
      server: cluster.server,
      ...(cluster.tlsServerName ? { 'tls-server-name': cluster.tlsServerName } : {}),
      ...(cluster.insecureSkipTlsVerify ? { 'insecure-skip-tls-verify': true } : {}),
      ...(caData ? { 'certificate-authority-data': caData } : {}),
    };
  }
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) childEnv[k] = v;
  for (const { name, value } of exec.env ?? []) childEnv[name] = value;
  childEnv.KUBERNETES_EXEC_INFO = JSON.stringify(info);
  return new Promise((resolve, reject) => {
    execFile(exec.command, exec.args ?? [], { env: childEnv, timeout: 60_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      const what = `kubeconfig ${config.source}: exec plugin ${exec.command}`;
      if (err) {
        const how = typeof err.code === 'number' ? `exit code ${err.code}` : err.killed ? 'killed (timeout)' : err.message;
        return reject(new Error(`${what} failed (${how})${stderr ? `: ${String(stderr).trim().slice(0, 500)}` : ''}`));
      }
      let credential: { apiVersion?: string; kind?: string; status?: ExecCredentialStatus };
      try {
        credential = JSON.parse(String(stdout)) as typeof credential;
      } catch {
        return reject(new Error(`${what} printed no ExecCredential JSON`));
      }
      if (credential.kind !== 'ExecCredential' || !credential.status) return reject(new Error(`${what}: output has no ExecCredential status`));
      if (credential.apiVersion && credential.apiVersion !== apiVersion) return reject(new Error(`${what}: answered ${credential.apiVersion}, asked ${apiVersion}`));
      const { status } = credential;
      if (!status.token && !(status.clientCertificateData && status.clientKeyData)) return reject(new Error(`${what}: the credential has neither token nor client certificate and key`));
      resolve(status);
    });
  });
}

/** Parses a kubeconfig file's text: JSON, else YAML (the parser is loaded only then). */
export async function parseKubeconfigText(text: string, source: string): Promise<KubeconfigDocument> {
  let doc: unknown;
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new Error(`kubeconfig ${source}: not valid JSON: ${(err as Error).message}`, { cause: err });
    }
  } else {
    const { parse } = await import('yaml');
    try {
      doc = parse(text);
    } catch (err) {
      throw new Error(`kubeconfig ${source}: not valid YAML: ${(err as Error).message}`, { cause: err });
    }
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`kubeconfig ${source}: not a mapping`);
  return doc as KubeconfigDocument;
}

/** Named entries of a kubeconfig list, checked. */
function entries<K extends 'cluster' | 'user' | 'context'>(doc: KubeconfigDocument, list: 'clusters' | 'users' | 'contexts', field: K, source: string): Array<{ name: string } & Record<K, Record<string, unknown>>> {
  const raw = doc[list] ?? [];
  if (!Array.isArray(raw)) throw new Error(`kubeconfig ${source}: ${list} must be a list`);
  return raw.map((e: unknown, i) => {
    const entry = e as Record<string, unknown> | null;
    if (!entry || typeof entry.name !== 'string' || !entry.name) throw new Error(`kubeconfig ${source}: ${list}[${i}].name is missing`);
    const body = entry[field] ?? {};
    if (typeof body !== 'object' || Array.isArray(body)) throw new Error(`kubeconfig ${source}: ${list}[${i}].${field} must be a mapping`);
    return { name: entry.name, [field]: body } as { name: string } & Record<K, Record<string, unknown>>;
  });
}

/** Relative paths in a file are relative to its folder (as kubectl reads them). */
function absolutize(doc: KubeconfigDocument, dir: string): KubeconfigDocument {
  const abs = (p: unknown) => (typeof p === 'string' && p && !isAbsolute(p) ? join(dir, p) : p);
  const out: KubeconfigDocument = { ...doc };
  if (Array.isArray(doc.clusters)) {
    out.clusters = doc.clusters.map((c) => (c?.cluster ? { ...c, cluster: { ...c.cluster, 'certificate-authority': abs(c.cluster['certificate-authority']) } } : c));
  }
  if (Array.isArray(doc.users)) {
    out.users = doc.users.map((u) => {
      if (!u?.user) return u;
      const user: Record<string, unknown> = { ...u.user, 'client-certificate': abs(u.user['client-certificate']), 'client-key': abs(u.user['client-key']), tokenFile: abs(u.user.tokenFile) };
      const exec = u.user.exec as { command?: unknown } | undefined;
      // A command with a path separator is relative to the file; a bare name is looked up in PATH.
      if (exec && typeof exec.command === 'string' && exec.command.includes('/')) user.exec = { ...exec, command: abs(exec.command) };
      return { ...u, user };
    });
  }
  return out;
}

/** kubectl's merge of several files: the first file to name an entry (or current-context) wins. */
export function mergeKubeconfigs(docs: KubeconfigDocument[]): KubeconfigDocument {
  const merged: KubeconfigDocument = { clusters: [], users: [], contexts: [] };
  for (const doc of docs) {
    for (const list of ['clusters', 'users', 'contexts'] as const) {
      for (const entry of (doc[list] ?? []) as Array<{ name: string }>) {
        if (!(merged[list] as Array<{ name: string }>).some((e) => e.name === entry.name)) (merged[list] as Array<{ name: string }>).push(entry);
      }
    }
    if (!merged['current-context'] && doc['current-context']) merged['current-context'] = doc['current-context'];
  }
  return merged;
}

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/** The current (or named) context of a merged document, resolved. */
export function resolveKubeconfig(doc: KubeconfigDocument, source: string, contextName?: string): ResolvedKubeConfig {
  const name = contextName || doc['current-context'];
  if (!name) throw new Error(`kubeconfig ${source}: no current-context`);
  const context = entries(doc, 'contexts', 'context', source).find((c) => c.name === name);
  if (!context) throw new Error(`kubeconfig ${source}: context "${name}" not found`);
  const clusterName = str(context.context.cluster);
  const userName = str(context.context.user);
  const cluster = entries(doc, 'clusters', 'cluster', source).find((c) => c.name === clusterName);
  if (!cluster) throw new Error(`kubeconfig ${source}: cluster "${clusterName}" of context "${name}" not found`);
  const c = cluster.cluster;
  const server = str(c.server);
  if (!server) throw new Error(`kubeconfig ${source}: clusters[${clusterName}].cluster.server is missing`);
  const u = userName ? (entries(doc, 'users', 'user', source).find((e) => e.name === userName)?.user ?? undefined) : {};
  if (!u) throw new Error(`kubeconfig ${source}: user "${userName}" of context "${name}" not found`);
  const user: UserConfig = {};
  const set = <K extends keyof UserConfig>(key: K, value: UserConfig[K] | undefined) => {
    if (value !== undefined) user[key] = value;
  };
  set('token', str(u.token));
  set('tokenFile', str(u.tokenFile) ?? str(u['token-file']));
  set('certFile', str(u['client-certificate']));
  set('certData', str(u['client-certificate-data']));
  set('keyFile', str(u['client-key']));
  set('keyData', str(u['client-key-data']));
  set('username', str(u.username));
  set('password', str(u.password));
  set('impersonate', str(u.as));
  if (Array.isArray(u['as-groups'])) set('impersonateGroups', (u['as-groups'] as unknown[]).filter((g): g is string => typeof g === 'string'));
  if (u.exec) {
    const e = u.exec as Record<string, unknown>;
    if (!str(e.command)) throw new Error(`kubeconfig ${source}: users[${userName}].user.exec.command is missing`);
    set('exec', {
      command: e.command as string,
      ...(Array.isArray(e.args) ? { args: (e.args as unknown[]).map(String) } : {}),
      ...(Array.isArray(e.env) ? { env: (e.env as Array<{ name: unknown; value: unknown }>).map((v) => ({ name: String(v.name), value: String(v.value ?? '') })) } : {}),
      ...(str(e.apiVersion) ? { apiVersion: e.apiVersion as string } : {}),
      ...(e.provideClusterInfo === true ? { provideClusterInfo: true } : {}),
    });
  }
  if (u['auth-provider']) {
    const ap = u['auth-provider'] as { name?: unknown; config?: Record<string, string> };
    set('authProvider', { name: String(ap.name ?? ''), ...(ap.config ? { config: ap.config } : {}) });
  }
  return {
    source,
    contextName: name,
    cluster: {
      server,
      ...(str(c['certificate-authority']) ? { caFile: c['certificate-authority'] as string } : {}),
      ...(str(c['certificate-authority-data']) ? { caData: c['certificate-authority-data'] as string } : {}),
      ...(c['insecure-skip-tls-verify'] === true ? { insecureSkipTlsVerify: true } : {}),
      ...(str(c['tls-server-name']) ? { tlsServerName: c['tls-server-name'] as string } : {}),
    },
    user,
    ...(str(context.context.namespace) ? { namespace: context.context.namespace as string } : {}),
    document: doc,
  };
}

/** Reads and merges kubeconfig files (relative paths made absolute per file). */
export async function readKubeconfigFiles(paths: string[]): Promise<KubeconfigDocument> {
  const docs: KubeconfigDocument[] = [];
  for (const path of paths) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(`kubeconfig ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, { cause: err });
    }
    docs.push(absolutize(await parseKubeconfigText(text, path), dirname(path)));
  }
  return docs.length === 1 ? docs[0]! : mergeKubeconfigs(docs);
}

/** The in-cluster configuration of a Pod's ServiceAccount, or undefined outside a cluster. */
export function inClusterConfig(env: Readonly<Record<string, string | undefined>>, dir = SERVICE_ACCOUNT_DIR): ResolvedKubeConfig | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port || !existsSync(join(dir, 'token'))) return undefined;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  // As client-go and client-node: the insecure ports speak plain HTTP.
  const scheme = port === '80' || port === '8080' || port === '8001' ? 'http' : 'https';
  let namespace: string | undefined;
  try {
    namespace = readFileSync(join(dir, 'namespace'), 'utf8').trim() || undefined;
  } catch {
    namespace = undefined;
  }
  return {
    source: 'in-cluster',
    contextName: 'in-cluster',
    cluster: { server: `${scheme}://${hostPart}:${port}`, caFile: join(dir, 'ca.crt') },
    user: { tokenFile: join(dir, 'token') },
    ...(namespace ? { namespace } : {}),
  };
}

/**
 * The kubeconfig to use, or undefined when there is none: `path` when given, else KUBECONFIG,
 * ~/.kube/config, or the in-cluster ServiceAccount.
 */
export async function findKubeConfig(path: string, options: LoadOptions = {}): Promise<KubeConfigLoader | undefined> {
  const env = options.env ?? process.env;
  const load = async (paths: string[]) => {
    const doc = await readKubeconfigFiles(paths);
    return new KubeConfigLoader(resolveKubeconfig(doc, paths.join(delimiter), options.context), env);
  };
  if (path) return load([path]);
  const fromEnv = (env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  if (fromEnv.length > 0) {
    // kubectl skips listed files that do not exist, as long as one does.
    const present = fromEnv.filter((p) => existsSync(p));
    return load(present.length > 0 ? present : fromEnv);
  }
  const home = options.home ?? env.HOME ?? homedir();
  const homeConfig = join(home, '.kube', 'config');
  if (existsSync(homeConfig)) return load([homeConfig]);
  const inCluster = inClusterConfig(env, options.serviceAccountDir);
  return inCluster ? new KubeConfigLoader(inCluster, env) : undefined;
}

/** As findKubeConfig, but a program without any kubeconfig is told how to give one. */
export async function loadKubeConfig(path: string, options: LoadOptions = {}): Promise<KubeConfigLoader> {
  const kc = await findKubeConfig(path, options);
  if (!kc) throw new Error('no kubeconfig: pass --kubeconfig, set KUBECONFIG, create ~/.kube/config, or run in a Pod with a ServiceAccount token');
  return kc;
}
