import { createManager, HealthServer, managerFlags, parseBindAddress, runProgram } from '@agent-sandbox/runtime';
import { metricsHandler } from '@agent-sandbox/telemetry';
import pkg from '../package.json' with { type: 'json' };
import { registerControllers } from './controllers.ts';

const NAME = 'sandbox-controller';

await runProgram({
  name: NAME,
  version: pkg.version,
  summary: 'Reconciles Sandboxes into their Pod, headless Service and PVCs, and SandboxTemplates into their NetworkPolicy.',
  flags: {
    ...managerFlags,
    workers: {
      kind: 'integer',
      help: 'Sandboxes reconciled at once (one Sandbox is never reconciled by two workers).',
      default: 16,
      min: 1,
    },
    'template-workers': {
      kind: 'integer',
      help: 'SandboxTemplates reconciled at once.',
      default: 2,
      min: 1,
    },
    'cluster-domain': {
      kind: 'string',
      help: 'DNS domain of the cluster, for status.serviceFQDN (<service>.<namespace>.svc.<domain>).',
      default: 'cluster.local',
    },
    'metrics-bind-address': {
      kind: 'string',
      help: 'Address of a separate /metrics endpoint (host:port, :port for all interfaces). Empty: /metrics is served on the health probe address.',
      default: '',
    },
  },
  async start({ flags, log, health, signal }) {
    const manager = await createManager({ flags, log, health }, { name: NAME, version: pkg.version });
    registerControllers(manager, { sandboxWorkers: flags.workers, templateWorkers: flags['template-workers'], clusterDomain: flags['cluster-domain'] });

    let metricsServer: HealthServer | undefined;
    const metricsBind = flags['metrics-bind-address'] ? parseBindAddress(flags['metrics-bind-address']) : undefined;
    if (metricsBind) {
      metricsServer = new HealthServer();
      metricsServer.route('/metrics', metricsHandler(manager.registry));
      const address = await metricsServer.listen(metricsBind);
      log.info({ address: address.address, port: address.port }, 'serving metrics');
    }

    await manager.start(signal);
    return async () => {
      await manager.stop();
      await metricsServer?.close();
    };
  },
});
