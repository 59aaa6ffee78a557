/**
 * Heap bytes per cached object, for Pods and Sandboxes, with and without trimming. Objects go
 * through the informer's own admission path (JSON text → parse → admitObject → Store with the
 * controller-UID index), one scenario per fresh child process so they do not share a heap.
 *
 *   node --expose-gc tools/bench/src/cache-memory.ts [--count 10000]
 *
 * Prints one JSON document.
 */
import { execFileSync } from 'node:child_process';
import { withoutPodTemplate } from '@agent-sandbox/api';
import { fileURLToPath } from 'node:url';
import { admitObject, byControllerUID, CONTROLLER_UID_INDEX, Store, trimPod, type KubeObject, type Transform } from '@agent-sandbox/runtime';
import { podJson, sandboxJson } from './fixtures.ts';

interface Scenario {
  kind: 'Pod' | 'Sandbox';
  trimming: 'none' | 'standard' | 'standard+transform';
}

const SCENARIOS: Scenario[] = [
  { kind: 'Pod', trimming: 'none' },
  { kind: 'Pod', trimming: 'standard' },
  { kind: 'Pod', trimming: 'standard+transform' },
  { kind: 'Sandbox', trimming: 'none' },
  { kind: 'Sandbox', trimming: 'standard' },
  { kind: 'Sandbox', trimming: 'standard+transform' },
];

function settle(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

function measure(scenario: Scenario, count: number) {
  const make = scenario.kind === 'Pod' ? podJson : sandboxJson;
  // Pods: trimPod (sandbox-controller); Sandboxes: without their pod template (claim-controller, warmpool-orchestrator).
  const transform: Transform | undefined = scenario.trimming !== 'standard+transform' ? undefined : scenario.kind === 'Pod' ? trimPod : (withoutPodTemplate as unknown as Transform);
  const jsonBytes = Buffer.byteLength(make(0));
  const store = new Store<KubeObject>();
  store.addIndexer(CONTROLLER_UID_INDEX, byControllerUID);
  const before = settle();
  for (let i = 0; i < count; i++) {
    const obj = JSON.parse(make(i)) as KubeObject;
    store.upsert(admitObject(obj, { trim: scenario.trimming !== 'none', transform }));
  }
  const after = settle();
  const bytesPerObject = Math.round((after - before) / count);
  if (store.size !== count) throw new Error('store lost objects');
  return { ...scenario, objects: count, jsonBytesPerObject: jsonBytes, heapBytesPerObject: bytesPerObject, heapKiBPerObject: Math.round((bytesPerObject / 1024) * 100) / 100 };
}

const argv = process.argv.slice(2);
const countArg = argv.indexOf('--count');
const count = countArg === -1 ? 10_000 : Number(argv[countArg + 1]);
const one = argv.indexOf('--scenario');

if (one !== -1) {
  const scenario = SCENARIOS[Number(argv[one + 1])]!;
  process.stdout.write(JSON.stringify(measure(scenario, count)));
} else {
  const self = fileURLToPath(import.meta.url);
  const results = SCENARIOS.map((_, i) =>
    JSON.parse(execFileSync(process.execPath, ['--expose-gc', self, '--scenario', String(i), '--count', String(count)], { encoding: 'utf8' })),
  );
  process.stdout.write(`${JSON.stringify({ node: process.version, objects: count, results }, null, 2)}\n`);
}
