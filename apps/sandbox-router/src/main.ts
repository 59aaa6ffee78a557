import { KubeClient, listenOn, loadKubeConfig, parseBindAddress, runProgram, traceExportReporter } from '@agent-sandbox/runtime';
import { createMetricsRegistry, metricsHandler, setupTracing } from '@agent-sandbox/telemetry';
import pkg from '../package.json' with { type: 'json' };
import { Authorizer } from './auth/authorizer.ts';
import { RouterMetrics } from './metrics.ts';
import { SandboxRouter } from './router.ts';
import { SandboxIndex } from './target/sandbox-index.ts';

const NAME = 'sandbox-router';

await runProgram({
  name: NAME,
  version: pkg.version,
  summary:
    'The data plane\'s reverse proxy: sends each HTTP request or WebSocket to the Sandbox its X-Sandbox-ID, ' +
    '-Namespace and -Port headers name, found from its own watch of Sandboxes and Pods. Checks that the caller ' +
    '(bearer token) may get that Sandbox or its claim. Stateless: run as many replicas as needed.',
  flags: {
    kubeconfig: { kind: 'string', help: 'Path to a kubeconfig. Empty: in-cluster configuration, else ~/.kube/config.', default: '' },
    'watch-namespace': { kind: 'string', help: 'Route to Sandboxes of this namespace only. Empty: all namespaces.', default: '' },
    'bind-address': { kind: 'string', help: 'Address of the proxy (host:port, :port for all interfaces).', default: ':8080' },
    authorization: {
      kind: 'boolean',
      help: 'Require a bearer token whose user may get the Sandbox or its claim (TokenReview + SubjectAccessReview). --no-authorization is for development only: anyone who reaches the router reaches every sandbox.',
      default: true,
    },
    'authorization-cache-ttl': { kind: 'duration', help: 'How long a token\'s identity and an allow or deny are cached.', default: 10_000 },
    'token-audiences': { kind: 'string', help: 'Comma-separated audiences a caller\'s token must be meant for. Empty: the API server\'s own.', default: '' },
    'default-timeout': { kind: 'duration', help: 'Time limit of a request that sets no X-Sandbox-Timeout.', default: 180_000 },
    'max-timeout': { kind: 'duration', help: 'The longest X-Sandbox-Timeout honoured (0 in the header means this).', default: 3_600_000 },
    'websocket-idle-timeout': { kind: 'duration', help: 'A WebSocket with no traffic either way for this long is closed.', default: 300_000 },
    'websocket-max-lifetime': { kind: 'duration', help: 'A WebSocket is closed this long after it opened, busy or not.', default: 3_600_000 },
    'resolve-wait': {
      kind: 'duration',
      help: 'How long a request for a Sandbox this router has not seen (not seen Ready, or not seen held by a claim the caller may get) yet waits for its watch to catch up before the answer is 404, 503 or 403. Covers a client that saw its claim Ready before the router did.',
      default: 3_000,
    },
    'max-websockets-per-client': { kind: 'integer', help: 'WebSockets open at once per caller (its user, or its address without authorization); more get 429.', default: 32, min: 1 },
  },
  async start({ flags, log, health }) {
    const tracing = await setupTracing({ serviceName: NAME, serviceVersion: pkg.version, onExportTrouble: traceExportReporter(log) });
    const client = new KubeClient(await loadKubeConfig(flags.kubeconfig));
    const registry = createMetricsRegistry();
    const metrics = new RouterMetrics(registry);
    health.route('/metrics', metricsHandler(registry));

    const index = new SandboxIndex({ client, log, ...(flags['watch-namespace'] ? { namespace: flags['watch-namespace'] } : {}) });
    index.start();
    let serving = false;
    health.addReadinessCheck('informers-synced', () => index.hasSynced());
    health.addReadinessCheck('serving', () => serving);

    if (!flags.authorization) log.warn('authorization is off (--no-authorization): every caller reaches every sandbox');
    const authorizer = flags.authorization
      ? new Authorizer({
          client,
          ttlMs: flags['authorization-cache-ttl'],
          audiences: flags['token-audiences'].split(',').map((s) => s.trim()).filter(Boolean),
        })
      : undefined;
    const router = new SandboxRouter({
      index,
      authorizer,
      log,
      metrics,
      tracer: tracing.tracer(NAME),
      defaultTimeoutMs: flags['default-timeout'],
      maxTimeoutMs: flags['max-timeout'],
      websocketIdleMs: flags['websocket-idle-timeout'],
      websocketLifetimeMs: flags['websocket-max-lifetime'],
      websocketsPerClient: flags['max-websockets-per-client'],
      resolveWaitMs: flags['resolve-wait'],
    });

    // Route nothing before the caches know every Sandbox: an early 404 would be a lie.
    await index.waitForSync();
    const bind = parseBindAddress(flags['bind-address']);
    if (!bind) throw new Error('--bind-address: the proxy needs an address');
    const address = await listenOn(router.server, bind);
    serving = true;
    log.info({ address: address.address, port: address.port, authorization: flags.authorization }, 'serving the proxy');

    return async () => {
      // Unready first, so a load balancer stops sending; then finish what is in flight.
      serving = false;
      // WebSockets may stay open for hours: they are cut when the grace time is over.
      const graceMs = Math.max(1_000, flags['shutdown-timeout'] - 2_000);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([router.drain(), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
      router.closeAll();
      await index.stop();
      await tracing.shutdown();
      client.close();
    };
  },
});
