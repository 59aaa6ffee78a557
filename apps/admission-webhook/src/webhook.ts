/**
 * Wiring: policy → certificate → HTTPS server (→ caBundle patching). Used by main.ts and,
 * in-process, by the integration tests and the benchmark.
 */
import type { AddressInfo } from 'node:net';
import { KubeClient, type BindAddress, type KubeConnection } from '@agent-sandbox/runtime';
import type { Logger, Registry } from '@agent-sandbox/telemetry';
import { patchCaBundle, type CaBundleTarget } from './kube/ca-bundle.ts';
import { claimTemplateLookup } from './kube/claim-template.ts';
import { poolCeilingLookup } from './kube/pool-ceiling.ts';
import { PolicySource } from './policy/policy-source.ts';
import type { Policy } from './policy/policy.ts';
import { WebhookMetrics } from './server/metrics.ts';
import { WebhookServer } from './server/webhook-server.ts';
import { checkCertificatePair, loadCertificateDir, watchCertificateDir, type LoadedCertificate } from './tls/certificate-files.ts';
import type { FileWatch } from './util/file-watch.ts';
import { systemNanoClock, type NanoClock } from './util/timestamp.ts';

export interface WebhookOptions {
  bind: BindAddress;
  log: Logger;
  registry?: Registry;
  policy: Policy;
  policyFile?: string;
  /** Directory with tls.crt and tls.key; unset: generate a certificate for `dnsNames`. */
  certDir?: string;
  dnsNames?: readonly string[];
  reloadIntervalMs?: number;
  /** How long the webhook goes on serving when asked to stop (see WebhookServer.close); default 0. */
  shutdownDelayMs?: number;
  /** Reads pools on scale reviews and, with a generated certificate, patches caBundles. */
  kubeConfig?: KubeConnection;
  caBundleTargets?: readonly CaBundleTarget[];
  clock?: NanoClock;
}

export interface RunningWebhook {
  address: AddressInfo;
  /** The CA of a generated certificate (PEM); undefined with a certificate directory. */
  caPem: string | undefined;
  policy: PolicySource;
  metrics: WebhookMetrics | undefined;
  /** Fingerprint of the certificate new connections get. */
  certificateFingerprint(): string;
  /** True once every caBundle target has been patched (always true without targets). */
  caBundlePatched(): boolean;
  stop(): Promise<void>;
}

export async function startWebhook(options: WebhookOptions): Promise<RunningWebhook> {
  const { log } = options;
  const intervalMs = options.reloadIntervalMs ?? 10_000;
  const metrics = options.registry ? new WebhookMetrics(options.registry) : undefined;
  const policy = new PolicySource({
    base: options.policy,
    file: options.policyFile ?? '',
    intervalMs,
    log,
    onReload: (result) => metrics?.policyReloads.inc({ result }),
  });
  await policy.start();

  let certificate: LoadedCertificate;
  let caPem: string | undefined;
  if (options.certDir) {
    certificate = await loadCertificateDir(options.certDir);
    log.info({ dir: options.certDir, notAfter: certificate.notAfter.toISOString() }, 'serving certificate loaded');
  } else {
    // Loaded only here: the X.509 library is most of the bundle's start-up memory, and an
    // installed webhook (certificate mounted from a Secret) never needs it.
    const { generateServingCertificate } = await import('./tls/generate.ts');
    const generated = await generateServingCertificate(options.dnsNames ?? ['localhost', '127.0.0.1']);
    certificate = checkCertificatePair(Buffer.from(generated.certPem), Buffer.from(generated.keyPem));
    caPem = generated.caPem;
    log.info({ names: options.dnsNames, notAfter: certificate.notAfter.toISOString() }, 'generated a serving certificate');
  }
  metrics?.certificateNotAfter.set(certificate.notAfter.getTime() / 1000);

  const client = options.kubeConfig ? new KubeClient(options.kubeConfig) : undefined;
  const server = new WebhookServer({
    certificate: { cert: certificate.cert, key: certificate.key },
    log,
    ...(metrics ? { metrics } : {}),
    context: {
      policy: () => policy.current(),
      nowNs: options.clock ?? systemNanoClock,
      ...(client ? { poolMaxReplicas: poolCeilingLookup(client), claimTemplateMetadata: claimTemplateLookup(client) } : {}),
    },
  });

  let certWatch: FileWatch | undefined;
  if (options.certDir) {
    certWatch = watchCertificateDir(
      {
        dir: options.certDir,
        intervalMs,
        onCertificate: (loaded) => {
          server.setCertificate({ cert: loaded.cert, key: loaded.key });
          certificate = loaded;
          metrics?.certificateReloads.inc({ result: 'success' });
          metrics?.certificateNotAfter.set(loaded.notAfter.getTime() / 1000);
          log.info({ notAfter: loaded.notAfter.toISOString(), fingerprint: loaded.fingerprint }, 'serving certificate reloaded');
        },
        onError: (err) => {
          metrics?.certificateReloads.inc({ result: 'failure' });
          log.warn({ reason: err.message }, 'serving certificate not reloaded; the current one stays');
        },
      },
      certificate,
    );
  }

  const address = await server.listen(options.bind);
  log.info({ address: address.address, port: address.port }, 'serving admission webhooks over HTTPS');

  const targets = caPem && client ? (options.caBundleTargets ?? []) : [];
  const pending = new Set(targets);
  const patcher = new AbortController();
  if (caPem && client && pending.size > 0) {
    void keepPatching(client, pending, Buffer.from(caPem).toString('base64'), log, patcher.signal);
  }

  return {
    address,
    caPem,
    policy,
    metrics,
    certificateFingerprint: () => certificate.fingerprint,
    caBundlePatched: () => pending.size === 0,
    async stop() {
      patcher.abort();
      // Still serving with the current policy and certificate while it drains.
      await server.close(options.shutdownDelayMs ?? 0);
      certWatch?.close();
      policy.close();
      client?.close();
    },
  };
}

/** Patches until every target has the CA, backing off from 1 s to 30 s between rounds. */
async function keepPatching(kc: KubeClient, pending: Set<CaBundleTarget>, caBundle: string, log: Logger, signal: AbortSignal): Promise<void> {
  let delay = 1_000;
  while (pending.size > 0 && !signal.aborted) {
    for (const target of [...pending]) {
      try {
        if (await patchCaBundle(kc, target, caBundle)) {
          pending.delete(target);
          log.info({ kind: target.kind, name: target.name }, 'caBundle patched');
        } else {
          log.warn({ kind: target.kind, name: target.name }, 'webhook configuration not found; will retry');
        }
      } catch (err) {
        log.warn({ kind: target.kind, name: target.name, reason: (err as Error).message }, 'caBundle patch failed; will retry');
      }
    }
    if (pending.size === 0) return;
    await new Promise((resolve) => setTimeout(resolve, delay).unref());
    delay = Math.min(delay * 2, 30_000);
  }
}
