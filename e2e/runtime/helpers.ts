import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { inject } from 'vitest';
import { createLogger, createMetricsRegistry, type Logger } from '@agent-sandbox/telemetry';
import { KubeClient, Kinds, Manager, type InformerTuning, type KubeObject } from '@agent-sandbox/runtime';
import { testKubeConfig } from '@agent-sandbox/controlplane/testing';
import { waitUntil as sharedWaitUntil } from '@agent-sandbox/runtime/testing';

export type ConfigMap = KubeObject & { data?: Record<string, string> };

/** A logger whose JSON lines are kept in memory (and echoed when RT_TEST_LOGS=1). */
export function memoryLogger(program = 'runtime-test', level: 'debug' | 'info' = 'debug'): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) {
        if (!line) continue;
        lines.push(JSON.parse(line) as Record<string, unknown>);
        if (process.env.RT_TEST_LOGS === '1') process.stderr.write(`${line}\n`);
      }
      cb();
    },
  });
  return { log: createLogger({ program, level, destination }), lines };
}

export function testClient(): KubeClient {
  return new KubeClient(testKubeConfig());
}

export function testManager(namespace: string, log: Logger, informers: InformerTuning = {}): Manager {
  return new Manager({
    name: 'runtime-test',
    client: testClient(),
    log,
    namespace,
    registry: createMetricsRegistry({ defaultMetrics: false }),
    informers,
  });
}

/** The shared wait, with this suite's defaults (a minute, looking every 50 ms). */
export const waitUntil = (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000, everyMs = 50): Promise<void> => sharedWaitUntil(what, check, timeoutMs, everyMs);

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

export const configMap = (namespace: string, name: string, data: Record<string, string> = {}, annotations?: Record<string, string>): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace, ...(annotations ? { annotations } : {}) },
  data,
});

export async function listConfigMaps(client: KubeClient, namespace: string): Promise<ConfigMap[]> {
  return (await client.list<ConfigMap>(Kinds.ConfigMap, { namespace })).items;
}


/**
 * A lock shared by the runtime's integration files: one of them restarts kube-apiserver, which
 * the others (timing hand-overs, creating 1,000 objects) must not run across. Files of a run
 * execute in parallel workers, so the lock is a directory created atomically next to the
 * kubeconfig of the run; a lock left by a dead process is taken over.
 */
export async function acquireClusterLock(name = 'runtime-apiserver-faults'): Promise<() => Promise<void>> {
  const dir = join(dirname(inject('kubeconfig')), `.${name}.lock`);
  for (;;) {
    try {
      await mkdir(dir);
      await writeFile(join(dir, 'pid'), String(process.pid));
      return () => rm(dir, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(await readFile(join(dir, 'pid'), 'utf8').catch(() => '0'));
      if (owner && !alive(owner)) await rm(dir, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 200));
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
