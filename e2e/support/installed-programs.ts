/**
 * The suites' programs as the chart installed them (AGENT_SANDBOX_E2E_PROGRAMS=installed): in
 * this mode `programSuite(...).start(program)` starts nothing; it finds the program's Deployment
 * in the release namespace, waits until it has rolled out, and hands back its Pods. The programs
 * then run in Pods on a real node, with in-cluster configuration, as their chart-made
 * ServiceAccounts, watching every namespace (each suite works in a namespace of its own).
 *
 * What a suite asks of a program must be what is installed: each flag a suite passes to `start`
 * must be among the Deployment's arguments (the e2e installs set them with `extraArgs`, see
 * INSTALLED_E2E_VALUES), otherwise `start` fails naming the flag. Stopping or killing an
 * installed program is refused: suites that do that run with programs as processes only.
 *
 * The Pods' logs since the suite began are read through the API server about every second into
 * the handle's `lines` (so a suite's own checks of them work), and once more at teardown, where
 * a 403 in them fails the suite, as does a container restart.
 */
import { KubeClient, Kinds, type KubeObject } from '@agent-sandbox/runtime';
import type { KubeConfig } from '@kubernetes/client-node';
import { createTestNamespace, waitFor } from '@agent-sandbox/controlplane/testing';
import type { Program, ProgramProcess, ProgramSuite } from './programs.ts';

export type ProgramsMode = 'process' | 'installed';

/** How the suites get their programs: child processes (default) or the chart's Deployments. */
export function programsMode(env: NodeJS.ProcessEnv = process.env): ProgramsMode {
  const v = env.AGENT_SANDBOX_E2E_PROGRAMS;
  if (v === undefined || v === '' || v === 'process') return 'process';
  if (v === 'installed') return 'installed';
  throw new Error(`AGENT_SANDBOX_E2E_PROGRAMS=${v}: use "process" (programs as child processes, the default) or "installed" (the chart's Deployments)`);
}

/** The release namespace the chart was installed into (AGENT_SANDBOX_E2E_RELEASE_NAMESPACE). */
export function releaseNamespace(env: NodeJS.ProcessEnv = process.env): string {
  return env.AGENT_SANDBOX_E2E_RELEASE_NAMESPACE || 'agent-sandbox-system';
}

/**
 * The suites that run against installed programs (`npm run e2e:chart`), and the values their
 * install needs: the flags those suites pass to `start`. Suites that assume the sandbox-controller
 * runs alone (sandbox-controller/conditions and lifecycle: the installed ttl-reaper and pool
 * programs act on their expired and pool-labelled Sandboxes) are left out.
 */
export const INSTALLED_SUITES = [
  'e2e/claims/hot-path.int.test.ts',
  'e2e/claims/strategies.int.test.ts',
  'e2e/ttl-reaper/reflection.int.test.ts',
] as const;

/**
 * A machine shared by several test runs can take tens of seconds to start a Node program (seen:
 * 27 s for `--help` at a load of 70 on 2 cores); the default liveness probe would restart it
 * after 30 s, before it ever serves. The e2e installs give it five minutes (the figures then
 * show how long start-up really took).
 */
const PATIENT_LIVENESS = { livenessProbe: { failureThreshold: 30 } };

export const INSTALLED_E2E_VALUES: Record<string, unknown> = {
  'sandbox-controller': { clusterDomain: 'example.test', ...PATIENT_LIVENESS },
  'claim-controller': PATIENT_LIVENESS,
  'warmpool-orchestrator': { readyGracePeriod: '3s', ...PATIENT_LIVENESS },
  'ttl-reaper': PATIENT_LIVENESS,
  // The suites' administrator plays the other programs' parts (sets reserved labels and
  // annotations, as the claim-controller and the reaper do): the webhook trusts cluster admins.
  // On a shared 2-core machine at a load of tens, the Service's endpoints took longer than the
  // default 5 s to forget a stopping webhook Pod, and a review longer than 5 s (the API server
  // then fails the request: seen once in a roll of 164 claims): more room for both.
  'admission-webhook': { ...PATIENT_LIVENESS, shutdownDelaySeconds: 15, timeoutSeconds: 15, policy: { trustedGroups: ['system:masters'] } },
};

/** Harness flags that have no meaning for an installed program (it watches all namespaces; the chart sets these). */
const HARNESS_ONLY = /^--(kubeconfig|watch-namespace|leader-election-namespace|health-probe-bind-address|shutdown-timeout)=/;

type Deployment = KubeObject & {
  spec: { template: { spec: { containers: Array<{ args?: string[]; ports?: Array<{ name?: string; containerPort: number }> }> } } };
  status?: { readyReplicas?: number; updatedReplicas?: number; replicas?: number; observedGeneration?: number };
};
type Pod = KubeObject & { status?: { containerStatuses?: Array<{ name: string; restartCount: number }>; conditions?: Array<{ type: string; status: string }> } };

const DeploymentKind = { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true } as const;

/**
 * Whether a log line reports a 403 that is RBAC's verdict. Installed programs watch every
 * namespace and keep running while a suite's namespace is deleted: the API server's
 * NamespaceLifecycle admission then refuses their writes there with a 403 ("unable to create new
 * content in namespace … because it is being terminated"), which is not about their rights.
 */
export function reportsForbiddenLine(line: Record<string, unknown>): boolean {
  const text = JSON.stringify(line);
  if (/unable to create new content in namespace [^ ]+ because it is being terminated/.test(text)) return false;
  return /"(code|statusCode)":403\b|"reason":"Forbidden"|is forbidden: User "/.test(text);
}

function parseLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return { msg: l };
      }
    });
}

export async function installedSuite(prefix: string, kc: KubeConfig): Promise<ProgramSuite> {
  const admin = new KubeClient(kc);
  const namespace = releaseNamespace();
  const began = Date.now();
  const ns = await createTestNamespace(prefix, kc);
  const handles = new Map<Program, ProgramProcess>();
  const excused: Array<{ from: number; to: number; why: string }> = [];
  const restartsAtStart = new Map<string, number>();
  const pollers: NodeJS.Timeout[] = [];

  const pods = async (program: Program): Promise<Pod[]> =>
    (await admin.list<Pod>(Kinds.Pod, { namespace, query: { labelSelector: `app.kubernetes.io/name=${program}` } })).items.filter((p) => !p.metadata.deletionTimestamp);
  const restarts = (p: Pod) => (p.status?.containerStatuses ?? []).reduce((n, c) => n + c.restartCount, 0);

  /** Every JSON line the program's Pods logged since the suite began. */
  const logsSince = async (program: Program): Promise<Array<Record<string, unknown>>> => {
    const seconds = Math.ceil((Date.now() - began) / 1000) + 5;
    const out: Array<Record<string, unknown>> = [];
    for (const pod of await pods(program)) {
      const text = await admin.getText(`/api/v1/namespaces/${namespace}/pods/${pod.metadata.name}/log?sinceSeconds=${seconds}`);
      for (const line of parseLines(text)) {
        const at = Date.parse(String(line.time));
        if (Number.isNaN(at) || at >= began) out.push({ ...line, pod: pod.metadata.name });
      }
    }
    return out;
  };

  const handle = async (program: Program, args: string[]): Promise<ProgramProcess> => {
    let deployment: Deployment | undefined;
    await waitFor(`the installed ${program} (Deployment ${namespace}/${program}) to be rolled out`, async () => {
      deployment = await admin.get<Deployment>(DeploymentKind, { namespace, name: program }).catch((err: { code?: number }) => {
        if (err.code === 404) throw new Error(`${program} is not installed in ${namespace} (AGENT_SANDBOX_E2E_PROGRAMS=installed needs the chart installed there, with ${program} enabled)`);
        throw err;
      });
      const s = deployment.status ?? {};
      const want = (deployment.spec as { replicas?: number }).replicas ?? 1;
      return (s.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 1) && s.updatedReplicas === want && s.readyReplicas === want && s.replicas === want;
    }, 60_000, 200);
    const container = deployment!.spec.template.spec.containers[0]!;
    const installedArgs = new Set(container.args ?? []);
    const missing = args.filter((a) => !HARNESS_ONLY.test(a) && !installedArgs.has(a));
    if (missing.length > 0) {
      throw new Error(`the installed ${program} runs without ${missing.join(' ')}, which this suite needs: install the chart with it (e2e/support/installed-programs.ts INSTALLED_E2E_VALUES) or run the suite with programs as processes`);
    }
    for (const p of await pods(program)) if (!restartsAtStart.has(p.metadata.name!)) restartsAtStart.set(p.metadata.name!, restarts(p));
    const healthPort = container.ports?.find((p) => p.name === 'health')?.containerPort ?? 0;
    const lines: Array<Record<string, unknown>> = [];
    const refresh = async () => {
      const now = await logsSince(program);
      lines.splice(0, lines.length, ...now);
    };
    await refresh();
    const poll = setInterval(() => void refresh().catch(() => undefined), 1_000);
    pollers.push(poll);
    const refuse = (what: string) => () => Promise.reject(new Error(`cannot ${what} the installed ${program}: suites that do run with programs as processes`));
    return {
      program,
      child: undefined,
      healthPort,
      lines,
      forbidden: () => lines.filter(reportsForbiddenLine),
      stop: refuse('stop'),
      kill: refuse('kill'),
      async metrics() {
        const [pod] = (await pods(program)).filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
        if (!pod) throw new Error(`no Ready Pod of the installed ${program}`);
        return admin.getText(`/api/v1/namespaces/${namespace}/pods/${pod.metadata.name}:${healthPort}/proxy/metrics`);
      },
    };
  };

  return {
    admin,
    ns,
    async start(program, args = []) {
      if (!handles.has(program)) handles.set(program, await handle(program, args));
      else await handle(program, args); // the same checks for a second "replica"
      return handles.get(program)!;
    },
    excuseForbidden(from, to, why) {
      excused.push({ from, to, why });
    },
    async teardown() {
      for (const poll of pollers) clearInterval(poll);
      await ns.remove();
      const problems: string[] = [];
      // Every installed program acted in the suite's namespace, started by the suite or not.
      const installed = (await admin.list<Deployment>(DeploymentKind, { namespace, query: { labelSelector: 'app.kubernetes.io/part-of=agent-sandbox' } })).items.map((d) => d.metadata.name as Program);
      for (const program of installed) {
        const lines = await logsSince(program);
        const handleLines = handles.get(program)?.lines;
        handleLines?.splice(0, handleLines.length, ...lines);
        for (const line of lines.filter(reportsForbiddenLine)) {
          const at = Date.parse(String(line.time));
          if (!excused.some((w) => at >= w.from && at <= w.to)) problems.push(`${program}: 403: ${JSON.stringify(line)}`);
        }
        for (const pod of await pods(program)) {
          const before = restartsAtStart.get(pod.metadata.name!) ?? 0;
          if (restarts(pod) > before) problems.push(`${program}: Pod ${pod.metadata.name} restarted during the suite (${before} → ${restarts(pod)})`);
        }
      }
      admin.close();
      if (problems.length > 0) throw new Error(`installed programs misbehaved ${problems.length} time(s):\n${problems.slice(0, 10).join('\n')}`);
    },
  };
}
