/**
 * What the Python SDK's tests need, started for them: a cluster (the one named by KUBECONFIG,
 * else a local control plane of its own), a namespace, the sandbox-router as its ServiceAccount,
 * a sandbox-runtime at this machine's address, a ServiceAccount for the SDK's user (claims only)
 * and a stand-in for the claim-controller that binds claims by pool name:
 *   python → Ready (a Sandbox whose Pod is the runtime), slow → Ready=False SandboxCreatePending,
 *   invalid → Ready=False InvalidMetadata, never → nothing.
 * Prints one JSON line describing it all, and tears everything down when its stdin closes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { SANDBOX_CLAIM } from '@agent-sandbox/api';
import { ControlPlane } from '@agent-sandbox/controlplane';
import { callerToken, ClaimBinder, kubeconfigFor, routerUrl, type BindAction } from '../support/data-plane.ts';
import { programSuite } from '../support/programs.ts';
import { hostAddress, startRuntime } from '../support/runtime-process.ts';

const say = (line: string) => process.stderr.write(`python-env: ${line}\n`);
let cluster: ControlPlane | undefined;
let kubeconfigPath = process.env.KUBECONFIG;
if (!kubeconfigPath) {
  say('no KUBECONFIG: starting a local control plane');
  cluster = await ControlPlane.up({
    name: `pysdk-${process.pid}`,
    ownerPid: process.pid,
    preload: [join(import.meta.dirname, '..', '..', 'deploy', 'crds')],
    progress: say,
  });
  kubeconfigPath = cluster.kubeconfigPath;
}
const kc = new KubeConfig();
kc.loadFromFile(kubeconfigPath);

const dir = mkdtempSync(join(tmpdir(), 'python-sdk-env-'));
const host = hostAddress();
const suite = await programSuite('py-sdk', kc);
const ns = suite.ns.name;
const runtime = await startRuntime({ host });
const plans: Record<string, BindAction> = {
  python: { kind: 'bind', address: host },
  slow: { kind: 'condition', reason: 'SandboxCreatePending', message: 'waiting for a warm sandbox' },
  invalid: { kind: 'condition', reason: 'InvalidMetadata', message: 'label app=sandbox-router is refused' },
  never: { kind: 'ignore' },
};
const binder = new ClaimBinder(suite.admin, ns, (claim) => plans[(claim.spec as { warmPoolRef: { name: string } }).warmPoolRef.name] ?? { kind: 'ignore' });
await binder.start();
const router = await suite.start('sandbox-router', ['--bind-address=127.0.0.1:0']);
const user = await callerToken(suite.admin, ns, 'agent', [
  { apiGroups: [SANDBOX_CLAIM.group], resources: [SANDBOX_CLAIM.plural], verbs: ['create', 'get', 'list', 'watch', 'delete'] },
]);
const stranger = await callerToken(suite.admin, ns, 'stranger', []);

process.stdout.write(
  `${JSON.stringify({
    namespace: ns,
    kubeconfig: kubeconfigFor(user, ns, dir, kc),
    adminKubeconfig: kubeconfigPath,
    routerUrl: routerUrl(router),
    runtimePort: runtime.port,
    hostAddress: host,
    strangerToken: stranger,
  })}\n`,
);

const teardown = async () => {
  await binder.stop();
  await runtime.stop();
  await suite.teardown();
  rmSync(dir, { recursive: true, force: true });
  if (cluster) await cluster.down();
  if (binder.errors.length > 0) {
    say(`the claim binder failed: ${binder.errors.map(String).join('; ')}`);
    process.exitCode = 1;
  }
};
process.stdin.resume();
process.stdin.on('end', () => void teardown().then(() => process.exit()));
process.on('SIGTERM', () => void teardown().then(() => process.exit()));
