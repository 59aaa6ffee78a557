import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { setupTracing, type Logger } from '@agent-sandbox/telemetry';
import { KubeClient } from '../client/kube-client.ts';
import { loadKubeConfig } from '../client/kubeconfig.ts';
import { Manager, type InformerTuning } from '../manager/manager.ts';
import type { FlagSpecs, FlagValues } from './flags.ts';
import type { HealthServer } from './health-server.ts';

/** Flags of every program built on the Manager; add them next to the program's own. */
export const managerFlags = {
  kubeconfig: {
    kind: 'string',
    help: 'Path to a kubeconfig. Empty: in-cluster configuration, else ~/.kube/config.',
    default: '',
  },
  'watch-namespace': {
    kind: 'string',
    help: 'Watch and reconcile objects in this namespace only. Empty: all namespaces.',
    default: '',
  },
  'leader-elect': {
    kind: 'boolean',
    help: 'Reconcile only while holding the leader-election Lease, so replicas can stand by.',
    default: false,
  },
  'leader-election-namespace': {
    kind: 'string',
    help: 'Namespace of the Lease. Empty: POD_NAMESPACE, else the in-cluster namespace, else "default".',
    default: '',
  },
  'leader-election-id': {
    kind: 'string',
    help: 'Name of the Lease. Empty: the program name.',
    default: '',
  },
  'leader-election-identity': {
    kind: 'string',
    help: 'This replica\'s identity in the Lease. Empty: POD_NAME, else the host name, plus a random suffix.',
    default: '',
  },
  'leader-election-lease-duration': {
    kind: 'duration',
    help: 'How long standbys wait after the last renewal before taking over a silent leader\'s Lease.',
    default: 15_000,
  },
  'leader-election-renew-deadline': {
    kind: 'duration',
    help: 'How long the leader keeps trying to renew before it stops reconciling.',
    default: 10_000,
  },
  'leader-election-exit-on-loss': {
    kind: 'boolean',
    help: 'Exit (code 1) when leadership is lost, so the replica restarts as a fresh candidate; false: stop reconciling and campaign again.',
    default: true,
  },
  'leader-election-retry-period': {
    kind: 'duration',
    help: 'Interval between renewals, and between attempts to acquire.',
    default: 2_000,
  },
} as const satisfies FlagSpecs;

export type ManagerFlags = typeof managerFlags;

export interface ManagerProgramContext {
  flags: FlagValues<ManagerFlags> & { 'shutdown-timeout': number };
  log: Logger;
  health: HealthServer;
}

export interface CreateManagerOptions {
  /** Program name: field manager, Event component, Lease name by default, service.name. */
  name: string;
  version?: string;
  informers?: InformerTuning;
}

/**
 * A Manager wired to a program: kubeconfig and leader election from flags, `/readyz` on the
 * informers' sync, `/metrics` on the health server's port, tracing from the OTEL_* variables
 * (flushed on stop). The program registers its controllers, then returns `manager.stop` from
 * `start` after `await manager.start()`.
 */
export async function createManager(ctx: ManagerProgramContext, options: CreateManagerOptions): Promise<Manager> {
  const { flags, log, health } = ctx;
  const tracing = await setupTracing({ serviceName: options.name, serviceVersion: options.version, onExportTrouble: traceExportReporter(log) });
  const client = new KubeClient(await loadKubeConfig(flags.kubeconfig));
  const env = process.env;
  const leaseNamespace = flags['leader-election-namespace'] || env.POD_NAMESPACE || inClusterNamespace() || 'default';
  const identity = flags['leader-election-identity'] || `${env.POD_NAME || hostname()}_${Math.random().toString(16).slice(2, 10)}`;
  const manager = new Manager({
    name: options.name,
    client,
    log,
    tracer: tracing.tracer(options.name),
    ...(flags['watch-namespace'] ? { namespace: flags['watch-namespace'] } : {}),
    ...(flags['leader-elect']
      ? {
          leaderElection: {
            namespace: leaseNamespace,
            name: flags['leader-election-id'] || options.name,
            identity,
            leaseDurationMs: flags['leader-election-lease-duration'],
            renewDeadlineMs: flags['leader-election-renew-deadline'],
            retryPeriodMs: flags['leader-election-retry-period'],
          },
        }
      : {}),
    ...(flags['leader-elect'] && flags['leader-election-exit-on-loss'] ? { onLeadershipLost: () => exitOnLostLeadership(log) } : {}),
    informers: options.informers,
    // Leave time within --shutdown-timeout to release the lease and flush.
    drainTimeoutMs: Math.max(1_000, flags['shutdown-timeout'] - 3_000),
    onStopped: () => tracing.shutdown(),
  });
  manager.attach(health);
  return manager;
}

/**
 * One warning when spans stop reaching the collector (they are dropped; the program goes on)
 * and one line when they reach it again: never a line per batch.
 */
export function traceExportReporter(log: Logger): (event: { failing: boolean; error?: string }) => void {
  return ({ failing, error }) => {
    if (failing) log.warn({ error, endpoint: process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_ENDPOINT }, 'cannot export traces: spans are dropped until the collector answers');
    else log.info('exporting traces again');
  };
}

/**
 * Leadership lost: the writes are fenced and the controllers stopping; the process ends now,
 * with no graceful drain (another replica may be leading), as a controller-runtime manager does.
 */
function exitOnLostLeadership(log: Logger): void {
  log.error('leader election lost: exiting');
  const exit = () => process.exit(1);
  setTimeout(exit, 1_000).unref();
  log.flush(exit);
}

function inClusterNamespace(): string | undefined {
  try {
    return readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
