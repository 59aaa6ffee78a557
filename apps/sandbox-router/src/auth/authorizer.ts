import { createHash } from 'node:crypto';
import { SANDBOX, SANDBOX_CLAIM } from '@agent-sandbox/api';
import type { Clock, KubeClient } from '@agent-sandbox/runtime';
import { TtlCache } from './ttl-cache.ts';

/** Who a bearer token belongs to, as TokenReview says. */
export interface UserInfo {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export type Decision =
  | { kind: 'allowed'; user: UserInfo; cached: boolean }
  | { kind: 'unauthenticated'; detail: string }
  | { kind: 'forbidden'; user: UserInfo; detail: string; cached: boolean };

/** The API server could not be asked: 503, and nothing cached. */
export class AuthorizationUnavailable extends Error {
  override name = 'AuthorizationUnavailable';
}

export interface AuthorizerOptions {
  client: KubeClient;
  /** How long a token's identity and an allow or deny stay cached. */
  ttlMs: number;
  /** Audiences a token must be meant for (empty: the API server's own). */
  audiences?: string[];
  maxEntries?: number;
  clock?: Clock;
}

interface TokenReviewStatus {
  authenticated?: boolean;
  user?: UserInfo;
  error?: string;
}

/**
 * [ext] Whether the caller may use a Sandbox: its bearer token is checked with a TokenReview,
 * then a SubjectAccessReview asks whether that user may `get` the claim that holds the Sandbox
 * or the Sandbox itself. Both answers are cached briefly by a hash of the token (never the
 * token itself), so a stream of requests costs one review per TTL.
 */
export class Authorizer {
  readonly #client: KubeClient;
  readonly #ttlMs: number;
  readonly #audiences: string[];
  readonly #identities: TtlCache<TokenReviewStatus>;
  readonly #access: TtlCache<{ allowed: boolean; via?: string }>;

  constructor(options: AuthorizerOptions) {
    this.#client = options.client;
    this.#ttlMs = options.ttlMs;
    this.#audiences = options.audiences ?? [];
    const cacheOptions = { maxEntries: options.maxEntries ?? 10_000, clock: options.clock };
    this.#identities = new TtlCache(cacheOptions);
    this.#access = new TtlCache(cacheOptions);
  }

  async authorize(authorization: string | undefined, target: { namespace: string; name: string; claim?: string }): Promise<Decision> {
    const token = bearerToken(authorization);
    if (!token) return { kind: 'unauthenticated', detail: 'a bearer token is required (Authorization: Bearer <token>)' };
    const tokenKey = createHash('sha256').update(token).digest('hex');
    const { value: review } = await this.#identities.get(tokenKey, async () => ({ value: await this.#review(token), ttlMs: this.#ttlMs }));
    if (!review.authenticated || !review.user?.username) {
      return { kind: 'unauthenticated', detail: `the bearer token was not accepted${review.error ? ` (${review.error})` : ''}` };
    }
    const user = review.user;
    const accessKey = `${tokenKey}/${target.namespace}/${target.name}/${target.claim ?? ''}`;
    const { value, cached } = await this.#access.get(accessKey, async () => ({ value: await this.#mayGet(user, target), ttlMs: this.#ttlMs }));
    if (value.allowed) return { kind: 'allowed', user, cached };
    const what = target.claim
      ? `get sandboxclaims "${target.claim}" or sandboxes "${target.name}" in namespace "${target.namespace}"`
      : `get sandboxes "${target.name}" in namespace "${target.namespace}"`;
    return { kind: 'forbidden', user, cached, detail: `user "${user.username}" may not ${what}` };
  }

  async #review(token: string): Promise<TokenReviewStatus> {
    const body = {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      spec: { token, ...(this.#audiences.length ? { audiences: this.#audiences } : {}) },
    };
    try {
      const res = await this.#client.request<{ status?: TokenReviewStatus }>('POST', '/apis/authentication.k8s.io/v1/tokenreviews', { body, timeoutMs: 10_000 });
      return res.status ?? {};
    } catch (err) {
      throw new AuthorizationUnavailable(`TokenReview failed: ${(err as Error).message}`);
    }
  }

  /** The claim first (what a user of the SDK is usually granted), then the Sandbox. */
  async #mayGet(user: UserInfo, target: { namespace: string; name: string; claim?: string }): Promise<{ allowed: boolean; via?: string }> {
    if (target.claim && (await this.#reviewAccess(user, target.namespace, SANDBOX_CLAIM.group, SANDBOX_CLAIM.plural, target.claim))) {
      return { allowed: true, via: 'sandboxclaims' };
    }
    if (await this.#reviewAccess(user, target.namespace, SANDBOX.group, SANDBOX.plural, target.name)) return { allowed: true, via: 'sandboxes' };
    return { allowed: false };
  }

  async #reviewAccess(user: UserInfo, namespace: string, group: string, resource: string, name: string): Promise<boolean> {
    const body = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: user.username,
        ...(user.uid ? { uid: user.uid } : {}),
        ...(user.groups ? { groups: user.groups } : {}),
        ...(user.extra ? { extra: user.extra } : {}),
        resourceAttributes: { namespace, verb: 'get', group, resource, name },
      },
    };
    try {
      const res = await this.#client.request<{ status?: { allowed?: boolean } }>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', { body, timeoutMs: 10_000 });
      return res.status?.allowed === true;
    } catch (err) {
      throw new AuthorizationUnavailable(`SubjectAccessReview failed: ${(err as Error).message}`);
    }
  }
}

export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1];
}
