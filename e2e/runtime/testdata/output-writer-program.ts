/**
 * A program on the runtime for the leader-fencing fault test. For every ConfigMap labelled
 * `work=true` it does a moment of work and then creates one output ConfigMap (generateName,
 * labelled with the work item and the writer's identity), unless its cache shows one already.
 * Exactly one output per work item holds only while one replica acts at a time: an output
 * written by two replicas for one item is a fencing failure the API server keeps a record of.
 */
import { createManager, Kinds, managerFlags, runProgram, sleep, type KubeObject } from '@agent-sandbox/runtime';

await runProgram({
  name: 'output-writer',
  version: '0.0.0',
  summary: 'Writes one output per work item while holding the lease (test program).',
  flags: {
    ...managerFlags,
    'work-ms': { kind: 'duration', help: 'Time spent on an item before its output is written.', default: 50 },
  },
  async start(ctx) {
    const manager = await createManager(ctx, { name: 'output-writer' });
    const identity = ctx.flags['leader-election-identity'];
    const configMaps = manager.informer<KubeObject>(Kinds.ConfigMap);
    const outputOf = (name: string) => configMaps.store.list().some((cm) => cm.metadata.labels?.['out-of'] === name);
    manager
      .controller('outputs')
      .for(Kinds.ConfigMap, { predicates: [(e) => e.obj.metadata.labels?.work === 'true'] })
      .withOptions({ concurrency: 8 })
      .complete(async (req, { log, signal }) => {
        const item = configMaps.store.get(req.key);
        if (!item || item.metadata.labels?.work !== 'true' || outputOf(req.name)) return;
        await sleep(ctx.flags['work-ms'], signal);
        if (signal.aborted) return;
        log.info({ key: req.key }, 'writing');
        await manager.writer.create(Kinds.ConfigMap, {
          metadata: { generateName: `out-${req.name}-`, namespace: req.namespace, labels: { 'out-of': req.name, writer: identity } },
        }, { signal });
        log.info({ key: req.key }, 'wrote');
      });
    await manager.start(ctx.signal);
    return () => manager.stop();
  },
});
