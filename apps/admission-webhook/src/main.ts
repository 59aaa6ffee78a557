import { parseBindAddress, runProgram, traceExportReporter } from '@agent-sandbox/runtime';
import { createMetricsRegistry, metricsHandler, setupTracing } from '@agent-sandbox/telemetry';
import pkg from '../package.json' with { type: 'json' };
import { list, policyFromFlags, webhookFlags } from './flags.ts';
import { loadKubeConfig } from './kube/kubeconfig.ts';
import { startWebhook } from './webhook.ts';

await runProgram({
  name: 'admission-webhook',
  version: pkg.version,
  summary: 'Defaults and validates Agent Sandbox objects at admission (mutating and validating webhooks over HTTPS).',
  flags: webhookFlags,
  async start({ flags, log, health }) {
    const bind = parseBindAddress(flags['bind-address']);
    if (!bind) throw new Error('--bind-address: the webhook cannot be disabled');
    // Spans of reviews (the global tracer) go where the OTEL_* variables say; none without them.
    const tracing = await setupTracing({ serviceName: 'admission-webhook', serviceVersion: pkg.version, onExportTrouble: traceExportReporter(log) });
    const registry = createMetricsRegistry();
    health.route('/metrics', metricsHandler(registry));

    const kubeConfig = await loadKubeConfig(flags.kubeconfig);
    if (!kubeConfig) log.warn('no kubeconfig: scale reviews are held to the cluster ceiling only, and no caBundle is patched');
    const certDir = flags['tls-cert-dir'];
    const service = `${flags['service-name']}.${flags['service-namespace']}.svc`;
    const name = flags['webhook-configuration-name'];

    const webhook = await startWebhook({
      bind,
      log,
      registry,
      policy: policyFromFlags(flags),
      policyFile: flags['policy-file'],
      ...(certDir ? { certDir } : { dnsNames: [...list(flags['tls-dns-names']), service, `${service}.cluster.local`] }),
      reloadIntervalMs: flags['reload-interval'],
      shutdownDelayMs: flags['shutdown-delay'],
      ...(kubeConfig ? { kubeConfig } : {}),
      caBundleTargets: flags['patch-ca-bundle']
        ? [
            { kind: 'MutatingWebhookConfiguration', name },
            { kind: 'ValidatingWebhookConfiguration', name },
          ]
        : [],
    });
    health.addReadinessCheck('webhook-serving', () => true);
    health.addReadinessCheck('ca-bundle', () => webhook.caBundlePatched());
    return async () => {
      await webhook.stop();
      await tracing.shutdown();
    };
  },
});
