// `npm start`: the whole system on this machine. A local control plane, the five programs
// as separate processes (as they would run in a cluster), each with its own health port.
// Ctrl-C stops the programs and the cluster (--keep-cluster leaves the cluster up).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { ControlPlane, type Profile } from '@agent-sandbox/controlplane';

const ROOT = join(import.meta.dirname, '..', '..');
export const PROGRAMS = ['sandbox-controller', 'claim-controller', 'warmpool-orchestrator', 'ttl-reaper', 'admission-webhook'] as const;

const { values } = parseArgs({
  options: {
    'keep-cluster': { type: 'boolean', default: false },
    profile: { type: 'string', default: 'fast' },
    'log-level': { type: 'string', default: 'info' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(`Usage: npm start [-- --keep-cluster] [-- --profile fast|realistic] [-- --log-level debug]

Starts the local control plane (cluster "local"), builds and runs the five programs against it,
and prints where everything is. Ctrl-C stops the programs and removes the cluster unless
--keep-cluster is given.`);
  process.exit(0);
}

const say = (line: string) => console.error(`start: ${line}`);
const cp = await ControlPlane.up({
  name: 'local',
  profile: values.profile as Profile,
  preload: [join(ROOT, 'deploy', 'crds')],
  progress: say,
});

say('building the programs');
const build = spawnSync(join(ROOT, 'node_modules', '.bin', 'nx'), ['run-many', '-t', 'build', '--output-style=static'], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) {
  say('build failed');
  if (!values['keep-cluster']) await cp.down();
  process.exit(1);
}

const children = new Map<string, ChildProcess>();
PROGRAMS.forEach((program, i) => {
  const port = 18081 + i;
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'apps', program, 'dist', 'main.js'),
      `--health-probe-bind-address=127.0.0.1:${port}`,
      `--log-level=${values['log-level']}`,
      // The webhook serves HTTPS on loopback only here (in a cluster it listens for the API server).
      // The local cluster does not route admission through it (no webhook configuration is
      // registered), so there is no caBundle to keep patched.
      ...(program === 'admission-webhook' ? ['--bind-address=127.0.0.1:18443', '--patch-ca-bundle=false'] : []),
    ],
    { cwd: ROOT, env: { ...process.env, KUBECONFIG: cp.kubeconfigPath }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.set(program, child);
  const tag = program.padEnd(22);
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${tag}| ${line}\n`));
  }
  child.on('exit', (code, signal) => {
    children.delete(program);
    if (!stopping) say(`${program} exited (${signal ?? `code ${code}`})`);
  });
  say(`${program}: health on http://127.0.0.1:${port}/healthz`);
});

// The example template and its warm pool (and the RuntimeClass the template names).
const kubectl = (args: string[]) => spawnSync(cp.binaries.kubectl, args, { env: { ...process.env, KUBECONFIG: cp.kubeconfigPath }, stdio: 'inherit' });
for (const file of ['tools/dev/local-cluster.yaml', 'deploy/examples/python-runtime-template.yaml', 'deploy/examples/python-warm-pool.yaml']) {
  if (kubectl(['apply', '--server-side', '--field-manager=npm-start', '-f', join(ROOT, file)]).status !== 0) say(`could not apply ${file}`);
}

console.error(`
The system is running. In another shell:
  export KUBECONFIG=${cp.kubeconfigPath}
  export PATH=${join(cp.binaries.dir, 'bin')}:$PATH    # the pinned kubectl
  kubectl get sandboxtemplates,sandboxwarmpools,sandboxes
  kubectl apply --server-side -f deploy/examples/claim-with-lifecycle.yaml   # a claim served warm
Ctrl-C stops everything${values['keep-cluster'] ? ' but the cluster' : ''}.
`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  say('stopping the programs');
  await Promise.all(
    [...children.values()].map(
      (child) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => child.kill('SIGKILL'), 35_000);
          child.once('exit', () => (clearTimeout(timer), resolve()));
          child.kill('SIGTERM');
        }),
    ),
  );
  if (values['keep-cluster']) say(`cluster left running: npm run cluster -- down`);
  else {
    say('stopping the cluster');
    await cp.down();
  }
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
