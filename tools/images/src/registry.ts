import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { sha256, type BlobStore } from './blobs.ts';
import { MEDIA_TYPES } from './oci.ts';

/**
 * A client for the OCI distribution API, enough to push and check images: blob existence
 * (HEAD), monolithic blob upload (POST + PUT ?digest=), cross-repository mount, manifest PUT and
 * GET. HTTPS by default; plain HTTP for loopback registries or when asked. Basic and bearer
 * (token) authentication with credentials from the environment or Docker's config.json.
 */

export interface ParsedRef {
  /** host[:port] as written (`docker.io` for Docker Hub). */
  registry: string;
  /** Repository path (`agent-sandbox/pause`; `library/x` on Docker Hub). */
  repository: string;
  tag: string;
}

function looksLikeHost(part: string): boolean {
  return part === 'localhost' || part.includes('.') || part.includes(':');
}

/** `localhost:5001/agent-sandbox/pause:0.1.0` → registry, repository, tag. */
export function parseRef(ref: string): ParsedRef {
  const at = ref.indexOf('@');
  if (at !== -1) throw new Error(`image reference ${ref}: push by tag, not by digest`);
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  const hasTag = colon > slash;
  const name = hasTag ? ref.slice(0, colon) : ref;
  const tag = hasTag ? ref.slice(colon + 1) : 'latest';
  const parts = name.split('/');
  let registry = 'docker.io';
  if (parts.length > 1 && looksLikeHost(parts[0]!)) registry = parts.shift()!;
  if (registry === 'docker.io' && parts.length === 1) parts.unshift('library');
  const repository = parts.join('/');
  if (!/^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-]+[a-z0-9]+)*)*$/.test(repository)) throw new Error(`image reference ${ref}: invalid repository ${repository}`);
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(tag)) throw new Error(`image reference ${ref}: invalid tag ${tag}`);
  return { registry, repository, tag };
}

/**
 * The same image under another registry: `localhost:5001/agent-sandbox/pause:0.1.0` with
 * `ghcr.io/acme` → `ghcr.io/acme/agent-sandbox/pause:0.1.0`.
 */
export function retarget(ref: string, registry: string): string {
  const r = parseRef(ref);
  const target = registry.replace(/^[a-z]+:\/\//, '').replace(/\/+$/, '');
  if (target === '') throw new Error('--push needs a registry (host[:port][/path])');
  return `${target}/${r.repository}:${r.tag}`;
}

export function isLoopbackHost(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export interface Credentials {
  username: string;
  password: string;
}

/**
 * Credentials for `registry`: AGENT_SANDBOX_REGISTRY_USERNAME / _PASSWORD when set, else the
 * `auths` entry of Docker's config.json ($DOCKER_CONFIG/config.json or ~/.docker/config.json).
 * Credential helpers (credsStore, credHelpers) are not run: that is said plainly when one is
 * configured for the registry and nothing else is.
 */
export function credentialsFor(registry: string, env: NodeJS.ProcessEnv = process.env): Credentials | undefined {
  if (env.AGENT_SANDBOX_REGISTRY_USERNAME && env.AGENT_SANDBOX_REGISTRY_PASSWORD !== undefined) {
    return { username: env.AGENT_SANDBOX_REGISTRY_USERNAME, password: env.AGENT_SANDBOX_REGISTRY_PASSWORD };
  }
  const file = join(env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), '.docker'), 'config.json');
  if (!existsSync(file)) return undefined;
  const config = JSON.parse(readFileSync(file, 'utf8')) as {
    auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
    credsStore?: string;
    credHelpers?: Record<string, string>;
  };
  const keys = registry === 'docker.io' ? ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io'] : [registry, `https://${registry}`, `http://${registry}`];
  for (const k of keys) {
    const a = config.auths?.[k];
    if (!a) continue;
    if (a.username && a.password !== undefined) return { username: a.username, password: a.password };
    if (a.auth) {
      const decoded = Buffer.from(a.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
  }
  const helper = config.credHelpers?.[registry] ?? config.credsStore;
  if (helper) {
    throw new Error(
      `${file} keeps the credentials for ${registry} in the credential helper "${helper}", which this tool does not run: ` +
        'set AGENT_SANDBOX_REGISTRY_USERNAME and AGENT_SANDBOX_REGISTRY_PASSWORD instead',
    );
  }
  return undefined;
}

/** `Bearer realm="https://…",service="…",scope="…"` → scheme and parameters. */
export function parseWwwAuthenticate(header: string): { scheme: string; params: Record<string, string> } {
  const m = /^\s*(\S+)\s*(.*)$/.exec(header);
  if (!m) return { scheme: '', params: {} };
  const params: Record<string, string> = {};
  const re = /([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (let p = re.exec(m[2]!); p; p = re.exec(m[2]!)) params[p[1]!.toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
  return { scheme: m[1]!.toLowerCase(), params };
}

export interface RegistryOptions {
  /** Plain HTTP even for a non-loopback registry (loopback registries are always plain HTTP). */
  insecure?: boolean;
  credentials?: Credentials;
  env?: NodeJS.ProcessEnv;
}

export class RegistryClient {
  readonly registry: string;
  readonly base: string;
  readonly #opts: RegistryOptions;
  #authorization: string | undefined;

  constructor(registry: string, opts: RegistryOptions = {}) {
    this.registry = registry;
    const host = registry === 'docker.io' ? 'registry-1.docker.io' : registry;
    this.base = `${opts.insecure || isLoopbackHost(registry) ? 'http' : 'https'}://${host}`;
    this.#opts = opts;
  }

  /** Looked up only when the registry asks: a registry without authentication needs none. */
  #credentials(): Credentials | undefined {
    return this.#opts.credentials ?? credentialsFor(this.registry, this.#opts.env);
  }

  /**
   * One API call, answering an authentication challenge once. `scope` is what a bearer token
   * must grant (several, space-separated), e.g. `repository:a/b:pull,push`.
   */
  async request(method: string, pathOrUrl: string, init: { headers?: Record<string, string>; body?: Buffer; scope: string }): Promise<Response> {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${this.base}${pathOrUrl}`;
    const send = () =>
      fetch(url, {
        method,
        headers: { ...init.headers, ...(this.#authorization ? { authorization: this.#authorization } : {}) },
        ...(init.body ? { body: init.body } : {}),
        redirect: 'follow',
      }).catch((err: Error & { cause?: Error }) => {
        throw new Error(`${method} ${url}: ${err.cause?.message ?? err.message}`);
      });
    let res = await send();
    if (res.status === 401) {
      const challenge = res.headers.get('www-authenticate');
      await res.body?.cancel();
      if (!challenge) throw new Error(`${method} ${url}: HTTP ${res.status} without an authentication challenge`);
      await this.#authenticate(challenge, init.scope);
      res = await send();
      if (res.status === 401) {
        await res.body?.cancel();
        const creds = this.#credentials();
        const who = creds ? `the credentials of ${creds.username}` : 'anonymous access';
        throw new Error(`registry ${this.registry} refused ${who} for ${method} ${new URL(url).pathname} (HTTP 401)`);
      }
    }
    return res;
  }

  async #authenticate(challenge: string, scope: string): Promise<void> {
    const { scheme, params } = parseWwwAuthenticate(challenge);
    const creds = this.#credentials();
    if (scheme === 'basic') {
      if (!creds) throw new Error(`registry ${this.registry} needs credentials: set AGENT_SANDBOX_REGISTRY_USERNAME/PASSWORD or log in with docker`);
      this.#authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
      return;
    }
    if (scheme !== 'bearer' || !params.realm) throw new Error(`registry ${this.registry}: unsupported authentication challenge ${JSON.stringify(challenge)}`);
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    for (const one of scope.split(' ')) url.searchParams.append('scope', one);
    const res = await fetch(url, {
      headers: creds ? { authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` } : {},
    });
    if (!res.ok) {
      throw new Error(`registry ${this.registry}: the token service ${url.origin} refused ${creds ? `user ${creds.username}` : 'anonymous access'} for ${scope} (HTTP ${res.status})`);
    }
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new Error(`registry ${this.registry}: the token service answered without a token`);
    this.#authorization = `Bearer ${token}`;
  }

  async blobExists(repository: string, digest: string, scope = `repository:${repository}:pull`): Promise<number | undefined> {
    const res = await this.request('HEAD', `/v2/${repository}/blobs/${digest}`, { scope });
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`HEAD blob ${digest} in ${this.registry}/${repository}: HTTP ${res.status}`);
    return Number(res.headers.get('content-length') ?? -1);
  }

  /**
   * Uploads one blob unless the repository has it: tries a cross-repository mount from
   * `mountFrom` first, then a monolithic upload, and checks with HEAD that it is there.
   */
  async pushBlob(repository: string, digest: string, data: () => Promise<Buffer>, mountFrom?: string): Promise<'present' | 'mounted' | 'uploaded'> {
    const scope = `repository:${repository}:pull,push`;
    if ((await this.blobExists(repository, digest, scope)) !== undefined) return 'present';
    const mount = mountFrom && mountFrom !== repository ? `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(mountFrom)}` : '';
    const start = await this.request('POST', `/v2/${repository}/blobs/uploads/${mount}`, {
      scope: mount ? `${scope} repository:${mountFrom}:pull` : scope,
      headers: { 'content-length': '0' },
    });
    if (start.status === 201) {
      await start.body?.cancel();
      return 'mounted';
    }
    if (start.status !== 202) throw new Error(`POST upload of ${digest} to ${this.registry}/${repository}: HTTP ${start.status} ${await start.text()}`);
    const location = start.headers.get('location');
    await start.body?.cancel();
    if (!location) throw new Error(`POST upload to ${this.registry}/${repository}: no Location`);
    const put = new URL(location, this.base);
    put.searchParams.set('digest', digest);
    const body = await data();
    const res = await this.request('PUT', put.toString(), {
      scope,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(body.length) },
      body,
    });
    if (res.status !== 201) throw new Error(`PUT blob ${digest} to ${this.registry}/${repository}: HTTP ${res.status} ${await res.text()}`);
    await res.body?.cancel();
    const size = await this.blobExists(repository, digest, scope);
    if (size === undefined) throw new Error(`${this.registry}/${repository} accepted blob ${digest} but does not have it`);
    if (size >= 0 && size !== body.length) throw new Error(`${this.registry}/${repository} has blob ${digest} with ${size} bytes, ${body.length} were sent`);
    return 'uploaded';
  }

  async putManifest(repository: string, tag: string, manifest: Buffer, mediaType: string): Promise<string> {
    const res = await this.request('PUT', `/v2/${repository}/manifests/${tag}`, {
      scope: `repository:${repository}:pull,push`,
      headers: { 'content-type': mediaType, 'content-length': String(manifest.length) },
      body: manifest,
    });
    if (res.status !== 201) throw new Error(`PUT manifest ${repository}:${tag} to ${this.registry}: HTTP ${res.status} ${await res.text()}`);
    await res.body?.cancel();
    const expected = sha256(manifest);
    const reported = res.headers.get('docker-content-digest');
    if (reported && reported !== expected) throw new Error(`${this.registry} stored manifest ${repository}:${tag} as ${reported}, expected ${expected}`);
    return expected;
  }

  async getManifest(repository: string, reference: string): Promise<{ digest: string; mediaType: string; body: Buffer }> {
    const res = await this.request('GET', `/v2/${repository}/manifests/${reference}`, {
      scope: `repository:${repository}:pull`,
      headers: { accept: [MEDIA_TYPES.manifest, MEDIA_TYPES.index, 'application/vnd.docker.distribution.manifest.v2+json'].join(', ') },
    });
    if (!res.ok) throw new Error(`GET manifest ${repository}:${reference} from ${this.registry}: HTTP ${res.status}`);
    const body = Buffer.from(await res.arrayBuffer());
    return { digest: sha256(body), mediaType: res.headers.get('content-type') ?? '', body };
  }
}

/** What push needs of a built image: its manifest digest and the store holding its blobs. */
export interface PushableImage {
  digest: string;
  blobs: BlobStore;
}

export interface PushResult {
  ref: string;
  digest: string;
  /** Blobs sent / mounted from another repository / already there. */
  uploaded: number;
  mounted: number;
  present: number;
}

/** Repositories this process has pushed each blob to, per registry (for cross-repository mounts). */
const pushedTo = new Map<string, string>();

/** Pushes an image (layers, config, then the manifest under its tag) to `ref`. */
export async function pushImage(image: PushableImage, ref: string, opts: RegistryOptions = {}): Promise<PushResult> {
  const target = parseRef(ref);
  const client = new RegistryClient(target.registry, opts);
  const manifest = await image.blobs.get(image.digest);
  const doc = JSON.parse(manifest.toString('utf8')) as { mediaType: string; config: { digest: string }; layers: { digest: string }[] };
  const result: PushResult = { ref, digest: image.digest, uploaded: 0, mounted: 0, present: 0 };
  for (const digest of [...doc.layers.map((l) => l.digest), doc.config.digest]) {
    const key = `${target.registry} ${digest}`;
    const outcome = await client.pushBlob(target.repository, digest, () => image.blobs.get(digest), pushedTo.get(key));
    result[outcome] += 1;
    pushedTo.set(key, target.repository);
  }
  const digest = await client.putManifest(target.repository, target.tag, manifest, doc.mediaType);
  if (digest !== image.digest) throw new Error(`pushed manifest digest ${digest} differs from the built ${image.digest}`);
  return result;
}

/** The digest of the manifest `ref` names in its registry. */
export async function remoteDigest(ref: string, opts: RegistryOptions = {}): Promise<string> {
  const r = parseRef(ref);
  return (await new RegistryClient(r.registry, opts).getManifest(r.repository, r.tag)).digest;
}
