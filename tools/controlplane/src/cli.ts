import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { ensureBinaries } from './build.ts';
import { ALL_COMPONENTS, COMPONENTS, ControlPlane, NODE_COMPONENTS, PROFILES, type Component, type Profile } from './cluster.ts';

const HELP = `Usage: npm run cluster -- <command> [flags]

A real Kubernetes control plane on loopback (etcd, kube-apiserver, kube-controller-manager,
kube-scheduler, kwok with simulated nodes), built from pinned Go modules into a cache; with
--real-node, also one real node on this machine (kubelet, containerd, pod network, kube-proxy,
CoreDNS) where Pods really run.

Commands:
  build                 build the binaries into the cache (a no-op when they are there)
  up                    start the cluster (builds first if needed); prints how to reach it
  down                  stop every component, free the ports, remove the cluster's folder
  status                each component: pid, running, healthy, log file
  stop <component>      stop one component (fault tests); --signal SIGKILL to kill it
  start <component>     start a stopped component again, on the same port
  restart <component>   stop then start one component
  kubeconfig            print the path of the administrator kubeconfig
  kubectl -- <args>     run the pinned kubectl against the cluster

Components: ${COMPONENTS.join(', ')}; with a real node also ${NODE_COMPONENTS.join(', ')}

Flags:
  --name <name>             cluster name (default "local"; env AGENT_SANDBOX_CLUSTER)
  --nodes <n>               simulated nodes for "up" (default 3)
  --profile <p>             pod start-up profile for "up": ${Object.entries(PROFILES)
    .map(([k, v]) => `${k} (${v.podReadyDelayMs}-${v.podReadyJitterMs} ms)`)
    .join(', ')}
  --pod-ready-delay <ms>    override the profile's delay before a Pod becomes Ready
  --real-node               "up": add one real node on this machine (Linux, root, Debian packages
                            containerd runc containernetworking-plugins iptables; the error says
                            what is missing). Pods reach it only with its toleration and selector.
  --signal <signal>         signal for "stop" (default SIGTERM)
  --profiling               serve the API server's /debug/pprof (for profiling benchmarks)
`;

async function main(argv: string[]): Promise<number> {
  const dashdash = argv.indexOf('--');
  const rest = dashdash === -1 ? [] : argv.slice(dashdash + 1);
  const { values, positionals } = parseArgs({
    args: dashdash === -1 ? argv : argv.slice(0, dashdash),
    allowPositionals: true,
    options: {
      name: { type: 'string', default: process.env.AGENT_SANDBOX_CLUSTER ?? 'local' },
      nodes: { type: 'string' },
      profile: { type: 'string' },
      'pod-ready-delay': { type: 'string' },
      profiling: { type: 'boolean', default: false },
      'real-node': { type: 'boolean', default: false },
      signal: { type: 'string', default: 'SIGTERM' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, arg] = positionals;
  if (values.help || !command) {
    process.stdout.write(HELP);
    return command || values.help ? 0 : 2;
  }
  const progress = (line: string) => console.error(`controlplane: ${line}`);
  const name = values.name;
  const open = async () => {
    const cp = await ControlPlane.open(name);
    if (!cp) throw new Error(`no cluster "${name}": run \`npm run cluster -- up\``);
    return cp;
  };
  const component = (): Component => {
    if (!ALL_COMPONENTS.includes(arg as Component)) throw new Error(`name a component: ${ALL_COMPONENTS.join(', ')}`);
    return arg as Component;
  };

  switch (command) {
    case 'build': {
      const b = await ensureBinaries(progress);
      console.log(b.dir);
      return 0;
    }
    case 'up': {
      if (values.profile && !(values.profile in PROFILES)) throw new Error(`--profile: one of ${Object.keys(PROFILES).join(', ')}`);
      const cp = await ControlPlane.up({
        name,
        progress,
        ...(values.nodes ? { nodes: Number(values.nodes) } : {}),
        ...(values.profile ? { profile: values.profile as Profile } : {}),
        ...(values['pod-ready-delay'] ? { podReadyDelayMs: Number(values['pod-ready-delay']) } : {}),
        profiling: values.profiling,
        realNode: values['real-node'],
      });
      console.log(`Cluster "${cp.name}" is up at ${cp.server}.
  export KUBECONFIG=${cp.kubeconfigPath}
  ${cp.binaries.kubectl} get nodes      (or: npm run cluster -- kubectl -- get nodes)
Logs: ${cp.dir}/logs/<component>.log   Stop: npm run cluster -- down${name === 'local' ? '' : ` --name ${name}`}`);
      return 0;
    }
    case 'down': {
      const cp = await ControlPlane.open(name);
      if (cp) await cp.down();
      console.log(cp ? `cluster "${name}" stopped and removed` : `no cluster "${name}"`);
      return 0;
    }
    case 'status': {
      const cp = await open();
      for (const s of await cp.status()) {
        console.log(`${s.component.padEnd(24)} ${s.running ? `pid ${s.pid}`.padEnd(12) : 'stopped'.padEnd(12)} ${s.healthy ? 'healthy' : 'unhealthy'}  ${s.log}`);
      }
      console.log(`KUBECONFIG=${cp.kubeconfigPath}`);
      return 0;
    }
    case 'stop':
      await (await open()).stop(component(), { signal: values.signal as NodeJS.Signals });
      return 0;
    case 'start':
      await (await open()).start(component());
      return 0;
    case 'restart':
      await (await open()).restart(component());
      return 0;
    case 'kubeconfig':
      console.log((await open()).kubeconfigPath);
      return 0;
    case 'kubectl': {
      const cp = await open();
      const res = spawnSync(cp.binaries.kubectl, rest, { stdio: 'inherit', env: { ...process.env, KUBECONFIG: cp.kubeconfigPath } });
      return res.status ?? 1;
    }
    default:
      process.stderr.write(`unknown command "${command}"\n\n${HELP}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: Error) => {
    console.error(`controlplane: ${err.message}`);
    process.exitCode = 1;
  },
);
